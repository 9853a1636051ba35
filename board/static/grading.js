// The responses walk's grade form (templates/desk/_walk_grade.html): Ctrl+Enter, or Cmd+Enter, anywhere in the form
// presses "Save and next". Without this file the buttons do the same.
(function () {
  "use strict";
  var form = document.querySelector("form.walk-grade-form");
  if (!form) { return; }
  var onward = form.querySelector("button[name=next]");
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) { return; }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(onward); } else { onward.click(); }
  });
})();
