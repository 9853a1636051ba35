// Small progressive enhancements; every feature works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  // The header's menu (a <details>) is always open on a desktop through CSS's ::details-content; a browser without
  // it would hide the navigation behind the menu button there, so it is opened for it on wide screens.
  var menu = document.querySelector("details.site-menu");
  if (menu && window.CSS && !CSS.supports("selector(::details-content)") && window.matchMedia("(min-width: 721px)").matches) {
    menu.open = true;
  }

  // Times in the viewer's language. A <time data-zone> is shown in the zone the server used (the person's chosen
  // zone, else the course's: board/timezones.py), so page and script agree; without it, in the browser's zone.
  // A comment's time carries no data-zone of its own (a long thread has hundreds): the page's body names the zone.
  var pageZone = document.body.getAttribute("data-zone");
  function localTimes(root) {
    var formats = {};
    function formatFor(zone) {
      var key = zone || "";
      if (!formats[key]) {
        var options = { dateStyle: "medium", timeStyle: "short" };
        if (zone) { options.timeZone = zone; }
        try { formats[key] = new Intl.DateTimeFormat(undefined, options); } catch (e) { formats[key] = null; }
      }
      return formats[key];
    }
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime")), fmt = formatFor(el.getAttribute("data-zone") || pageZone);
      if (!isNaN(when) && fmt) { el.title = el.textContent; el.textContent = fmt.format(when); }
    });
  }

  // The person's time zone, asked once: the page carries form#ask-time-zone only while none is stored, and the
  // server stores it only then (POST /account/time-zone, with the CSRF token the form carries in data-csrf).
  function askTimeZone() {
    var form = document.getElementById("ask-time-zone"), asked = "board-time-zone-asked";
    if (!form || !window.fetch || !window.FormData) { return; }
    var zone = form.querySelector("input[name=time_zone]");
    try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!zone.value || (session && session.getItem(asked))) { return; }
    if (session) { session.setItem(asked, "1"); }
    var body = new FormData(form);
    body.append("csrf_token", form.getAttribute("data-csrf"));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }

  // Drafts: what is typed in a composer (form[data-draft]) is kept in this browser until the server confirms the item
  // it made, so a reload, a crashed tab, an error page, a proxy's page, a lost connection or a login on the way loses
  // nothing. The key is the form's target and the comment it replies to, which the page shown again after a refusal
  // (error in the form, stale token) shares with the page it came from.
  var DRAFT_PREFIX = "board-draft:";
  // A draft is kept with the submission key it was sent with. The page after a successful post names the keys of
  // the items it made (body[data-confirmed], board/posts/submissions.py), and only the drafts sent with them go.
  var SENT_WITH = "submission_key";
  // A form without a submission key (a refused form of another kind, shown again) cannot be confirmed: its draft goes
  // when the next page does not show it refused again.
  var SENT = "board-draft-sent";

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // blocked storage: no drafts, nothing breaks
  }
  var local = storage("localStorage"), session = storage("sessionStorage");

  // Drafts belong to the person signed in (body[data-drafts]): on a shared computer, the next person never sees them,
  // and logging out deletes them from this browser.
  var owner = document.body.getAttribute("data-drafts") || "";

  function draftKey(form) {
    var parent = form.querySelector("input[name=parent_id]");
    if (parent && !parent.value) { return null; }  // the reply composer before it is opened under a comment
    return keyFor(form, parent ? parent.value : "");
  }

  function keyFor(form, parentId) {
    return DRAFT_PREFIX + owner + "|" + new URL(form.action, location.href).pathname + "|" + parentId;
  }

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < local.length; i++) {
      var key = local.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }

  function readDraft(key) {
    try { return JSON.parse(local.getItem(key) || "null"); } catch (e) { return null; }
  }

  function forgetDrafts() {
    if (local) { draftKeys().forEach(function (key) { local.removeItem(key); }); }
  }
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-forget-drafts")) { forgetDrafts(); }
  });

  // The drafts whose items this page confirms, in whichever composer (or tab) they were written.
  function forgetConfirmed() {
    var confirmed = (document.body.getAttribute("data-confirmed") || "").split(" ").filter(Boolean);
    if (!confirmed.length) { return; }
    draftKeys().forEach(function (key) {
      var saved = readDraft(key);
      if (saved && confirmed.indexOf(saved[SENT_WITH]) !== -1) { local.removeItem(key); }
    });
  }

  function draftFields(form) {
    return form.querySelectorAll("textarea[name], input[type=text][name]");
  }

  function saveDraft(form, sentWith) {
    var key = draftKey(form), values = {}, any = false;
    if (!key) { return; }
    draftFields(form).forEach(function (el) { values[el.name] = el.value; any = any || !!el.value.trim(); });
    if (!any) { local.removeItem(key); return; }
    if (sentWith) { values[SENT_WITH] = sentWith; }
    local.setItem(key, JSON.stringify(values));
  }

  // The submission key the form sends: a restored draft's own, so that if its first send was saved but the answer
  // was lost, the server knows the resend (one item, not two); the page's fresh one once the text is new.
  function sendWith(form, key) {
    var input = form.querySelector("input[name=submission_key]");
    if (!input) { return; }
    if (!input.hasAttribute("data-page-key")) { input.setAttribute("data-page-key", input.value); }
    input.value = key || input.getAttribute("data-page-key");
  }

  function restoreDraft(form) {
    var key = draftKey(form), saved = null;
    if (!local || !key) { return false; }
    saved = readDraft(key);
    var restored = false;
    if (saved) {
      draftFields(form).forEach(function (el) {
        if (!el.value && saved[el.name]) { el.value = saved[el.name]; restored = true; }
      });
    }
    if (restored && saved[SENT_WITH]) { sendWith(form, saved[SENT_WITH]); }
    return restored;
  }

  // Text typed while the page was still loading, before this script ran (or put back by the browser on Back), is
  // kept like any other; a draft already sent with exactly that text keeps its submission key.
  function keepEarlyText(form) {
    var fields = draftFields(form), key = draftKey(form);
    var early = Array.prototype.some.call(fields, function (el) { return el.value !== el.defaultValue; });
    if (!early || !key) { return false; }
    var saved = readDraft(key);
    var same = saved && Array.prototype.every.call(fields, function (el) { return (saved[el.name] || "") === el.value; });
    if (same && saved[SENT_WITH]) { sendWith(form, saved[SENT_WITH]); } else { sendWith(form, null); saveDraft(form); }
    return true;
  }

  function drafts(root) {
    if (!local) { return; }
    var forms = root.querySelectorAll("form[data-draft]");
    forgetConfirmed();
    var sent = session && session.getItem(SENT);
    if (sent) {
      session.removeItem(SENT);
      var refusedAgain = Array.prototype.some.call(forms, function (form) {
        return draftKey(form) === sent && (form.querySelector(".error") || form.classList.contains("refused-form"));
      });
      if (!refusedAgain) { local.removeItem(sent); }
    }
    forms.forEach(function (form) {
      keepEarlyText(form) || restoreDraft(form);
      form.addEventListener("input", function () { sendWith(form, null); saveDraft(form); });
      form.addEventListener("submit", function () {
        // Kept as sent (even if logging out in another tab deleted it meanwhile) until a page confirms its item.
        var submission = form.querySelector("input[name=submission_key]"), key = draftKey(form);
        if (submission && submission.value) {
          saveDraft(form, submission.value);
        } else if (session && key) {
          session.setItem(SENT, key);
        }
      });
    });
  }

  // A field refused by the server is brought into view, with the cursor in it, wherever its form is on the page.
  function showFirstError(root) {
    var field = root.querySelector("form [aria-invalid=true], .kept-text textarea");
    if (!field) { return; }
    field.focus({ preventScroll: true });
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
  }

  // The page's one reply composer moves under the comment whose "Reply" link was followed (without JavaScript the
  // link opens the reply page). Its parent_id, label and draft follow it.
  function openReply(link) {
    var form = document.getElementById("reply-form");
    var comment = link.closest("li.comment");
    if (!form || !comment) { return false; }
    var parent = form.querySelector("input[name=parent_id]");
    var id = comment.id.replace("comment-", "");
    var area = form.querySelector("textarea[name=body]");
    if (parent.value !== id) {
      parent.value = id;
      area.value = "";
      form.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      area.removeAttribute("aria-invalid");
      area.removeAttribute("aria-describedby");
      var field = area.closest(".field");
      if (field) { field.classList.remove("has-error"); }
      sendWith(form, null);
      restoreDraft(form);
      area.dispatchEvent(new Event("board:refresh-preview"));
    }
    var author = comment.querySelector("header .author");
    form.querySelector(".reply-to").textContent = author ? author.textContent : "";
    comment.querySelector("article").appendChild(form);
    form.hidden = false;
    document.querySelectorAll("li.comment a[href$='/reply'][aria-expanded]").forEach(function (el) { el.removeAttribute("aria-expanded"); });
    link.setAttribute("aria-expanded", "true");
    area.focus();
    return true;
  }

  // Live preview: what is typed in a textarea[data-preview] goes (after a pause) to the server, which renders it with
  // the code that saves it, and the answer fills the preview panel below. Without JavaScript, the Preview button.
  var PREVIEW_PAUSE = 400;  // ms after the last keystroke

  function livePreview(area) {
    var panel = document.getElementById(area.getAttribute("data-preview-target"));
    var form = area.form;
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!panel || !token || !window.fetch) { return; }
    var output = panel.querySelector(".preview-body"), timer = null, asked = 0, pausedUntil = 0;
    // A 429 (the preview's own rate limit): the last preview stays, a calm note says when it resumes, and the
    // preview asks again once, after Retry-After, with whatever is typed by then.
    var note = document.createElement("p");
    note.className = "hint preview-paused";
    note.hidden = true;
    output.parentNode.insertBefore(note, output);
    function update() {
      var text = area.value, mine = ++asked;
      if (!text.trim()) { panel.hidden = true; output.innerHTML = ""; note.hidden = true; return; }
      var wait = pausedUntil - Date.now();
      if (wait > 0) { clearTimeout(timer); timer = setTimeout(update, wait); return; }
      var data = new FormData();
      data.append("csrf_token", token.value);
      data.append("body", text);
      fetch(area.getAttribute("data-preview"), {
        method: "POST", body: data, headers: { "Accept": "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 429) {
          var seconds = parseInt(response.headers.get("Retry-After"), 10) || 30;
          pausedUntil = Date.now() + seconds * 1000;
          return response.json().catch(function () { return {}; }).then(function (answer) {
            return { paused: answer.error || "The preview pauses for a moment. Your text is safe." };
          });
        }
        return response.json();
      }).then(function (answer) {
        if (mine !== asked) { return; }  // an older answer arriving late
        if (answer.paused) {
          note.textContent = answer.paused;
          note.hidden = false;
          panel.hidden = false;
          clearTimeout(timer);
          timer = setTimeout(update, pausedUntil - Date.now());
          return;
        }
        note.hidden = true;
        output.innerHTML = answer.html !== undefined ? answer.html : "";
        if (answer.error) { output.textContent = answer.error; }
        panel.hidden = false;
      }).catch(function () { /* the Preview button still works */ });
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, PREVIEW_PAUSE); });
    area.addEventListener("board:refresh-preview", update);
    if (area.value.trim() && panel.hidden) { update(); }
  }

  document.addEventListener("click", function (event) {
    var jump = event.target.closest && event.target.closest("a[href='#comment-form']");
    if (jump) {
      var box = document.querySelector("#comment-form textarea[name=body]");
      if (box) { setTimeout(function () { box.focus(); }, 0); }
    }
    var link = event.target.closest && event.target.closest("li.comment a[href$='/reply']");
    if (link && openReply(link)) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    askTimeZone();
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
    document.querySelectorAll("textarea[data-preview]").forEach(livePreview);
    // A reply draft kept from before a reload reopens its composer under its comment.
    var reply = document.getElementById("reply-form");
    if (reply && reply.hidden && local) {
      document.querySelectorAll("li.comment a[href$='/reply']").forEach(function (link) {
        var id = link.closest("li.comment").id.replace("comment-", "");
        if (reply.hidden && local.getItem(keyFor(reply, id))) { openReply(link); }
      });
    }
    showFirstError(document);
  });
})();

