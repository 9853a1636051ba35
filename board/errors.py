"""Board's own error pages, and a refused form post shown again with what was typed, so nothing typed is lost."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db, limiter

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not available this way",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Board is busy",
}

# Why a post was refused, in one line; each says nothing was saved, and what pressing the button again will do.
REFUSED = {
    "csrf": "Board could not confirm this form came from you: the page was open a long time, or you logged in or out "
    "in another tab. Nothing was saved yet. Your text is below: press the button to send it again.",
    429: "You are sending faster than Board allows. Nothing was saved yet. Your text is below: wait a minute, then "
    "press the button to send it again.",
    503: "Board is too busy to save this right now. Nothing was saved yet. Your text is below: press the button to "
    "send it again in a moment.",
    500: "Something went wrong on our side, and this may not have been saved. Your text is below: press the button "
    "to send it again (it will not be posted twice).",
}

# Fields shown again for editing; everything else a form sent is carried in hidden inputs, and passwords never.
TEXT_AREAS = {"body": "Text", "prompt": "Discussion prompt", "source": "Source", "description": "Description"}
TEXT_INPUTS = {"title": "Title", "week": "Week", "note": "Note", "reason": "Reason", "name": "Name"}
PASSWORD_FIELDS = {"password", "current_password", "new_password", "confirm"}


@dataclass
class KeptField:
    """One submitted field as the refused page shows it again: kind is 'textarea', 'text', 'password' or 'hidden'."""

    name: str
    value: str
    kind: str
    label: str = ""


def kept_fields(form) -> list[KeptField]:
    """The fields of a refused post, to send again: a fresh CSRF token replaces the old one, passwords are blank."""
    kept = []
    for name in form:
        if name == "csrf_token":
            continue
        if name in PASSWORD_FIELDS:
            kept.append(KeptField(name, "", "password", "Password" if name == "password" else name.replace("_", " ")))
            continue
        for value in form.getlist(name):
            if name in TEXT_AREAS:
                kept.append(KeptField(name, value, "textarea", TEXT_AREAS[name]))
            elif name in TEXT_INPUTS:
                kept.append(KeptField(name, value, "text", TEXT_INPUTS[name]))
            else:
                kept.append(KeptField(name, value, "hidden"))
    return kept


def _refusal(error: Exception, code: int) -> str | None:
    """The explanation when `error` refused a form post that can be sent again as it was; None otherwise."""
    if request.method != "POST":
        return None
    if isinstance(error, CSRFError):
        return REFUSED["csrf"]
    return REFUSED.get(code)


def _render(error: Exception, code: int):
    explanation = _refusal(error, code)
    fields, dropped = [], []
    if explanation is not None:
        try:
            fields = kept_fields(request.form)
            # A file cannot be carried in the form sent again: say which to choose again (a composer's upload).
            dropped = [file.filename for file in request.files.values() if file.filename]
        except HTTPException:
            explanation = None  # the body itself was refused (too large, malformed): nothing to show again
    return (
        render_template(
            "error.html",
            code=code,
            title=TITLES.get(code, "Error"),
            explanation=explanation,
            fields=fields,
            dropped=dropped,
        ),
        code,
    )


def handle_http_error(error: HTTPException):
    """Board's page for an HTTP error; a refused post also shows its form again, filled in. The error's own headers
    (Retry-After on 429 and 503, Allow on 405) are kept. A refusal that brought its own response (the live
    preview's JSON, board/rate_limits.py) is sent as it is."""
    if error.response is not None:
        return error.response
    response = make_response(_render(error, error.code or 500))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if error.code == 429 and "Retry-After" not in response.headers and limiter.current_limit is not None:
        # Flask-Limiter's refusal: when the window that was used up starts again.
        response.headers["Retry-After"] = str(max(1, int(limiter.current_limit.reset_at - time.time())))
    return response


def handle_server_error(error: InternalServerError):
    """Board's page for a crash; the database session is rolled back first so the page itself can load the user."""
    try:
        db.session.rollback()
        return _render(error, 500)
    except Exception:  # the layout needs the database; if that is what broke, a bare page still keeps the text
        log.exception("error page failed")
        return _bare_page(), 500


def _bare_page() -> str:
    text = ""
    try:
        text = request.form.get("body", "")
    except HTTPException:  # the body itself was refused: there is no text to keep
        pass
    kept = f"<p>Your text, to copy:</p><textarea rows=10 cols=60>{escape(text)}</textarea>" if text else ""
    return f"<!doctype html><title>Something went wrong · Board</title><h1>Something went wrong</h1>{kept}"


def register_error_pages(app: Flask) -> None:
    """Show Board's own page for every error the app answers with."""
    for code in TITLES:
        if code != 500:
            app.register_error_handler(code, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
