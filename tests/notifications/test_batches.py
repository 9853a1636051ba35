"""Comments on your posts by default: one email per thread per person per hour (other watched posts: the daily
digest), built when the hour is over from what its
reader may still see then; replies and mentions still at once; an explicit "at once" kept; and one click in the
email switches it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Comment, Post, Role, Visibility
from board.notifications import services
from board.notifications.models import Notification, NotificationPreference
from board.outbox import service as outbox
from board.outbox.models import OutboxItem
from tests import factories
from tests.notifications.test_notifications import comment

# Ahead of the real clock, so a batch's hour is still running when the comments are written: the rows wait for
# deliver_due(now=...) as they would for the worker's sweep.
START = datetime(2031, 3, 12, 15, 2, tzinfo=UTC)
HOUR_END = datetime(2031, 3, 12, 16, 0, tzinfo=UTC)


class Clock:
    """The notification services' clock, moved on by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(START)
    monkeypatch.setattr(services, "utcnow", fixed)
    return fixed


@pytest.fixture
def thread(app, clock):
    course = factories.course(factories.user("Iris Instructor"))
    people = {
        "iris": factories.instructor_of(course),
        "ada": factories.member(course, Role.STUDENT, "Ada Lovelace"),
        "bo": factories.member(course, Role.STUDENT, "Bo Chen"),
        "cy": factories.member(course, Role.STUDENT, "Cy Young"),
        "dee": factories.member(course, Role.STUDENT, "Dee Ray"),
        "eve": factories.member(course, Role.STUDENT, "Eve Moss"),
    }
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, people["ada"], reading, title="Ada's response")
    return course, people, response


def _batch_rows() -> list[OutboxItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxItem).where(OutboxItem.kind == services.THREAD_BATCH_KIND)))


def _kinds(inbox, person) -> list[str]:
    return [m["X-Board-Kind"] for m in inbox.messages(person.email)]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_forty_comments_in_five_minutes_are_one_email_to_the_author_and_the_watchers_daily_digest(
    thread, clock, inbox, make_visitor
):
    course, people, response = thread
    writers = [make_visitor(people[name]) for name in ("bo", "dee", "eve", "iris")]
    comment(make_visitor(people["cy"]), response, "Cy starts, and so watches the thread.")
    for n in range(40):  # 40 comments by four classmates in under five minutes
        clock.now = START + timedelta(seconds=7 * n)
        comment(writers[n % 4], response, f"Comment number {n}.")
    assert inbox.messages() == [], "nothing is sent while the hour runs"
    # One waiting row, the author's: watchers (Cy, and the four writers: commenting watches) take the daily digest.
    assert [row.payload["user_id"] for row in _batch_rows()] == [people["ada"].id]

    assert outbox.deliver_due(now=HOUR_END - timedelta(seconds=1)) == 0
    outbox.deliver_due(now=HOUR_END)
    [to_ada] = inbox.messages(people["ada"].email)
    assert to_ada["X-Board-Kind"] == "thread_batch"
    assert to_ada["Subject"] == f"{course.code or course.title}: 41 new comments on “Ada's response”"
    outbox.deliver_due(now=HOUR_END + timedelta(hours=3))
    assert len(inbox.messages()) == 1, "the batch is sent once, and watchers get nothing at once"

    next_day = datetime(2031, 3, 13, 0, 5, tzinfo=UTC)
    assert services.send_digests("daily", now=next_day) == 5
    outbox.deliver_due(now=next_day)
    [to_cy] = inbox.messages(people["cy"].email)
    assert to_cy["X-Board-Kind"] == "digest"
    assert to_cy["Subject"] == "Daily digest from Board: 40 new things"  # not his own
    for person in ("bo", "dee", "eve", "iris"):  # writers watch too, from their first comment on: one digest each
        assert _kinds(inbox, people[person]) == ["digest"]
    assert _kinds(inbox, people["ada"]) == ["thread_batch"], "the author's comments came in the batch, not again"


def test_the_next_hour_is_a_new_batch(thread, clock, inbox, make_visitor):
    _, people, response = thread
    bo = make_visitor(people["bo"])
    comment(bo, response, "In the first hour.")
    clock.now = HOUR_END + timedelta(minutes=10)
    comment(bo, response, "In the second hour.")
    outbox.deliver_due(now=HOUR_END)
    [first] = inbox.messages(people["ada"].email)
    assert "In the first hour." in _text(first) and "In the second hour." not in _text(first)
    outbox.deliver_due(now=HOUR_END + timedelta(hours=1))
    first, second = inbox.messages(people["ada"].email)
    assert "In the second hour." in _text(second) and "In the first hour." not in _text(second)


