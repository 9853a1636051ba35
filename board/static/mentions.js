// @name completion in composers: typing "@Ad" in a post or comment offers the course's members named so. Without
// JavaScript, "@Full Name" typed by hand mentions just the same.
(function () {
  "use strict";
  var course = location.pathname.match(/^\/c\/([^/]+)\//);
  if (!course) { return; }
  var endpoint = "/c/" + course[1] + "/members.json?q=";
  var TYPED = /(?:^|[^\w@])@([^\s@<>]{0,40}(?: [^\s@<>]{0,40}){0,2})$/;
  var list = null, field = null, options = [], active = -1, asked = 0, timer = null, inserting = false;

  function typed(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = before.match(TYPED);
    return match ? { query: match[1], start: before.length - match[1].length - 1 } : null;
  }

  function close() {
    if (list) { list.remove(); }
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
    list = null; options = []; active = -1;
  }

  function choose(index) {
    var at = typed(field);
    if (!at || !options[index]) { close(); return; }
    var name = options[index], value = field.value, caret = field.selectionStart;
    field.value = value.slice(0, at.start) + "@" + name + " " + value.slice(caret);
    var after = at.start + name.length + 2;
    field.setSelectionRange(after, after);
    inserting = true;
    field.dispatchEvent(new Event("input", { bubbles: true }));  // drafts are kept as typed
    inserting = false;
    close();
    field.focus();
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach(function (el, i) {
      el.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) { field.setAttribute("aria-activedescendant", "mention-option-" + index); }
  }

  function show(textarea, names) {
    close();
    field = textarea;
    options = names;
    if (!names.length) { return; }
    list = document.createElement("ul");
    list.id = "mention-options";
    list.className = "mention-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    names.forEach(function (name, i) {
      var item = document.createElement("li");
      item.id = "mention-option-" + i;
      item.setAttribute("role", "option");
      item.textContent = name;
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
      list.appendChild(item);
    });
    textarea.insertAdjacentElement("afterend", list);
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function ask(textarea) {
    var at = typed(textarea);
    if (!at) { close(); return; }
    var mine = ++asked;
    fetch(endpoint + encodeURIComponent(at.query), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { members: [] }; })
      .then(function (data) {
        if (mine !== asked || document.activeElement !== textarea) { return; }
        show(textarea, (data.members || []).map(function (m) { return m.name; }));
      })
      .catch(close);
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (inserting || !(textarea instanceof HTMLTextAreaElement) || textarea.name !== "body") { return; }
    textarea.setAttribute("aria-autocomplete", "list");
    clearTimeout(timer);
    timer = setTimeout(function () { ask(textarea); }, 120);
  });

  document.addEventListener("keydown", function (event) {
    if (!list || event.target !== field) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + options.length) % options.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (active >= 0) { event.preventDefault(); choose(active); }
    } else if (event.key === "Escape") {
      close();
    }
  });

  document.addEventListener("focusout", function (event) {
    if (event.target === field) { setTimeout(close, 150); }
  });
})();
