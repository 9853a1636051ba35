"""Adding outbox rows in the caller's transaction, and delivering them: claimed under a lease, marked done in the
same transaction as the handler's own writes, retried with backoff, given up after OUTBOX_MAX_ATTEMPTS."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import mail
from ..extensions import db
from ..models import utcnow
from .models import OutboxItem

#: Set in a session's info when it added a row: after its commit, a delivery is queued (board/outbox/tasks.py).
ADDED = "board_outbox_added"
#: The longest wait between two attempts, however many have failed.
LONGEST_BACKOFF = timedelta(hours=1)
_ERROR_LENGTH = 4000

Handler = Callable[[dict], None]
_handlers: dict[str, Handler] = {}
logger = logging.getLogger(__name__)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `fn(payload)` as the work done for each row of `kind` (run in an app context, in a transaction that
    commits when it returns, or rolls back when it raises, and is retried)."""

    def register(fn: Handler) -> Handler:
        known = _handlers.get(kind)
        if known is not None and known.__qualname__ != fn.__qualname__:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        _handlers[kind] = fn
        return fn

    return register


def add(kind: str, payload: dict, *, key: str | None = None, not_before: datetime | None = None) -> None:
    """Add a row to db.session, in the caller's transaction (which commits it, or rolls it back with everything
    else). A row with the same `key` as one already added is not added again. With `not_before`, the row is not due
    until then (a batch that waits for its window to close); otherwise at once."""
    if kind not in _handlers:
        raise KeyError(f"no outbox handler for {kind!r}")
    now = utcnow()
    due = now if not_before is None else max(now, not_before)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    added = db.session.execute(
        dialect.insert(OutboxItem)
        .values(kind=kind, payload=payload, key=key, created_at=now, next_attempt_at=due, attempts=0)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxItem.id)
    ).first()
    if added is not None:  # None: its key was there already, so there is nothing new to deliver
        db.session.info[ADDED] = True


def email(
    to: str | tuple[str, str],
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
    key: str | None = None,
) -> None:
    """Add one email to the outbox (board/mail.py sends it). Its Message-ID is chosen now, so a second attempt after
    a crash in the middle of sending carries the same one and the receiving side can tell it is the same message."""
    add(
        "email",
        {
            "to": list(to) if isinstance(to, tuple) else to,
            "subject": subject,
            "text": text,
            "html": html,
            "unsubscribe_url": unsubscribe_url,
            "headers": headers,
            "message_id": mail.new_message_id(),
        },
        key=key,
    )


def send_email(payload: dict) -> None:
    """The "email" handler: send what email() stored, with its Message-ID."""
    to = payload["to"]
    mail.send_message(
        tuple(to) if isinstance(to, list) else to,
        payload["subject"],
        payload["text"],
        payload["html"],
        unsubscribe_url=payload.get("unsubscribe_url"),
        headers=payload.get("headers"),
        message_id=payload["message_id"],
    )


handler("email")(send_email)


# Delivering ------------------------------------------------------------------------------------------------------


def deliver_due(limit: int = 1000, now: datetime | None = None) -> int:
    """Deliver the rows that are due, one at a time, until none is left or `limit` were tried; how many were tried.
    `now` (tests) stands for the clock when asking which rows are due and when their leases end.

    Any number of workers may run this at once: each row is claimed before its handler runs (see _claim)."""
    tried = 0
    while tried < limit:
        claimed = _claim(now)
        if claimed is None:
            break
        _run(*claimed)
        tried += 1
    return tried


def _due(now: datetime) -> tuple:
    return (
        OutboxItem.done_at.is_(None),
        OutboxItem.given_up_at.is_(None),
        OutboxItem.next_attempt_at <= now,
        or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
    )