def test_replies_to_you_and_mentions_stay_immediate_and_are_not_batched_again(thread, clock, inbox, make_visitor):
    _, people, response = thread
    cy_comment = comment(make_visitor(people["cy"]), response, "A question.")
    comment(make_visitor(people["bo"]), response, "An answer for you.", parent_id=cy_comment)
    comment(make_visitor(people["dee"]), response, "What do you think, @Ada Lovelace?")
    assert _kinds(inbox, people["cy"]) == ["notification"]  # the reply, at once
    [mention] = inbox.messages(people["ada"].email)
    assert "Dee Ray mentioned you" in mention["Subject"]
    outbox.deliver_due(now=HOUR_END)
    batch = inbox.messages(people["ada"].email)[-1]
    assert batch["X-Board-Kind"] == "thread_batch" and "2 new comments" in batch["Subject"]  # Cy's and Bo's
    assert "What do you think" not in _text(batch), "the mention was told at once, not again"


def test_someone_who_chose_email_at_once_keeps_it(thread, clock, inbox, make_visitor):
    course, people, response = thread
    db.session.add(
        NotificationPreference(user_id=people["ada"].id, course_id=course.id, kind="comment", delivery="now")
    )
    db.session.commit()
    for body in ("One.", "Two.", "Three."):
        comment(make_visitor(people["bo"]), response, body)
    assert _kinds(inbox, people["ada"]) == ["notification"] * 3
    assert _batch_rows() == []


def test_the_batch_is_built_when_sent_hidden_anonymous_and_read_are_left_out(thread, clock, inbox, make_visitor):
    course, people, response = thread
    course.allow_anonymous = True
    db.session.commit()
    hidden = comment(make_visitor(people["bo"]), response, "Something rude.")
    comment(make_visitor(people["dee"]), response, "Said *quietly*.", anonymous="y")
    comment(make_visitor(people["eve"]), response, "Still **here**, see [the notes](https://example.org/notes).")
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{hidden}/hide", {"reason": "Rude"})
    outbox.deliver_due(now=HOUR_END)
    [batch] = inbox.messages(people["ada"].email)
    text = batch.as_string()
    assert "2 new comments" in batch["Subject"] and "Something rude" not in text
    assert "Dee Ray" not in text and "Anonymous classmate" in _text(batch)
    body = _text(batch)
    assert "Said quietly." in body and "Still here, see the notes." in body  # plain text
    assert "*quietly*" not in body and "**here**" not in body and "](https" not in body


def test_a_batch_whose_comments_were_all_read_meanwhile_is_not_sent(thread, clock, inbox, make_visitor):
    _, people, response = thread
    comment(make_visitor(people["bo"]), response, "Seen in Board already.")
    make_visitor(people["ada"]).post("/notifications/read-all")
    outbox.deliver_due(now=HOUR_END)
    assert inbox.messages(people["ada"].email) == []


def test_the_batch_is_built_when_sent_held_and_deleted_comments_are_left_out(thread, clock, inbox, make_visitor):
    _, people, response = thread
    held = comment(make_visitor(people["bo"]), response, "Held after the fact.")
    deleted = comment(make_visitor(people["dee"]), response, "Deleted by its author.")
    comment(make_visitor(people["eve"]), response, "Still here.")
    db.session.get(Comment, held).visibility = Visibility.HELD
    db.session.get(Comment, deleted).deleted_at = START + timedelta(minutes=5)
    db.session.commit()
    outbox.deliver_due(now=HOUR_END)
    [batch] = inbox.messages(people["ada"].email)
    text = batch.as_string()
    assert "1 new comment " in batch["Subject"] and "Still here." in _text(batch)
    assert "Held after the fact" not in text and "Deleted by its author" not in text


def test_a_batch_whose_comments_were_all_held_or_deleted_is_not_sent(thread, clock, inbox, make_visitor):
    _, people, response = thread
    held = comment(make_visitor(people["bo"]), response, "Held.")
    deleted = comment(make_visitor(people["dee"]), response, "Deleted.")
    db.session.get(Comment, held).visibility = Visibility.HELD
    db.session.get(Comment, deleted).deleted_at = START + timedelta(minutes=5)
    db.session.commit()
    assert len(_batch_rows()) == 1
    outbox.deliver_due(now=HOUR_END)
    assert inbox.messages(people["ada"].email) == []