// Confirmations: on a form (data-confirm) or on the button that sends it.
document.addEventListener("submit", function (event) {
  var form = event.target, button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
});

// Likes update in place; without JavaScript the button posts the page's shared form and the page returns to the
// same place.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (event.defaultPrevented || !button || button.name !== "liked" || !window.fetch) { return; }
  if (button.getAttribute("data-plain")) { button.removeAttribute("data-plain"); return; }
  event.preventDefault();
  var form = event.target;
  button.disabled = true;
  fetch(button.formAction, {
    method: "POST",
    body: new FormData(form, button),
    headers: { "Accept": "application/json" },
    credentials: "same-origin"
  }).then(function (response) {
    if (!response.ok) { throw new Error("like failed"); }
    return response.json();
  }).then(function (data) {
    button.value = data.liked ? "0" : "1";
    button.setAttribute("aria-pressed", data.liked ? "true" : "false");
    button.textContent = data.liked ? "★ Liked" : "☆ Like";
    var count = button.parentNode.querySelector(".like-count");
    if (!count.getAttribute("href")) { count.setAttribute("href", button.getAttribute("formaction") + "s"); }
    count.textContent = data.count ? data.label : "";
    count.classList.toggle("is-empty", !data.count);
  }).catch(function () {
    button.disabled = false;
    button.setAttribute("data-plain", "1");  // the plain post this time, without this handler
    form.requestSubmit(button);
  }).finally(function () { button.disabled = false; });
});

// --- nextstep: the response composer's live word count against its reading's gate ("12 / 100 words"). ---
// The server counts with board.markdown.word_count, Python's str.split(): runs of whitespace as str.isspace() has it.
// The same characters here (JavaScript's \s differs: it has U+FEFF and lacks U+001C–U+001F and U+0085), so the
// count the composer shows is the count that unlocks. tests/browser/test_next_step.py feeds both the same texts.
var BoardWords = (function () {
  "use strict";
  var SPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

  function countWords(text) {
    return (text || "").split(SPACE).filter(function (word) { return word !== ""; }).length;
  }

  function counter(output) {
    var area = document.getElementById(output.getAttribute("data-word-count"));
    var goal = parseInt(output.getAttribute("data-min-words"), 10) || 0;
    if (!area) { return; }
    var shown = null;
    function update() {
      var words = countWords(area.value);
      if (words === shown) { return; }  // the live region speaks only when the number changes
      shown = words;
      output.textContent = words + " / " + goal + " words" + (words >= goal ? ": enough to unlock" : "");
      output.classList.toggle("is-enough", words >= goal);
    }
    area.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-word-count]").forEach(counter);
  });
  return { count: countWords };
})();
// --- end nextstep ---
