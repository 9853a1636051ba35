// Small progressive enhancements; every feature works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  function localTimes(root) {
    var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.title = el.textContent; el.textContent = fmt.format(when); }
    });
  }

  // Drafts: what is typed in a composer (form[data-draft]) is kept in this browser until it is posted, so a reload or
  // a crashed tab loses nothing. The key is the form's target and the comment it replies to, which the page shown
  // again after a refusal (error in the form, stale token) shares with the page it came from.
  var DRAFT_PREFIX = "board-draft:";
  var SENT = "board-draft-sent";

  function draftKey(form) {
    var parent = form.querySelector("input[name=parent_id]");
    return DRAFT_PREFIX + new URL(form.action, location.href).pathname + "|" + (parent ? parent.value : "");
  }

  function draftFields(form) {
    return form.querySelectorAll("textarea[name], input[type=text][name]");
  }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // blocked storage: no drafts, nothing breaks
  }

  function drafts(root) {
    var local = storage("localStorage"), session = storage("sessionStorage");
    if (!local || !session) { return; }
    var forms = root.querySelectorAll("form[data-draft]");
    // The last form sent: if this page does not show it again refused, it was posted, and its draft goes.
    var sent = session.getItem(SENT);
    session.removeItem(SENT);
    if (sent) {
      var refusedAgain = Array.prototype.some.call(forms, function (form) {
        return draftKey(form) === sent && (form.querySelector(".error") || form.classList.contains("refused-form"));
      });
      if (!refusedAgain) { local.removeItem(sent); }
    }
    forms.forEach(function (form) {
      var key = draftKey(form), saved = null;
      try { saved = JSON.parse(local.getItem(key) || "null"); } catch (e) { saved = null; }
      if (saved) {
        var restored = false;
        draftFields(form).forEach(function (el) {
          if (!el.value && saved[el.name]) { el.value = saved[el.name]; restored = true; }
        });
        var details = form.closest("details");
        if (restored && details) { details.open = true; }
      }
      form.addEventListener("input", function () {
        var values = {}, any = false;
        draftFields(form).forEach(function (el) { values[el.name] = el.value; any = any || !!el.value.trim(); });
        if (any) { local.setItem(key, JSON.stringify(values)); } else { local.removeItem(key); }
      });
      form.addEventListener("submit", function () { session.setItem(SENT, key); });
    });
  }

  // A field refused by the server is brought into view, with the cursor in it, wherever its form is on the page.
  function showFirstError(root) {
    var field = root.querySelector("form [aria-invalid=true], .kept-text textarea");
    if (!field) { return; }
    var details = field.closest("details");
    if (details) { details.open = true; }
    field.focus({ preventScroll: true });
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    // The browser's time zone, so a due date typed in local time is stored correctly.
    document.querySelectorAll("input[data-timezone]").forEach(function (el) {
      try { el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* keep UTC */ }
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var text = document.querySelector(button.getAttribute("data-copy")).textContent.trim();
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        });
      });
    });
    drafts(document);
    showFirstError(document);
    // Opening a reply form puts the cursor in it.
    document.querySelectorAll("details.reply").forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (details.open) { var area = details.querySelector("textarea"); if (area) { area.focus(); } }
      });
    });
  });
})();

// Likes update in place; without JavaScript the form posts and the page returns to the same place.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("like-form") || !window.fetch) { return; }
  event.preventDefault();
  var button = form.querySelector("button");
  button.disabled = true;
  fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "Accept": "application/json" },
    credentials: "same-origin"
  }).then(function (response) {
    if (!response.ok) { throw new Error("like failed"); }
    return response.json();
  }).then(function (data) {
    form.querySelector("input[name=liked]").value = data.liked ? "0" : "1";
    button.setAttribute("aria-pressed", data.liked ? "true" : "false");
    button.textContent = data.liked ? "★ Liked" : "☆ Like";
    var count = form.parentNode.querySelector(".like-count");
    count.textContent = data.count ? data.label : "";
    count.classList.toggle("is-empty", !data.count);
  }).catch(function () {
    form.submit();
  }).finally(function () { button.disabled = false; });
});