def test_a_batch_leaves_out_a_response_its_reader_may_no_longer_see_behind_the_gate(thread, clock, inbox, make_visitor):
    course, people, response = thread
    reading = db.session.get(Post, response.reading_id)
    reading.responses_hidden_until_posted = True
    cy_response = factories.response(course, people["cy"], reading, title="Cy's response")
    db.session.add(
        NotificationPreference(user_id=people["cy"].id, course_id=course.id, kind="watched", delivery="hourly")
    )
    db.session.commit()
    comment(make_visitor(people["cy"]), response, "Cy posted, so sees it, and watches it.")
    comment(make_visitor(people["iris"]), response, "Iris answers.")
    assert {row.payload["user_id"] for row in _batch_rows()} == {people["ada"].id, people["cy"].id}
    cy_response.deleted_at = START + timedelta(minutes=5)  # Cy's own response gone: the gate closes for him
    db.session.commit()
    outbox.deliver_due(now=HOUR_END)
    assert inbox.messages(people["cy"].email) == [], "nothing left that he may see: nothing sent"
    [to_ada] = inbox.messages(people["ada"].email)
    assert "Iris answers." in _text(to_ada)


def test_batch_times_are_in_the_readers_zone(thread, clock, inbox, make_visitor):
    _, people, response = thread
    people["ada"].time_zone = "America/New_York"
    db.session.commit()
    comment(make_visitor(people["bo"]), response, "Timed.")
    outbox.deliver_due(now=HOUR_END)
    [batch] = inbox.messages(people["ada"].email)
    assert "Mar 12, 2031, 11:02 AM EDT" in _text(batch)  # 15:02 UTC, daylight time in New York


# One click changes it -------------------------------------------------------------------------------------------


def _switch_links(message) -> dict[str, str]:
    found = re.findall(r"- (.+?): \S+?(/notifications/switch/\S+)", _text(message))
    return dict(found)


def test_one_click_in_the_batch_switches_that_kind_to_at_once(thread, clock, inbox, make_visitor, client):
    course, people, response = thread
    comment(make_visitor(people["bo"]), response, "First.")
    outbox.deliver_due(now=HOUR_END)
    [batch] = inbox.messages(people["ada"].email)
    links = _switch_links(batch)
    assert set(links) == {
        "Email me each one at once",
        "Send them in my daily digest",
        "Stop these emails (still shown in Board)",
    }
    path = links["Email me each one at once"]
    page = client.get(path)  # signed out, as from a mail client: the link is the proof
    assert page.status_code == 200 and "Email at once" in page.get_data(as_text=True)
    assert db.session.scalars(select(NotificationPreference)).all() == [], "the GET changed nothing"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200 and "from now on" in done.get_data(as_text=True)
    [choice] = db.session.scalars(select(NotificationPreference)).all()
    assert (choice.user_id, choice.kind, choice.delivery) == (people["ada"].id, "comment", "now")
    comment(make_visitor(people["bo"]), response, "Second.")
    assert _kinds(inbox, people["ada"]) == ["thread_batch", "notification"]
    assert "Email at once" in make_visitor(people["ada"]).get(f"/c/{course.slug}/notifications").get_data(as_text=True)


def test_the_switch_to_board_only_stops_the_email_not_the_notification_and_a_forged_link(
    thread, clock, inbox, make_visitor, client
):
    _, people, response = thread
    comment(make_visitor(people["bo"]), response, "First.")
    outbox.deliver_due(now=HOUR_END)
    path = _switch_links(inbox.messages(people["ada"].email)[0])["Stop these emails (still shown in Board)"]
    assert client.post(path, data={}).status_code == 400, "no CSRF token: refused, nothing changed"
    page = client.get(path).get_data(as_text=True)
    assert "In Board only" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(path, data={"csrf_token": token}).status_code == 200
    [choice] = db.session.scalars(select(NotificationPreference)).all()
    assert (choice.kind, choice.delivery) == ("comment", "app")
    comment(make_visitor(people["bo"]), response, "Second.")
    outbox.deliver_due(now=HOUR_END + timedelta(hours=2))
    assert len(inbox.messages(people["ada"].email)) == 1, "no more email"
    mine = db.session.scalars(select(Notification).where(Notification.user_id == people["ada"].id)).all()
    assert len(mine) == 2, "still told in Board"
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"csrf_token": token}).status_code == 404


def test_preferences_page_offers_one_email_per_thread_only_for_thread_kinds(thread, make_visitor):
    course, people, _ = thread
    page = make_visitor(people["ada"]).get(f"/c/{course.slug}/notifications").get_data(as_text=True)
    for kind, offered in (("comment", True), ("watched", True), ("reply", True), ("reading", False)):
        select_html = re.search(rf'<select id="{kind}".*?</select>', page, re.DOTALL).group(0)
        assert ("One email per thread, at most hourly" in select_html) is offered, kind
