"""A job worker killed with SIGKILL in the middle of sending an email loses nothing.

A real `flask --app board worker` takes its jobs from Redis and sends to a real SMTP server on loopback. The server
holds one message (it has read it but not answered), so the kill lands while that message is being sent, every run.
The server then refuses the held message, as a server does whose client went away. A new worker takes over once the
dead one's lease has run out: every message arrives, once, and the one sent again carries the Message-ID it had the
first time (so even a server that had kept the first copy could tell the two apart).

Cost: about 30 s (two worker processes start).
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from board.extensions import db
from board.models import utcnow
from board.outbox.models import OutboxItem
from tests import factories
from tests.conftest import free_port
from tests.test_jobs import Process, _environment, database_of, queue_on, redis_queue  # noqa: F401

LEASE_SECONDS = 3


class HoldingSmtp:
    """An SMTP handler that accepts every message except the first one to `held`: that one it holds, unanswered,
    until `release` is set, and then refuses."""

    def __init__(self, held: str):
        self.held = held
        self.tried: list[tuple[str, str]] = []  # (recipient, Message-ID) of every message sent, accepted or not
        self.accepted: list[tuple[str, str]] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        [recipient] = envelope.rcpt_tos
        self.tried.append((recipient, message["Message-ID"]))
        if recipient == self.held and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 Requested action aborted: the client went away"
        self.accepted.append((recipient, message["Message-ID"]))
        return "250 Message accepted"


@pytest.fixture
def holding_smtp():
    handler = HoldingSmtp(held="p2@example.edu")
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", handler
    finally:
        handler.release.set()
        controller.stop()


def _claimed_rows() -> list[OutboxItem]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxItem).where(OutboxItem.claimed_until.is_not(None))))
    db.session.rollback()
    return rows


def _waiting() -> int:
    db.session.expire_all()
    count = len(db.session.scalars(select(OutboxItem.id).where(OutboxItem.done_at.is_(None))).all())
    db.session.rollback()
    return count


def _until(condition, timeout: float, what: str, *processes: Process) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {timeout}s:\n" + "\n".join(p.output for p in processes))
        time.sleep(0.05)


def test_a_worker_killed_while_sending_loses_no_email_and_the_resend_keeps_its_message_id(
    app,
    visitor,
    holding_smtp,
    redis_queue,  # noqa: F811  (this process queues its jobs in Redis, as a web worker does)
    tmp_path,
):
    smtp_url, smtp = holding_smtp
    addresses = [f"p{n}@example.edu" for n in range(5)]
    for n, address in enumerate(addresses):
        factories.user(f"Person {n}", email=address)
    env = _environment(tmp_path, smtp_url, database_of(app))
    env["OUTBOX_LEASE_SECONDS"] = str(LEASE_SECONDS)

    first = Process(["worker", "--threads", "1"], env)
    second = None
    try:
        first.wait_for("Worker: consuming")
        for address in addresses:
            assert visitor.post("/password/forgot", {"email": address}).status_code == 302
        assert smtp.holding.wait(60), first.output
        first.popen.send_signal(signal.SIGKILL)  # in the middle of sending p2's message
        assert first.popen.wait(30) == -signal.SIGKILL
        smtp.release.set()
        assert "p2@example.edu" not in dict(smtp.accepted)

        # The dead worker's claim on p2's message runs out; a new worker (its start sweeps the outbox) sends the rest.
        _until(lambda: all(row.claimed_until < utcnow() for row in _claimed_rows()), 30, "unclaimed", first)
        second = Process(["worker", "--threads", "1"], env)
        second.wait_for("Worker: consuming")
        _until(lambda: _waiting() == 0 and len(smtp.accepted) >= 5, 60, "all sent", first, second)
    finally:
        smtp.release.set()
        first.close()
        if second is not None:
            code = second.interrupt() if second.popen.poll() is None else second.popen.returncode
            second.close()
            assert code == 0, second.output

    assert sorted(recipient for recipient, _ in smtp.accepted) == addresses, "every message, none twice"
    tries_of_p2 = [message_id for recipient, message_id in smtp.tried if recipient == "p2@example.edu"]
    assert len(tries_of_p2) == 2 and set(tries_of_p2) == {dict(smtp.accepted)["p2@example.edu"]}
    assert len({message_id for _, message_id in smtp.accepted}) == 5
    [row] = [row for row in db.session.scalars(select(OutboxItem)) if row.payload["address"] == "p2@example.edu"]
    assert row.attempts == 2 and row.done_at is not None and row.payload["message_id"] == tries_of_p2[0]
