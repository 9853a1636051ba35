"""Notification email: sent through the queue to a real SMTP server, checked again at send time, with a one-click
unsubscribe that works signed out; digests built once per person and period, even by two workers at once; and a
real worker process taking the job from Redis."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from board.extensions import db, huey
from board.models import Role
from board.notifications import services
from board.notifications.models import DigestSent, Notification, NotificationPreference
from board.outbox import service as outbox
from tests import factories
from tests.concurrency import Rendezvous, at_once
from tests.conftest import free_port
from tests.notifications.test_notifications import comment
from tests.test_jobs import (  # noqa: F401
    REDIS_QUEUE_URL,
    Process,
    _environment,
    _wait_for_empty_queue,
    _wait_for_mail,
    queue_on,
    redis_queue,
)

BASE = "https://board.example.edu"


@pytest.fixture
def klass(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE)
    course = factories.course(factories.user("Iris Instructor"))
    people = {
        "iris": factories.instructor_of(course),
        "ada": factories.member(course, Role.STUDENT, "Ada Lovelace"),
        "bo": factories.member(course, Role.STUDENT, "Bo Chen"),
        "cy": factories.member(course, Role.STUDENT, "Cy Young"),
    }
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, people["ada"], reading, title="Ada's response")
    # These tests are about email at once and digests: Ada chose comments on her posts at once, and Cy a daily digest
    # of threads he watches (the defaults batch both by thread and hour: tests/notifications/test_batches.py).
    choose(people["ada"], course, "comment", "now")
    choose(people["cy"], course, "watched", "daily")
    return course, people, reading, response


def choose(user, course, kind: str, delivery: str) -> None:
    """`user`'s own choice for `kind` in `course`, as the preferences page stores it."""
    row = db.session.scalar(select(NotificationPreference).filter_by(user_id=user.id, course_id=course.id, kind=kind))
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, course_id=course.id, kind=kind, delivery=delivery))
    else:
        row.delivery = delivery
    db.session.commit()


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    url, received = smtp_server
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    return received


def _to(received, address: str):
    return [message for _, recipients, message in received.messages if recipients == [address]]


def _links(message) -> tuple[list[str], list[str]]:
    pattern = re.compile(re.escape(BASE) + r"(/[^\s\"<>]*)")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content().replace("&amp;", "&")
    return pattern.findall(text), pattern.findall(html)


def test_comment_email_arrives_over_smtp_with_both_parts_a_link_to_the_comment_and_unsubscribe(
    klass, smtp, make_visitor
):
    _, people, _, response = klass
    comment_id = comment(make_visitor(people["bo"]), response, "Have you read the sources?")
    [message] = _to(smtp, people["ada"].email)
    assert message["Subject"].endswith("Bo Chen commented on your post “Ada's response”")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Board-Kind"] == "notification"
    text_links, html_links = _links(message)
    assert set(text_links) == set(html_links)
    comment_link = next(link for link in text_links if "#comment-" in link)
    assert comment_link.endswith(f"/posts/{response.id}#comment-{comment_id}")
    assert "Have you read the sources?" in message.get_body(("plain",)).get_content()
    ada = make_visitor(people["ada"])
    page = ada.get(comment_link.split("#")[0]).get_data(as_text=True)
    assert f'id="comment-{comment_id}"' in page
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(BASE + "/unsubscribe/") and unsubscribe.removeprefix(BASE) in text_links
    assert _to(smtp, people["bo"].email) == []  # never about one's own action


