"""The page after a successful post names the submission key of the item it created (body[data-confirmed]), and the
browser removes the draft it sent with that key, and only that one (board.js). Any other page (a form's errors, an
error page, the login page, a proxy's page) confirms nothing, so the draft stays until the item exists."""

from flask import flash, get_flashed_messages

CONFIRMED = "submission-confirmed"  # a flash category: carried to the next page, never shown as a message


def confirm(key: str | None) -> None:
    """Tell the next page this browser loads that the item sent with `key` exists (made now, or by an earlier send)."""
    if key:
        flash(key, CONFIRMED)


def confirmed_keys() -> list[str]:
    """The submission keys confirmed to this page; the layout hides them from the page's messages."""
    return get_flashed_messages(category_filter=[CONFIRMED])
