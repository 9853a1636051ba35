"""The outbox (board/outbox/): rows live and die with their transaction, a key adds a row once, delivery claims each
row under a lease so two workers never run it at once, a failing handler is retried with backoff and then given up
with its error kept, done rows are deleted after a while, and an email keeps its Message-ID from one attempt to the
next."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from board import outbox
from board.extensions import db, huey
from board.models import utcnow
from board.outbox import service
from board.outbox.models import OutboxItem
from board.outbox.tasks import deliver, purge
from tests.concurrency import at_once
from tests.test_jobs import queue_on  # noqa: F401

# Handlers for kinds of this test's own: what each was asked to do, and what it should do when asked.
CALLS: list[str] = []
FAILURES: dict[str, int] = {}  # name -> how many more calls fail
MEETING: dict[str, threading.Barrier] = {}


@outbox.handler("test_record")
def _record(payload: dict) -> None:
    CALLS.append(payload["name"])
    if FAILURES.get(payload["name"], 0) > 0:
        FAILURES[payload["name"]] -= 1
        raise ConnectionRefusedError(f"{payload['name']} could not be done")
    if "meet" in MEETING:
        MEETING["meet"].wait(10)  # every worker is inside a handler at the same moment


@outbox.handler("test_write")
def _write(payload: dict) -> None:
    """A handler that writes (as one that adds follow-up rows would), then fails when told to."""
    outbox.add("test_record", {"name": f"follow-up of {payload['name']}"})
    if payload.get("fail"):
        raise RuntimeError("failed after writing")


# The first call of a "test_slow" row waits inside the handler (before it writes) until told to go on, as a handler
# that outlives its lease does while another worker takes the row over.
SLOW: dict[str, threading.Event] = {}


@outbox.handler("test_slow")
def _slow(payload: dict) -> None:
    CALLS.append(payload["name"])
    number = len(CALLS)
    first = number == 1
    if first:
        SLOW["inside"].set()
        assert SLOW["go"].wait(10)
    outbox.add("test_record", {"name": f"follow-up {number}"})  # the handler's own write
    if first and payload.get("fail"):
        raise RuntimeError("the first worker failed late")


@pytest.fixture(autouse=True)
def _held(queue_on):  # noqa: F811
    """Deliveries wait in a queue nobody consumes: each test runs the delivery itself, as a worker would."""
    CALLS.clear()
    FAILURES.clear()
    MEETING.clear()
    SLOW.update(inside=threading.Event(), go=threading.Event())
    queue_on(None)
    yield
    huey.flush()


def _rows() -> list[OutboxItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_a_row_commits_with_its_transaction_and_a_delivery_is_queued():
    outbox.add("test_record", {"name": "kept"})
    assert huey.pending_count() == 0, "nothing is queued before the commit"
    db.session.commit()
    assert [row.payload for row in _rows()] == [{"name": "kept"}]
    assert huey.pending_count() == 1

    huey.execute(huey.dequeue())  # a worker runs the delivery
    assert CALLS == ["kept"] and _rows()[0].done_at is not None


def test_a_rolled_back_transaction_adds_nothing_and_queues_nothing():
    outbox.add("test_record", {"name": "never"})
    db.session.rollback()
    db.session.commit()  # a later commit of the same session does not deliver the forgotten row either
    assert _rows() == [] and huey.pending_count() == 0
    assert service.deliver_due() == 0 and CALLS == []


def test_an_unknown_kind_is_refused_when_added():
    with pytest.raises(KeyError, match="no outbox handler"):
        outbox.add("no_such_kind", {})


def test_a_key_adds_its_row_once_in_one_transaction_or_across_several():
    outbox.add("test_record", {"name": "first"}, key="once")
    outbox.add("test_record", {"name": "second"}, key="once")
    db.session.commit()
    outbox.add("test_record", {"name": "third"}, key="once")
    outbox.add("test_record", {"name": "unkeyed"})
    db.session.commit()
    assert [row.payload["name"] for row in _rows()] == ["first", "unkeyed"]
    service.deliver_due()
    assert CALLS == ["first", "unkeyed"]


def test_a_row_added_not_before_a_time_waits_for_it_then_is_delivered_once():
    later = utcnow() + timedelta(hours=1)
    outbox.add("test_record", {"name": "batched"}, key="batch", not_before=later)
    db.session.commit()  # the delivery queued after this commit finds nothing due yet
    assert CALLS == [] and _rows()[0].next_attempt_at == later
    assert service.deliver_due(now=later - timedelta(seconds=1)) == 0, "not due before its time"
    assert service.deliver_due(now=later) == 1 and CALLS == ["batched"]
    assert service.deliver_due(now=later + timedelta(hours=1)) == 0, "done once"


def test_a_failing_handler_is_retried_with_doubling_waits_then_given_up_with_its_error(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 4)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", 60)
    FAILURES["flaky"] = 99
    outbox.add("test_record", {"name": "flaky"})
    db.session.commit()

    waits = []
    for attempt in range(1, 5):
        before = utcnow()
        assert service.deliver_due() == 1
        [row] = _rows()
        assert row.attempts == attempt and row.claimed_until is None and row.done_at is None
        assert "ConnectionRefusedError: flaky could not be done" in row.last_error
        if attempt < 4:
            waits.append(round((row.next_attempt_at - before).total_seconds() / 60))
            assert service.deliver_due() == 0, "not due again before its wait is over"
            row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the wait passes
            db.session.commit()
    assert waits == [1, 2, 4]
    assert row.given_up_at is not None and CALLS == ["flaky"] * 4
    assert "failed 4 times and is given up" in caplog.text
    row.next_attempt_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert service.deliver_due() == 0, "a row given up is never tried again"


def test_backoff_doubles_from_the_setting_and_stops_at_an_hour(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", 30)
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 50, 500)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
        3600,
    ]


def test_a_handler_that_fails_once_is_done_on_its_second_attempt():
    FAILURES["once"] = 1
    outbox.add("test_record", {"name": "once"})
    db.session.commit()
    service.deliver_due()
    [row] = _rows()
    row.next_attempt_at = utcnow()
    db.session.commit()
    service.deliver_due()
    [row] = _rows()
    assert CALLS == ["once", "once"] and row.done_at is not None and row.attempts == 2 and row.last_error is None


def test_a_handlers_writes_commit_with_its_row_done_or_roll_back_with_its_failure():
    outbox.add("test_write", {"name": "good"})
    outbox.add("test_write", {"name": "bad", "fail": True})
    db.session.commit()
    service.deliver_due(limit=2)
    good, bad, follow_up = _rows()
    assert good.done_at is not None and follow_up.payload == {"name": "follow-up of good"}
    assert bad.done_at is None and "failed after writing" in bad.last_error


def test_a_row_claimed_by_a_worker_is_left_alone_until_its_lease_runs_out():
    outbox.add("test_record", {"name": "leased"})
    db.session.commit()
    claimed = service._claim()  # a worker takes it, then dies before finishing (killed, say)
    assert claimed is not None and claimed[3] == 1
    assert service.deliver_due() == 0 and CALLS == []

    [row] = _rows()
    row.claimed_until = utcnow() - timedelta(seconds=1)  # the lease runs out
    db.session.commit()
    assert service.deliver_due() == 1
    [row] = _rows()
    assert CALLS == ["leased"] and row.done_at is not None and row.attempts == 2


def _overtaken(app, monkeypatch, payload: dict) -> None:
    """A first worker claims the row and is still inside its handler when its lease (0 seconds here) runs out; a
    second worker claims the row again and delivers it; then the first one finishes."""
    monkeypatch.setitem(app.config, "OUTBOX_LEASE_SECONDS", 0)
    outbox.add("test_slow", payload)
    db.session.commit()
    first = threading.Thread(target=_deliver_one_in_a_thread, args=(app,))
    first.start()
    try:
        assert SLOW["inside"].wait(10), "the first worker never reached the handler"
        assert service.deliver_due(limit=1) == 1  # the second worker, the lease being over
    finally:
        SLOW["go"].set()
        first.join(10)
    assert not first.is_alive()


def _deliver_one_in_a_thread(app) -> None:
    with app.app_context():
        service.deliver_due(limit=1)


def test_a_worker_whose_lease_was_taken_over_neither_marks_the_row_nor_commits_its_writes(app, monkeypatch, caplog):
    _overtaken(app, monkeypatch, {"name": "slow"})
    slow, *follow_ups = _rows()
    assert CALLS == ["slow", "slow"], "the handler ran twice (at least once is the promise)"
    assert slow.attempts == 2 and slow.done_at is not None and slow.last_error is None
    # Only the second worker's writes committed, with its done mark; the first one's rolled back.
    assert [row.payload["name"] for row in follow_ups] == ["follow-up 2"]
    assert "was taken over by another worker" in caplog.text


def test_a_worker_whose_lease_was_taken_over_does_not_note_its_failure_on_the_row(app, monkeypatch, caplog):
    _overtaken(app, monkeypatch, {"name": "slow", "fail": True})
    slow, *follow_ups = _rows()
    assert slow.done_at is not None and slow.last_error is None and slow.next_attempt_at <= utcnow()
    assert [row.payload["name"] for row in follow_ups] == ["follow-up 2"]
    assert "was taken over by another worker" in caplog.text


def test_a_key_already_added_queues_no_delivery():
    outbox.add("test_record", {"name": "first"}, key="once")
    db.session.commit()
    huey.flush()
    outbox.add("test_record", {"name": "again"}, key="once")
    db.session.commit()
    assert huey.pending_count() == 0, "nothing was added, so nothing is to deliver"


def test_two_workers_delivering_at_once_never_run_the_same_row():
    # Each handler waits until the other worker is inside one too: were the rows not claimed, both would take the
    # oldest row at the same moment.
    MEETING["meet"] = threading.Barrier(2)
    for name in ("a", "b"):
        outbox.add("test_record", {"name": name})
    db.session.commit()

    results = at_once(service.deliver_due, service.deliver_due)

    assert sorted(results) == [1, 1], results
    assert sorted(CALLS) == ["a", "b"]
    assert all(row.done_at is not None for row in _rows())


def test_the_delivery_task_is_also_the_minute_sweep():
    hour = utcnow().replace(second=0, microsecond=0, tzinfo=None)
    for minute in range(60):
        due = huey.read_periodic(hour.replace(minute=minute))  # what the consumer's scheduler asks each minute
        assert any(isinstance(task, deliver.task_class) for task in due)
    outbox.add("test_record", {"name": "swept"})
    db.session.commit()
    huey.flush()  # the delivery queued after the commit was lost (say, with Redis)
    deliver.call_local()  # what the scheduler runs each minute
    assert CALLS == ["swept"]


def test_done_rows_are_deleted_after_the_keeping_period_and_pending_ones_never(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_KEEP_DAYS", 7)
    for name in ("old", "recent", "pending"):
        outbox.add("test_record", {"name": name})
    db.session.commit()
    old, recent, pending = _rows()
    old.done_at = utcnow() - timedelta(days=8)
    recent.done_at = utcnow() - timedelta(days=6)
    pending.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    purge.call_local()
    assert [row.payload["name"] for row in _rows()] == ["recent", "pending"]


def test_an_email_keeps_its_message_id_from_one_attempt_to_the_next(inbox):
    outbox.email(("Ada", "ada@example.edu"), "Twice", "plain", "<p>html</p>")
    db.session.commit()
    [row] = _rows()
    message_id = row.payload["message_id"]
    assert message_id.startswith("<") and message_id.endswith(">")
    service.deliver_due()
    # A worker that sent it but died before marking it done: the row is due again once the lease runs out.
    row = _rows()[0]
    row.done_at = None
    db.session.commit()
    service.deliver_due()
    first, second = inbox.messages("ada@example.edu")
    assert first["Message-ID"] == second["Message-ID"] == message_id
    assert db.session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.done_at.is_(None))) == 0
