"""How large a request may be: the composers and the upload endpoint take a file, every other form keeps the small
limit (MAX_CONTENT_LENGTH). Set before Flask-WTF's CSRF check reads the body, so it must be registered first."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_login import current_user

#: The views whose forms carry a file (the composers, without JavaScript) or are the upload endpoint itself.
TAKES_FILES = frozenset(
    {
        "uploads.create",
        "posts.new_reading",
        "posts.new_response",
        "posts.edit",
        "posts.comment",
        "posts.reply",
        "posts.edit_comment",
    }
)


def request_limit() -> int:
    """The most a request with a file may send: well above one file's limit, so that a file a little too large is
    read and refused with the form shown again (its text kept), rather than cut off with nothing kept."""
    file_bytes = current_app.config["UPLOADS_MAX_FILE_BYTES"]
    return max(4 * file_bytes, 64 * 1024 * 1024)


#: The most parts a form with a file may have (the reading form, the largest, has about twenty): each text part may
#: hold MAX_FORM_MEMORY_SIZE in memory, so many parts would make a large body a large allocation.
FORM_PARTS = 50


def _raise_for_files() -> None:
    # Only a multipart body can carry a file (the same form sent urlencoded keeps the small limit), and only a
    # signed-in person may send one: nobody else gets a worker to read a large body.
    if (
        request.method == "POST"
        and request.endpoint in TAKES_FILES
        and request.mimetype == "multipart/form-data"
        and current_user.is_authenticated
    ):
        request.max_content_length = request_limit()
        request.max_form_parts = FORM_PARTS


def init_app(app: Flask) -> None:
    app.before_request(_raise_for_files)
