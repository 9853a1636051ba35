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
