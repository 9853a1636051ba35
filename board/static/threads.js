// Threads on the post page, as niceties: without this file each branch still collapses (its <details>) and a linked
// comment is still marked (:target) and scrolled to.
// - Landing on #comment-N (a notification, "in reply to", "Jump to first new", the page after posting): the branches
//   around it open, it scrolls to just below the header (sticky or not), and it takes the focus, so a screen reader
//   reads the comment just posted or linked rather than the page's top.
// - "Collapse all" / "Expand all" for the thread's branches.
(function () {
  "use strict";
  var list = document.querySelector("ol.comment-list");
  if (!list) { return; }
  var root = document.documentElement;

  // How far down a sticky or fixed header reaches: a comment scrolled to lands below it (scroll-margin-top).
  function measureHeader() {
    var header = document.querySelector(".site-header");
    var reach = 0;
    if (header) {
      var style = getComputedStyle(header);
      if (style.position === "sticky" || style.position === "fixed") {
        reach = (parseFloat(style.top) || 0) + header.getBoundingClientRect().height;
      }
    }
    root.style.setProperty("--sticky-header", Math.ceil(reach) + "px");
  }

  // "in reply to <parent>" on a landed reply at depths 2 to 4, linking to it: its parent is the comment its branch
  // follows, at one level less. The page itself names the parent of every reply at the depth cap (5) and past it
  // (all shown at 5). The name is the one the page shows that comment under: an anonymous author stays so.
  function nameParent(target) {
    var depth = /\bdepth-(\d)\b/.exec(target.className);
    var header = target.querySelector("article > header");
    if (!depth || !/^[234]$/.test(depth[1]) || !header || header.querySelector(".in-reply-to")) { return; }
    var branch = target.parentElement.closest("li:not(.comment)");
    var parent = branch && branch.previousElementSibling;
    var author = parent && parent.matches("li.comment") && parent.querySelector("article > header .author");
    if (!author) { return; }  // a placeholder's author is not shown
    var link = document.createElement("a");
    link.className = "in-reply-to";
    link.href = "#" + parent.id;
    link.textContent = "in reply to " + author.textContent;
    var time = header.querySelector("a[href^='#comment-']");
    header.insertBefore(document.createTextNode(" "), time ? time.nextSibling : null);
    header.insertBefore(link, time ? time.nextSibling.nextSibling : null);
  }

  function land() {
    var id = location.hash.slice(1);
    if (!/^comment-\d+$/.test(id)) { return; }
    var target = document.getElementById(id);
    if (!target || !list.contains(target)) { return; }
    for (var box = target.closest("details"); box; box = box.parentElement.closest("details")) { box.open = true; }
    list.querySelectorAll(".is-landed").forEach(function (el) { el.classList.remove("is-landed"); });
    target.classList.add("is-landed");
    nameParent(target);
    measureHeader();
    target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }

  function tools() {
    var branches = list.querySelectorAll("li:not(.comment) > details");
    var heading = document.getElementById("comments-heading");
    if (!branches.length || !heading) { return; }
    var top = list.querySelectorAll(":scope > li:not(.comment) > details");
    var line = document.createElement("p");
    var button = document.createElement("button");
    line.className = "thread-tools";
    button.type = "button";
    button.className = "button-secondary";
    line.appendChild(button);
    heading.parentNode.insertBefore(line, heading.nextSibling);

    function anyOpen() {
      return Array.prototype.some.call(top, function (box) { return box.open; });
    }
    function label() {
      button.textContent = anyOpen() ? "Collapse all replies" : "Expand all replies";
    }
    button.addEventListener("click", function () {
      // Collapsing closes the top-level branches (one click on a branch then shows it as it was); expanding opens all.
      if (anyOpen()) {
        top.forEach(function (box) { box.open = false; });
      } else {
        branches.forEach(function (box) { box.open = true; });
      }
      label();
    });
    list.addEventListener("toggle", label, true);  // toggle does not bubble: caught on the way down
    label();
  }

  tools();
  land();
  window.addEventListener("hashchange", land);
  // A link to the comment already in the address bar changes no hash: land on it again all the same.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#comment-']");
    if (link && link.getAttribute("href") === location.hash) { setTimeout(land, 0); }
  });
})();
