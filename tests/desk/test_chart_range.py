"""The chart follows the term: with the course's start and end dates it covers those weeks; without them, the most
recent stretch of activity, not every empty week since the oldest post (the seed's 2017)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from board.desk import participation
from board.extensions import db
from board.models import Role
from tests import factories

OLD = datetime(2017, 3, 6, 12, 0, tzinfo=UTC)  # a Monday, the seed's era
TERM = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)  # a Monday, this term


@pytest.fixture
def course():
    course = factories.course()
    instructor = factories.instructor_of(course)
    ada, ben = (factories.member(course, Role.STUDENT) for _ in range(2))
    old, new = factories.reading(course, title="Old"), factories.reading(course, title="New")
    factories.response(course, ada, old, published_at=OLD)
    factories.response(course, ben, old, published_at=OLD + timedelta(weeks=40))
    response = factories.response(course, ada, new, published_at=TERM)
    factories.response(course, ben, new, published_at=TERM + timedelta(weeks=3))
    comment = factories.comment(response, ben, "This term's comment")
    comment.created_at = TERM + timedelta(days=1)
    db.session.commit()
    course.instructor = instructor
    return course


def _weeks(course):
    return participation.for_course(factories.context(course, course.instructor)).weeks


def test_without_dates_the_chart_covers_the_latest_stretch_of_activity(course):
    weeks = _weeks(course)
    assert [(w.start, w.responses, w.comments) for w in weeks] == [
        (date(2026, 9, 7), 1, 1),
        (date(2026, 9, 14), 0, 0),
        (date(2026, 9, 21), 0, 0),
        (date(2026, 9, 28), 1, 0),
    ]


def test_a_short_break_stays_in_the_stretch_a_long_gap_ends_it():
    week = participation.WeekCount
    first = date(2026, 9, 7)
    counts = {d: week(d, responses=1) for d in (first, first + timedelta(weeks=7), first + timedelta(weeks=15))}
    # 6 empty weeks between the first two (kept), 7 between the last two (the stretch starts after them).
    assert participation.chart_range(counts, None, None) == (first + timedelta(weeks=15), first + timedelta(weeks=15))
    counts.pop(first + timedelta(weeks=15))
    assert participation.chart_range(counts, None, None) == (first, first + timedelta(weeks=7))
    assert participation.chart_range({}, None, None) == (None, None)


def test_with_the_terms_dates_the_chart_covers_those_weeks_only(course):
    course.starts_on, course.ends_on = date(2026, 8, 31), date(2026, 10, 16)
    db.session.commit()
    weeks = _weeks(course)
    assert weeks[0].start == date(2026, 8, 31) and weeks[-1].start == date(2026, 10, 12)
    assert len(weeks) == 7 and sum(w.responses for w in weeks) == 2 and sum(w.comments for w in weeks) == 1


def test_a_start_date_alone_reaches_back_to_old_activity_when_asked(course):
    course.starts_on = date(2017, 1, 2)
    course.ends_on = date(2017, 6, 30)
    db.session.commit()
    weeks = _weeks(course)
    assert weeks[0].start == date(2017, 1, 2) and weeks[-1].start == date(2017, 6, 26)
    assert sum(w.responses for w in weeks) == 1  # the other old response came 40 weeks later, after the term


def test_the_dashboard_says_which_weeks_it_shows(make_visitor, course):
    staff = make_visitor(course.instructor)
    page = staff.get(f"/c/{course.slug}/desk/").get_data(as_text=True)
    assert "The most recent weeks with activity" in page and "Sep 7, 2026" in page and "Mar 6, 2017" not in page
    assert "Set the term’s dates" in page
