// Pictures and files in a composer: a button, drag and drop onto the text, or a pasted picture. Each file is
// uploaded on its own (POST /c/<slug>/uploads, board/uploads/routes.py) and its Markdown put at the cursor; a picture
// asks for its description first. Without this file, the form's own file input sends it with the form
// (posts/_composer.html, attach_files; board/posts/attachments.py). Nothing typed is ever changed by a refusal: only
// the line this file put in for the upload goes.
(function () {
  "use strict";

  var SESSION_ENDED = "Your session has ended: sign in again in another tab, then try the upload again; your text is kept.";
  var NETWORK = "The upload did not reach Board: the connection may have dropped. Nothing was uploaded and your text "
    + "is kept; try again in a moment.";
  var asked = 0;  // numbers the description prompts' ids

  function escapeLabel(text) {
    // As the server writes a label (board/uploads/services.py, _label): whitespace folded, brackets escaped.
    return text.split(/\s+/).filter(Boolean).join(" ").replace(/([\\\[\]])/g, "\\$1");
  }

  function control(box) {
    var area = document.getElementById(box.getAttribute("data-upload-for"));
    var form = area && area.form;
    // A control without settings of its own (the post page's hidden reply composer) shares the page's other one.
    var settings = box.hasAttribute("data-upload") ? box : document.querySelector(".attach[data-upload]");
    if (!form || !settings || !window.FormData || !window.XMLHttpRequest) { return; }
    var url = settings.getAttribute("data-upload");
    var limit = parseInt(settings.getAttribute("data-upload-limit"), 10) || 0;
    var limitText = settings.getAttribute("data-upload-limit-text");

    // The plain input goes, so that the form never sends a file twice; this control takes its place.
    var plain = box.querySelector(".attach-plain");
    if (plain) { plain.hidden = true; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-secondary attach-button";
    button.textContent = "Add picture or file";
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    var types = settings.querySelector("input[name=attachment]");
    input.accept = types ? types.accept : "";
    input.className = "visually-hidden attach-input";
    input.tabIndex = -1;
    input.setAttribute("aria-hidden", "true");
    var hint = document.createElement("span");
    hint.className = "hint attach-hint";
    hint.textContent = "or drop or paste it into the text · up to " + limitText;
    var status = document.createElement("div");
    status.className = "attach-status";
    status.setAttribute("aria-live", "polite");
    box.insertBefore(status, box.firstChild);
    box.insertBefore(hint, status);
    box.insertBefore(input, hint);
    box.insertBefore(button, input);

    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, send);
      input.value = "";
    });
    area.addEventListener("dragover", function (event) {
      if (hasFiles(event.dataTransfer)) { event.preventDefault(); area.classList.add("is-dropping"); }
    });
    area.addEventListener("dragleave", function () { area.classList.remove("is-dropping"); });
    area.addEventListener("drop", function (event) {
      area.classList.remove("is-dropping");
      if (!hasFiles(event.dataTransfer)) { return; }
      event.preventDefault();
      Array.prototype.forEach.call(event.dataTransfer.files, send);
    });
    area.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (!files || !files.length) { return; }  // plain text pastes as usual
      event.preventDefault();
      Array.prototype.forEach.call(files, send);
    });

    function hasFiles(transfer) {
      return transfer && Array.prototype.indexOf.call(transfer.types || [], "Files") !== -1;
    }

    // A message under the box: its own line, removable, spoken by the live region.
    function say(text, kind) {
      var line = document.createElement("p");
      line.className = kind === "error" ? "error attach-error" : "hint attach-note";
      line.textContent = text;
      status.appendChild(line);
      return line;
    }

    function clearErrors() {
      status.querySelectorAll(".attach-error").forEach(function (el) { el.remove(); });
    }

    // The text changed by this file: the draft is saved, the preview and word count follow (board.js listens).
    function changed() {
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }

    // Put `text` at the cursor on a line of its own; the cursor ends after it. Returns what was added, so that a
    // refusal can take exactly that out again.
    function insertLine(text) {
      var value = area.value, start = area.selectionStart, end = area.selectionEnd;
      if (typeof start !== "number") { start = end = value.length; }
      var before = value.slice(0, start), after = value.slice(end);
      var line = (before && !/\n$/.test(before) ? "\n" : "") + text + (/^\n/.test(after) ? "" : "\n");
      area.value = before + line + after;
      area.selectionStart = area.selectionEnd = before.length + line.length;
      changed();
      return line;
    }

    // Replace the first `old` in the text (the upload's own line), the cursor kept where it was in the text around.
    function replace(old, text) {
      var value = area.value, at = value.indexOf(old);
      if (at === -1) { return false; }
      var start = area.selectionStart, end = area.selectionEnd, shift = text.length - old.length;
      area.value = value.slice(0, at) + text + value.slice(at + old.length);
      if (typeof start === "number") {
        area.selectionStart = start > at ? Math.max(at, start + shift) : start;
        area.selectionEnd = end > at ? Math.max(at, end + shift) : end;
      }
      changed();
      return true;
    }

    function send(file) {
      clearErrors();
      if (limit && file.size > limit) {
        say("“" + file.name + "” is larger than " + limitText + ", the most Board takes for one file. Nothing was "
          + "uploaded and your text is kept: make it smaller and try again.", "error");
        return;
      }
      var placeholder = "![Uploading " + escapeLabel(file.name || "picture") + "…]()";
      var added = insertLine(placeholder);
      var progress = document.createElement("p");
      progress.className = "attach-progress";
      var label = document.createElement("span");
      label.textContent = "Uploading " + (file.name || "picture") + "…";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.setAttribute("aria-label", "Uploading " + (file.name || "picture"));
      progress.appendChild(label);
      progress.appendChild(bar);
      status.appendChild(progress);

      var data = new FormData();
      var token = form.querySelector("input[name=csrf_token]");
      data.append("csrf_token", token ? token.value : "");
      data.append("file", file, file.name || "pasted.png");
      var request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("Accept", "application/json");
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
      };
      request.onload = function () {
        progress.remove();
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
        if (request.status === 201 && answer && answer.markdown) {
          if (!replace(placeholder, answer.markdown)) { insertLine(answer.markdown); }
          if (answer.kind === "image") { describe(answer.markdown, file.name); }
          return;
        }
        refused(added, placeholder, refusal(request.status, answer));
      };
      request.onerror = function () { progress.remove(); refused(added, placeholder, NETWORK); };
      request.send(data);
    }

    function refusal(code, answer) {
      // 400: the CSRF token outlived its session; a 2xx other than 201 is the login page, after a redirect.
      if (code === 400 || code === 401 || code === 403 || (code >= 200 && code < 300)) { return SESSION_ENDED; }
      if (answer && answer.error) { return answer.error; }
      if (code === 413) {
        return "This file is larger than Board takes in one upload. Nothing was uploaded and your text is kept.";
      }
      if (code === 429) { return "You are sending faster than Board allows. Nothing was uploaded and your text is kept: wait a minute, then try again."; }
      return "The upload did not work (" + code + "). Nothing was uploaded and your text is kept; try again in a moment.";
    }

    function refused(added, placeholder, message) {
      if (!replace(added, "")) { replace(placeholder, ""); }
      say(message, "error");
    }

    // A picture's description, asked under the box: a labelled field and an Insert button; it may not be empty. The
    // Markdown is in the text already (with empty brackets), so the text is whole even if the prompt is left open.
    function describe(markdown, name) {
      var id = "attach-alt-" + (++asked);
      var prompt = document.createElement("div");
      prompt.className = "attach-alt";
      var label = document.createElement("label");
      label.id = id + "-label";
      label.htmlFor = id;
      label.textContent = "Describe the picture for someone who cannot see it";
      var field = document.createElement("input");
      field.type = "text";
      field.id = id;
      field.maxLength = 500;
      field.setAttribute("aria-describedby", id + "-hint");
      var note = document.createElement("span");
      note.className = "hint";
      note.id = id + "-hint";
      note.textContent = name ? "(" + name + ")" : "";
      var insert = document.createElement("button");
      insert.type = "button";
      insert.className = "button-secondary";
      insert.textContent = "Insert";
      var problem = document.createElement("p");
      problem.className = "error";
      problem.id = id + "-error";
      problem.hidden = true;
      problem.textContent = "Write a few words first: a picture needs a description.";
      prompt.appendChild(label);
      prompt.appendChild(field);
      prompt.appendChild(insert);
      prompt.appendChild(note);
      prompt.appendChild(problem);
      status.appendChild(prompt);
      field.focus();

      function done() {
        var alt = escapeLabel(field.value);
        if (!alt) {
          problem.hidden = false;
          field.setAttribute("aria-invalid", "true");
          field.setAttribute("aria-describedby", id + "-hint " + id + "-error");
          field.focus();
          return;
        }
        replace(markdown, "![" + alt + "]" + markdown.slice(markdown.indexOf("](") + 1));
        prompt.remove();
        area.focus();
      }
      insert.addEventListener("click", done);
      field.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); done(); }  // Enter would send the whole form
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".attach[data-upload-for]").forEach(control);
  });
})();
