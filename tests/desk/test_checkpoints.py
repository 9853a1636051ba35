"""Checkpoints: the reading form sets a replies due date, a number of required replies and points; a student sees
their progress on the reading and on the course home, each checkpoint judged late on its own."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from board.extensions import db
from board.models import Post, Role, Visibility, utcnow
from tests import factories
from tests.posts.test_readings_and_responses import _reading_form


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def _progress(page: str) -> list[str]:
    lines = re.findall(r'<p class="progress-line">(.*?)</p>', page, re.DOTALL)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", line)).split()) for line in lines]


def test_the_reading_form_sets_checkpoints_and_points_in_the_writers_time_zone(make_visitor):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    form = _reading_form(
        reply_due_at="2027-03-05T23:59", timezone="America/New_York", required_replies="2", max_points="10.5"
    )
    assert instructor.post(f"/c/{course.slug}/readings/new", form).status_code == 302
    reading = db.session.scalar(db.select(Post))
    assert reading.reply_due_at == datetime(2027, 3, 6, 4, 59, tzinfo=UTC)
    assert (reading.required_replies, reading.max_points) == (2, 10.5)
    page = instructor.get(f"/c/{course.slug}/posts/{reading.id}/edit").get_data(as_text=True)
    assert 'name="required_replies"' in page and 'value="2"' in page and 'value="10.5"' in page
    # Emptied on the edit form, they are cleared.
    instructor.post(
        f"/c/{course.slug}/posts/{reading.id}/edit",
        _reading_form(timezone="UTC", reply_due_at="", required_replies="", max_points=""),
    )
    db.session.expire_all()
    assert (reading.reply_due_at, reading.required_replies, reading.max_points) == (None, 0, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("required_replies", "-1", "Number must be between 0 and 50."),
        ("required_replies", "many", "Not a valid integer value."),
        ("max_points", "NaN", "Enter a number, such as 8 or 7.5."),
        ("max_points", "1e309", "Enter a number, such as 8 or 7.5."),
        ("reply_due_at", "2027-02-30T25:61", "Not a valid datetime value."),
        ("reply_due_at", "2027-02-28T09:00", "Replies are due after the responses they answer"),
    ],
)
def test_bad_checkpoint_values_are_refused_with_the_text_kept(make_visitor, field, value, message):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    response = instructor.post(f"/c/{course.slug}/readings/new", _reading_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    assert "One Day in the Life of Ivan Denisovich" in page, "nothing typed is lost"
    assert db.session.scalar(db.select(Post)) is None


def test_a_student_sees_progress_on_the_reading_and_the_course_home(make_visitor):
    course = factories.course()
    student, classmate, other = (factories.member(course, Role.STUDENT) for _ in range(3))
    now = utcnow()
    reading = factories.reading(
        course,
        title="Checkpointed",
        due_at=now + timedelta(days=1),
        reply_due_at=now + timedelta(days=3),
        required_replies=2,
    )
    factories.reading(course, title="Plain reading")  # no due date, no replies: no progress line
    visitor = make_visitor(student)

    home = visitor.get(f"/c/{course.slug}/").get_data(as_text=True)
    assert len(_progress(home)) == 1
    assert _progress(home)[0].startswith("Response not yet · due ") and "Replies 0 of 2 · due " in _progress(home)[0]

    factories.response(course, student, reading, title="Mine")
    theirs = factories.response(course, classmate, reading, title="Theirs")
    also = factories.response(course, other, reading, title="Also theirs")
    factories.comment(theirs, student, "A first reply")
    factories.comment(also, student, "Held reply", visibility=Visibility.HELD)  # not counted until approved
    page = visitor.get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert _progress(page) == [_progress(page)[0]]
    assert _progress(page)[0].startswith("Response ✓ posted · Replies 1 of 2 · due ")

    factories.comment(also, student, "A second reply")
    home = visitor.get(f"/c/{course.slug}/").get_data(as_text=True)
    assert _progress(home) == ["Response ✓ posted · Replies 2 of 2 ✓ done"]


def test_lateness_is_judged_per_checkpoint(make_visitor):
    course = factories.course()
    student, classmate = factories.member(course, Role.STUDENT), factories.member(course, Role.STUDENT)
    now = utcnow()
    reading = factories.reading(
        course, due_at=now - timedelta(days=2), reply_due_at=now + timedelta(days=1), required_replies=1
    )
    factories.response(course, student, reading)  # published now: after the response due date
    theirs = factories.response(course, classmate, reading, published_at=now - timedelta(days=3))
    factories.comment(theirs, student, minutes=-5)  # before the replies due date
    page = make_visitor(student).get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert _progress(page) == ["Response ✓ posted late · Replies 1 of 1 ✓ done"]

    reading.reply_due_at = now - timedelta(days=1)
    db.session.commit()
    page = make_visitor(student).get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert _progress(page) == ["Response ✓ posted late · Replies 1 of 1 ✓ done late"]
    # The classmate's response was on time; they wrote no reply.
    page = make_visitor(classmate).get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert _progress(page)[0].startswith("Response ✓ posted · Replies 0 of 1")


def test_staff_have_no_progress_line(make_visitor):
    course = factories.course()
    factories.reading(course, due_at=utcnow(), required_replies=2)
    page = make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/").get_data(as_text=True)
    assert _progress(page) == []
