"""The outbox's jobs: a delivery queued after each commit that added rows, the same delivery every minute as a sweep
(it finds whatever a lost job, an unreachable queue or a dead worker left), and an hourly clean-up."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import huey, in_app_context
from . import service

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def deliver() -> None:
    """Deliver every outbox row that is due (queued after a commit, and run every minute as a sweep)."""
    service.deliver_due()


@huey.periodic_task(crontab(minute="23"))
@in_app_context
def purge() -> None:
    """Delete outbox rows done long ago (hourly)."""
    service.purge()


def queue_delivery() -> None:
    """Queue a delivery now. Best effort: with the queue unreachable the rows wait for the sweep, and the caller,
    whose transaction has committed, carries on."""
    if huey.immediate:
        deliver()  # runs here and now; its errors are the test's to see
        return
    try:
        deliver()
    except Exception as error:  # noqa: BLE001  (Redis down, say: never an error page for a committed change)
        logger.warning("Could not queue the outbox's delivery (%r); the worker's sweep delivers it later.", error)


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session) -> None:
    if session.info.pop(service.ADDED, None):
        queue_delivery()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(service.ADDED, None)
