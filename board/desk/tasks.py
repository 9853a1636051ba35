"""Desk jobs: the email of one nudge (an outbox row, board/outbox/)."""

from __future__ import annotations

from .. import outbox
from . import nudges


@outbox.handler(nudges.EMAIL_KIND)
def send_nudge(payload: dict) -> None:
    """Email one reminder to respond to a reading (nudges.deliver decides whether it is still due, and says what)."""
    nudges.deliver(payload["nudge_id"], message_id=payload["message_id"])
