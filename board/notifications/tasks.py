"""The notifications' queue tasks: the fan-out of an item's mentions, queued once the save that asked for it commits.

A comment naming a thousand people returns as fast as one naming nobody: its request only records the item
(services._fan_out_later), and a worker tells the people it names (services.fan_out_mentions).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..jobs import _in_app_context, huey
from . import services


@huey.task()
@_in_app_context
def fan_out_mentions(item_kind: str, item_id: int) -> None:
    """Tell the people a post or comment names, each once ever (checked again now, at run time)."""
    services.fan_out_mentions(item_kind, item_id)


@event.listens_for(Session, "after_commit")
def _fan_out_after_commit(session) -> None:
    """Queue the fan-out of each item whose mentions a transaction may have changed, once it is committed."""
    for item_kind, item_id in sorted(session.info.pop(services.MENTIONS_PENDING, ())):
        try:
            fan_out_mentions(item_kind, item_id)
        except Exception:  # the item is saved: an unreachable queue must not turn it into a 500
            current_app.logger.exception("Could not queue the mentions of %s %s", item_kind, item_id)