def _claim(now: datetime | None = None) -> tuple[int, str, dict, int] | None:
    """Take the oldest due row for OUTBOX_LEASE_SECONDS and count the attempt, in one committed UPDATE; its id, kind,
    payload and attempt number, or None when nothing is due.

    A worker that dies while holding a row (killed, or its machine lost) leaves the lease to run out; the row is
    then due again. On PostgreSQL the candidate row is locked with SKIP LOCKED, so workers claiming at the same
    moment take different rows instead of waiting on each other; the UPDATE's own condition makes the claim safe on
    SQLite too, where one writer at a time runs it."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    candidate = select(OutboxItem.id).where(*_due(now)).order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    row = db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == candidate.scalar_subquery(), *_due(now))
        .values(claimed_until=now + lease, attempts=OutboxItem.attempts + 1)
        .returning(OutboxItem.id, OutboxItem.kind, OutboxItem.payload, OutboxItem.attempts)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return None if row is None else tuple(row)


def _still_mine(item_id: int, attempt: int) -> tuple:
    """The row as this worker claimed it: not done, not given up, and not claimed again since (a worker whose lease
    ran out while it was still working may have been overtaken; the attempt count is then higher)."""
    return (
        OutboxItem.id == item_id,
        OutboxItem.attempts == attempt,
        OutboxItem.done_at.is_(None),
        OutboxItem.given_up_at.is_(None),
    )


def _run(item_id: int, kind: str, payload: dict, attempt: int) -> None:
    """Run the row's handler; mark the row done in the handler's own transaction, or note the failure.

    The done mark is fenced on the claim: when another worker has claimed the row since (this one outlived its
    lease), it matches nothing, and the handler's writes are rolled back instead of committed, so they are made once,
    by whichever worker marks the row done. (An email already handed to SMTP cannot be taken back: it goes out again
    with the same Message-ID.)"""
    try:
        work = _handlers.get(kind)
        if work is None:
            raise LookupError(f"no outbox handler for {kind!r}")
        work(payload)
        marked = db.session.execute(
            update(OutboxItem)
            .where(*_still_mine(item_id, attempt))
            .values(done_at=utcnow(), claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            db.session.rollback()
            _overtaken(item_id, kind, attempt, "its work is rolled back")
            return
        db.session.commit()
    except Exception as error:  # noqa: BLE001  (whatever the handler raised: the row is tried again, or given up)
        db.session.rollback()
        _failed(item_id, kind, attempt, error)


def _overtaken(item_id: int, kind: str, attempt: int, outcome: str) -> None:
    logger.warning(
        "Outbox item %s (%s): attempt %s outlived its lease (OUTBOX_LEASE_SECONDS) and was taken over by another "
        "worker; %s.",
        item_id,
        kind,
        attempt,
        outcome,
    )


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, …): OUTBOX_RETRY_SECONDS, doubled each time,
    at most LONGEST_BACKOFF."""
    first = current_app.config["OUTBOX_RETRY_SECONDS"]
    return min(timedelta(seconds=first * 2 ** min(attempt - 1, 30)), LONGEST_BACKOFF)


def _failed(item_id: int, kind: str, attempt: int, error: Exception) -> None:
    now = utcnow()
    detail = "".join(traceback.format_exception(error))[-_ERROR_LENGTH:]
    given_up = attempt >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    values = {"given_up_at": now} if given_up else {"next_attempt_at": now + backoff(attempt)}
    noted = db.session.execute(
        update(OutboxItem)
        .where(*_still_mine(item_id, attempt))  # fenced on the claim, as the done mark is (see _run)
        .values(claimed_until=None, last_error=detail, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if noted.rowcount != 1:
        _overtaken(item_id, kind, attempt, f"its failure is not noted on the row: {error!r}")
    elif given_up:
        logger.error("Outbox item %s (%s) failed %s times and is given up: %r", item_id, kind, attempt, error)
    else:
        logger.warning("Outbox item %s (%s) failed (attempt %s), tried again later: %r", item_id, kind, attempt, error)


def purge(now: datetime | None = None) -> int:
    """Delete the rows done or given up over OUTBOX_KEEP_DAYS ago; how many."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    result = db.session.execute(
        delete(OutboxItem).where(or_(OutboxItem.done_at < cutoff, OutboxItem.given_up_at < cutoff))
    )
    db.session.commit()
    return result.rowcount
