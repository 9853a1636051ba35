"""Redis down is not an error page, and loses no mail.

Board runs as in production: gunicorn with two workers and a `flask --app board worker`, both with their rate
limits and their job queue in a redis-server this test started on a port of its own, mail going to a real SMTP
server on loopback. With that Redis stopped, logging in (with a wrong password, then the right one), posting a
comment, asking for a password reset and nudging the class all work; the limits count in each worker's memory, and
the log says so. Redis started again (empty: the jobs queued in it are gone), the worker's sweep finds the outbox's
rows and every message arrives exactly once.

Cost: about a minute (the worker's sweep runs once a minute).
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from board.extensions import db, limiter
from board.models import Role
from board.notifications.models import Delivery, NotificationPreference
from board.outbox.models import OutboxItem
from tests import factories
from tests.test_jobs import Process
from tests.web import Gunicorn, HttpVisitor, RedisServer

BASE = "https://board.example.edu"


def _environment(app, redis_url: str, smtp_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "PORT")}
    env.update(
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        SECURE_COOKIES="0",
        RATELIMIT_STORAGE_URI=f"{redis_url}/0",
        QUEUE_URL=f"{redis_url}/1",
        SMTP_URL=smtp_url,
        MAIL_FROM="Board <noreply@board.example.edu>",
        BASE_URL=BASE,
        PYTHONUNBUFFERED="1",
    )
    return env


def _pending() -> list[OutboxItem]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxItem).where(OutboxItem.done_at.is_(None))))
    db.session.rollback()
    return rows


def test_with_redis_down_nothing_fails_and_the_mail_goes_out_once_when_it_is_back(app, smtp_server, tmp_path):
    smtp_url, received = smtp_server
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    iris = factories.instructor_of(course)
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    cy = factories.member(course, Role.STUDENT, "Cy Young")
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, ada, reading, title="Ada's response")
    # Comments on your post come batched by the hour by default (board/notifications/batches.py); Ada has asked for
    # each at once, so her email is due now and not at the end of whatever hour the test runs in.
    db.session.add(NotificationPreference(user_id=ada.id, course_id=course.id, kind="comment", delivery=Delivery.NOW))
    slug, response_id, reading_id = course.slug, response.id, reading.id
    db.session.commit()

    store = RedisServer(tmp_path)
    env = _environment(app, store.url, smtp_url)
    web = Gunicorn(env, tmp_path)
    worker = Process(["worker", "--threads", "2"], env)
    try:
        worker.wait_for("Worker: consuming")
        store.stop()

        bos = HttpVisitor(web.base)
        wrong = bos.login(bo.email, "not the password")
        assert wrong.status == 200 and "do not match an account" in wrong.text
        assert bos.login(bo.email, factories.PASSWORD).status == 302
        comment = bos.post(
            f"/c/{slug}/posts/{response_id}/comments",
            {"body": "Said while Redis is down."},
            form_page=f"/c/{slug}/posts/{response_id}",
        )
        assert comment.status == 302, comment.text
        forgot = HttpVisitor(web.base).post("/password/forgot", {"email": ada.email})
        assert forgot.status == 302, forgot.text
        irises = HttpVisitor(web.base)
        assert irises.login(iris.email, factories.PASSWORD).status == 302
        nudge = irises.post(
            f"/c/{slug}/desk/readings/{reading_id}/nudge", form_page=f"/c/{slug}/desk/readings/{reading_id}/"
        )
        assert nudge.status == 302, nudge.text
        assert "Reminder sent to 2 students." in irises.get(nudge.headers["Location"].removeprefix(web.base)).text

        log = web.log()
        assert "Traceback" not in log, log
        # Said by whichever met the dead store first in each worker: the login throttle, or Flask-Limiter itself.
        assert "Rate limit store unreachable" in log or "falling back to in-memory storage" in log, log
        # Every message waits in the outbox: the comment's notification to Ada, her reset link, two nudges.
        assert len(_pending()) == 4 and received.messages == []

        store.start()  # empty, as after a crash: the delivery jobs queued before it stopped never reached it
        deadline = time.monotonic() + 150
        while _pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _pending(), worker.output
    finally:
        web.stop()
        code = worker.interrupt() if worker.popen.poll() is None else worker.popen.returncode
        worker.close()
        store.stop()
    assert code == 0, worker.output

    delivered = sorted((recipients[0], message["Subject"]) for _, recipients, message in received.messages)
    reminder = "Reminder: respond to “The reading”"
    assert [(to, subject) for to, subject in delivered if "commented on your post" not in subject] == sorted(
        [(ada.email, "Set a new Board password"), (bo.email, reminder), (cy.email, reminder)]
    ), delivered
    assert [to for to, subject in delivered if "Bo Chen commented on your post" in subject] == [ada.email], delivered
    sent_ids = sorted(message["Message-ID"] for _, _, message in received.messages)
    outbox_ids = sorted(row.payload["message_id"] for row in db.session.scalars(select(OutboxItem)))
    assert sent_ids == outbox_ids and len(set(sent_ids)) == 4


@pytest.fixture
def unreachable_store(monkeypatch):
    """The session app's limiter, its store pointed at a Redis port where nothing listens (restored afterwards)."""
    from limits.storage import RedisStorage
    from limits.strategies import STRATEGIES

    from tests.conftest import free_port

    store = RedisStorage(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(limiter, "_storage", store)
    monkeypatch.setattr(limiter, "_limiter", STRATEGIES["fixed-window"](store))
    monkeypatch.setattr(limiter, "_storage_dead", False)
    assert limiter._fallback_limiter is not None  # RATELIMIT_IN_MEMORY_FALLBACK_ENABLED, from board/config.py
    yield store
    limiter._fallback_storage.reset()


def test_login_throttle_and_account_email_count_in_memory_while_the_store_is_unreachable(
    app, unreachable_store, make_visitor, inbox, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "2 per minute")
    ada = factories.user("Ada", email="ada@example.edu")
    visitor = make_visitor()
    # The throttle itself (board/auth/throttle.py) is the first to meet the dead store, before any route limit.
    assert visitor.login(ada.email, "wrong").status_code == 200
    assert "Rate limit store unreachable" in caplog.text and limiter._storage_dead
    assert visitor.login(ada.email, "wrong").status_code == 200
    assert visitor.login(ada.email, "wrong").status_code == 429, "the limit still holds, counted in memory"
    assert visitor.post("/password/forgot", {"email": ada.email}).status_code == 302
    assert [m["Subject"] for m in inbox.messages(ada.email)] == ["Set a new Board password"]