def test_one_click_unsubscribe_works_signed_out_and_takes_effect_at_once(klass, smtp, make_visitor, client):
    _, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "First.")
    [message] = _to(smtp, people["ada"].email)
    path = message["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert factories.reload(people["ada"]).email_notifications is True  # the GET changed nothing
    # What a mail client does for RFC 8058: one POST, no cookie, no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert factories.reload(people["ada"]).email_notifications is False
    comment(make_visitor(people["cy"]), response, "Second.")
    assert len(_to(smtp, people["ada"].email)) == 1
    assert len(_notes(people["ada"])) == 2  # still told in the app


def test_a_forged_or_broken_unsubscribe_token_is_refused(klass, client):
    _, people, _, _ = klass
    good = services.unsubscribe_token(people["ada"])
    for token in ("not-a-real-token", good[:-2] + ("AA" if not good.endswith("AA") else "BB")):
        assert client.get(f"/unsubscribe/{token}").status_code == 404
        assert client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert factories.reload(people["ada"]).email_notifications is True


def test_anonymous_author_is_never_named_in_a_classmates_email_but_is_to_staff(klass, smtp, make_visitor):
    course, people, _, response = klass
    course.allow_anonymous = True
    db.session.add(
        NotificationPreference(user_id=people["iris"].id, course_id=course.id, kind="watched", delivery="now")
    )
    db.session.commit()
    comment(make_visitor(people["iris"]), response, "I watch this thread.")
    comment(make_visitor(people["bo"]), response, "Quietly, @Cy Young.", anonymous="y")
    for who in ("ada", "cy"):
        [message] = [m for m in _to(smtp, people[who].email) if "Anonymous" in m["Subject"]]
        assert "Bo Chen" not in message.as_string() and "Anonymous classmate" in message["Subject"]
    [staff] = [m for m in _to(smtp, people["iris"].email) if "Bo Chen" in m["Subject"]]
    assert "anonymous to classmates" in staff["Subject"]


def test_email_waits_in_the_queue_and_a_comment_hidden_meanwhile_is_not_sent(
    klass,
    app,
    inbox,
    make_visitor,
    queue_on,  # noqa: F811
):
    course, people, _, response = klass
    queue_on(None)  # a SQLite queue: the job waits for a worker
    comment_id = comment(make_visitor(people["bo"]), response, "Something rude.")
    assert huey.pending_count() == 1 and inbox.messages() == []
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{comment_id}/hide", {"reason": "Rude"})
    while huey.pending_count():
        huey.execute(huey.dequeue())  # what a worker does
    assert inbox.messages(people["ada"].email) == []


def test_an_unreachable_queue_delays_the_email_and_the_sweep_sends_it(
    klass,
    inbox,
    make_visitor,
    queue_on,  # noqa: F811
    caplog,
):
    _, people, _, response = klass
    queue_on(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    posted = make_visitor(people["bo"]).post(
        f"/c/{response.course.slug}/posts/{response.id}/comments", {"body": "Saved all the same."}
    )
    assert posted.status_code == 302
    assert [n.kind for n in _notes(people["ada"])] == ["comment"]
    assert inbox.messages() == [] and "Could not queue the outbox's delivery" in caplog.text

    queue_on("immediate")
    outbox.deliver_due()  # what the worker's sweep does every minute
    [message] = inbox.messages(people["ada"].email)
    assert "Bo Chen" in message["Subject"]


def test_no_email_for_app_only_or_with_the_switch_off(klass, inbox, make_visitor):
    course, people, _, response = klass
    choose(people["ada"], course, "comment", "app")
    people["cy"].email_notifications = False
    db.session.commit()
    first = comment(make_visitor(people["bo"]), response, "One, @Cy Young.")
    comment(make_visitor(people["iris"]), response, "Reply.", parent_id=first)  # Bo hears at once
    assert len(inbox.messages(people["bo"].email)) == 1
    assert inbox.messages(people["ada"].email) == [] and inbox.messages(people["cy"].email) == []
    assert len(_notes(people["ada"])) == 2 and len(_notes(people["cy"])) == 1  # still told in the app


# Digests -------------------------------------------------------------------------------------------------------


NOW = datetime(2027, 3, 10, 0, 30, tzinfo=UTC)  # a Wednesday, just after midnight
YESTERDAY = NOW - timedelta(hours=12)


def _notes(user):
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def _backdate(when=YESTERDAY):
    for note in db.session.scalars(select(Notification)):
        note.created_at = when
    db.session.commit()


def _watched_thread(people, response, make_visitor, *bodies) -> list[int]:
    """Cy comments first (so watches the post), then Bo writes `bodies`: each is a "watched" notification for Cy,
    which goes to the daily digest by default."""
    comment(make_visitor(people["cy"]), response, "Cy watches.")
    return [comment(make_visitor(people["bo"]), response, body) for body in bodies]


def test_daily_digest_holds_the_days_news_and_is_sent_once(klass, inbox, make_visitor):
    _, people, _, response = klass
    _watched_thread(people, response, make_visitor, "Point one.", "Point two.")
    _backdate()
    assert services.send_digests("daily", NOW) == 1
    [digest] = [m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"]
    assert digest["Subject"] == "Daily digest from Board: 2 new things"
    body = digest.get_body(("plain",)).get_content()
    assert "Point one." in body and "Point two." in body and "Cy watches." not in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert services.send_digests("daily", NOW) == 0  # the period's digest is recorded as sent
    assert services.send_digests("daily", NOW + timedelta(hours=5)) == 0
    # Ada's "comment on your post" was emailed at once; nothing is digested for her.
    assert [m["X-Board-Kind"] for m in inbox.messages(people["ada"].email)] == ["notification"] * 3


def test_nothing_new_means_no_digest_and_todays_news_waits_for_tomorrow(klass, inbox, make_visitor):
    _, people, _, response = klass
    assert services.send_digests("daily", NOW) == 0
    _watched_thread(people, response, make_visitor, "Today's.")
    _backdate(NOW + timedelta(minutes=5))
    assert services.send_digests("daily", NOW) == 0
    assert services.send_digests("daily", NOW + timedelta(days=1)) == 1


def test_read_notifications_are_left_out_of_the_digest(klass, inbox, make_visitor):
    _, people, _, response = klass
    _watched_thread(people, response, make_visitor, "Seen already.")
    _backdate()
    make_visitor(people["cy"]).post("/notifications/read-all")
    assert services.send_digests("daily", NOW) == 0


def test_a_comment_hidden_between_creation_and_digest_is_not_in_it(klass, inbox, make_visitor):
    course, people, _, response = klass
    hidden, _kept = _watched_thread(people, response, make_visitor, "Soon hidden.", "Still here.")
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{hidden}/hide", {"reason": "Rude"})
    _backdate()
    services.send_digests("daily", NOW)
    [digest] = [m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"]
    body = digest.as_string()
    assert "Still here." in body and "Soon hidden." not in body and "1 new thing" in digest["Subject"]


def _deliver_waiting() -> None:
    while huey.pending_count():
        huey.execute(huey.dequeue())  # what a worker does


def test_a_digest_waiting_to_be_sent_is_checked_again_when_it_is_sent(
    klass,
    inbox,
    make_visitor,
    queue_on,  # noqa: F811
):
    course, people, _, response = klass
    hidden, _kept = _watched_thread(people, response, make_visitor, "Soon hidden.", "Still here.")
    _backdate()
    queue_on(None)  # a SQLite queue: the digest waits for a worker
    assert services.send_digests("daily", NOW) == 1
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{hidden}/hide", {"reason": "Rude"})
    _deliver_waiting()
    [digest] = [m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"]
    body = digest.as_string()
    assert "Still here." in body and "Soon hidden." not in body and "1 new thing" in digest["Subject"]


def test_a_digest_with_nothing_left_to_show_when_it_is_sent_is_not_sent(
    klass,
    inbox,
    make_visitor,
    queue_on,  # noqa: F811
):
    course, people, _, response = klass
    [hidden] = _watched_thread(people, response, make_visitor, "Soon hidden.")
    _backdate()
    queue_on(None)
    assert services.send_digests("daily", NOW) == 1
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{hidden}/hide", {"reason": "Rude"})
    _deliver_waiting()
    assert [m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"] == []
    assert services.send_digests("daily", NOW) == 0  # claimed all the same: never sent later


def test_weekly_digest_covers_last_monday_to_monday(klass, inbox, make_visitor):
    course, people, _, response = klass
    choose(people["cy"], course, "watched", "weekly")
    _watched_thread(people, response, make_visitor, "Weekly news.")
    _backdate(datetime(2027, 3, 3, 12, tzinfo=UTC))  # last week's Wednesday
    assert services.send_digests("daily", NOW) == 0  # Cy chose weekly
    assert services.send_digests("weekly", NOW) == 1
    [digest] = [m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"]
    assert digest["Subject"].startswith("Weekly digest")


def test_two_workers_running_the_digest_at_once_send_it_once(klass, app, inbox, make_visitor, monkeypatch):
    _, people, _, response = klass
    _watched_thread(people, response, make_visitor, "Raced.")
    _backdate()
    # Both runs list the candidates before either claims a digest, so the race happens on every run.
    monkeypatch.setattr(services, "digest_candidates", Rendezvous(services.digest_candidates))
    results = at_once(lambda: services.send_digests("daily", NOW), lambda: services.send_digests("daily", NOW))
    assert sorted(results) == [0, 1], results
    assert len([m for m in inbox.messages(people["cy"].email) if m["X-Board-Kind"] == "digest"]) == 1
    assert db.session.scalar(select(db.func.count()).select_from(DigestSent)) == 1


# A real worker process ------------------------------------------------------------------------------------------


def test_worker_process_takes_the_notification_from_redis_checks_it_and_sends_it_over_smtp(
    app,
    klass,
    smtp_server,
    redis_queue,  # noqa: F811
    make_visitor,
    tmp_path: Path,
):
    _, people, _, response = klass
    smtp_url, received = smtp_server
    env = _environment(tmp_path, smtp_url)
    # The worker reads the notification from the database this test writes to.
    env["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    env["BASE_URL"] = BASE
    worker = Process(["worker", "--threads", "1"], env)
    try:
        worker.wait_for("Worker: consuming")
        comment_id = comment(make_visitor(people["bo"]), response, "Sent by the worker.")
        [(_, recipients, message)] = _wait_for_mail(received)
        assert recipients == [people["ada"].email]
        assert f"#comment-{comment_id}" in message.get_body(("plain",)).get_content()
        assert _wait_for_empty_queue() == 0
    finally:
        code = worker.interrupt() if worker.popen.poll() is None else worker.popen.returncode
        worker.close()
    assert code == 0, worker.output
    assert REDIS_QUEUE_URL  # the queue the worker consumed
