// Read tracking: once the post page has been shown (loaded, and its tab visible), post its "Mark as read" form in the
// background, so the comments it showed are not new on the next visit. Without this script, the button does it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-read-beacon]");
  if (!form || !navigator.sendBeacon || !window.FormData) { return; }
  var sent = false;

  function report() {
    if (sent || document.visibilityState !== "visible") { return; }
    sent = true;
    var data = new FormData(form);
    data.set("beacon", "1");
    navigator.sendBeacon(form.action, data);
  }

  function start() {
    report();
    document.addEventListener("visibilitychange", report);
  }

  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
})();
