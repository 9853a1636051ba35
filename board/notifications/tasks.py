"""Notification jobs: the email of one notification or one digest, and the fan-out of an item's mentions (outbox
rows, board/outbox/); and the hourly digests.

A comment naming a thousand people returns as fast as one naming nobody: its request only adds an outbox row for
the item (services._fan_out_later), and a worker tells the people it names (services.fan_out_mentions).
"""

from __future__ import annotations

from datetime import datetime

from huey import crontab

from .. import outbox
from ..extensions import huey, in_app_context
from . import batches, services


@outbox.handler(services.EMAIL_KIND)
def email_notification(payload: dict) -> None:
    """Email one notification, if it is still wanted and may still be seen (checked now, at send time)."""
    services.email_notification(payload["notification_id"], message_id=payload["message_id"])


@outbox.handler(services.DIGEST_KIND)
def email_digest(payload: dict) -> None:
    """Email one person's digest of a period, built now (at send time) from what they may still see."""
    services.email_digest(
        payload["user_id"],
        payload["frequency"],
        datetime.fromisoformat(payload["period_start"]),
        datetime.fromisoformat(payload["period_end"]),
        message_id=payload["message_id"],
    )


@outbox.handler(services.THREAD_BATCH_KIND)
def email_thread_batch(payload: dict) -> None:
    """Email one person one thread's comments of one hour, built now (at send time) from what they may still see."""
    batches.email_thread_batch(
        payload["user_id"],
        payload["post_id"],
        datetime.fromisoformat(payload["window_start"]),
        datetime.fromisoformat(payload["window_end"]),
        message_id=payload["message_id"],
    )


@outbox.handler(services.MENTIONS_KIND)
def fan_out_mentions(payload: dict) -> None:
    """Tell the people a post or comment names, each once ever (checked again now, at run time)."""
    services.fan_out_mentions(payload["item_kind"], payload["item_id"])


# Every hour, a few minutes past: each run sends the digests of the last whole day and week that are not sent yet
# (DigestSent records them), so a run missed while no worker was up is made good by the next one.
@huey.periodic_task(crontab(minute="5"))
@in_app_context
def send_digests() -> None:
    """Send the daily and weekly digests that are due."""
    services.send_digests("daily")
    services.send_digests("weekly")
