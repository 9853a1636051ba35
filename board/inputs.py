"""What a request may carry into Board: every form and query value cleaned in one place before any view reads it."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from .models import MAX_ID

NUL = "\x00"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def register_input_cleaning(app: Flask) -> None:
    """Strip NUL characters from every form and query value, and refuse them in URL parts, before any view runs."""
    app.before_request(_strip_nul)


def _strip_nul() -> None:
    # PostgreSQL cannot store NUL in text (psycopg raises, a 500) while SQLite keeps it: strip it from every value so
    # both databases save the same text, and no form, service or query needs to know.
    if any(isinstance(value, str) and NUL in value for value in (request.view_args or {}).values()):
        abort(404)  # no slug or other URL part contains one, so nothing by that name exists
    if _has_nul(request.args):
        request.args = _without_nul(request.args)
    # Only a form body fills request.form (Werkzeug parses no other type into it), and parsing an empty one for every
    # GET cost as much as the rest of this check.
    if request.mimetype in _FORM_TYPES and _has_nul(request.form):
        request.form = _without_nul(request.form)
    request.__dict__.pop("values", None)  # request.values combines the two; rebuild it from the cleaned ones


def _has_nul(values: MultiDict) -> bool:
    return any(NUL in key or NUL in value for key, value in values.items(multi=True))


def _without_nul(values: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict((key.replace(NUL, ""), value.replace(NUL, "")) for key, value in values.items(multi=True))


def database_id(value: str) -> int:
    """A request value read as a row id; ValueError unless it is a number a database id can be (1 to MAX_ID)."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"{value!r} is not a database id")
    return number
