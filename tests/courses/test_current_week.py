"""The course home lists the current week first (the week whose dates contain today, else the latest to have
begun), then later weeks, then older ones newest first; pinned readings stay on top, unlabelled ones at the end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from board.courses.weeks import current_week_first
from board.models import Post, PostKind, utcnow
from board.posts.queries import PostRow
from tests import factories

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday


def _row(n: int, week: str, published: datetime, due: datetime | None = None, pinned: bool = False) -> PostRow:
    post = Post(
        id=n, kind=PostKind.READING, title=f"R{n}", week=week, published_at=published, due_at=due, pinned=pinned
    )
    post.created_at = published
    return PostRow(post)


def _syllabus():
    return [
        _row(1, "", T0, pinned=True),
        _row(2, "Week 1", T0, T0 + timedelta(days=3)),
        _row(3, "Week 1", T0 + timedelta(days=1), T0 + timedelta(days=4)),
        _row(4, "Week 2", T0 + timedelta(days=7), T0 + timedelta(days=10)),
        _row(5, "Week 3", T0 + timedelta(days=14), T0 + timedelta(days=17)),
        _row(6, "", T0),
    ]


def _titles(weeks) -> list[str]:
    return [row.post.title for row in weeks.rows]


def test_the_week_containing_today_comes_first_then_older_ones_newest_first():
    weeks = current_week_first(_syllabus(), T0 + timedelta(days=8))
    assert _titles(weeks) == ["R1", "R4", "R5", "R2", "R3", "R6"]
    assert (weeks.current, weeks.contains_today) == ("Week 2", True)


def test_between_weeks_the_latest_begun_comes_first():
    weeks = current_week_first(_syllabus(), T0 + timedelta(days=30))
    assert _titles(weeks) == ["R1", "R5", "R4", "R2", "R3", "R6"]
    assert (weeks.current, weeks.contains_today) == ("Week 3", False)


def test_overlapping_weeks_pick_the_one_that_began_last():
    # Week 1's replies are due in week 2: both contain day 8; week 2 began later.
    rows = _syllabus()
    rows[1].post.reply_due_at = T0 + timedelta(days=9)
    assert current_week_first(rows, T0 + timedelta(days=8)).current == "Week 2"


def test_course_home_puts_this_weeks_reading_first(make_visitor):
    course = factories.course()
    student = factories.member(course)
    now = utcnow()
    for week, days_ago, title in (
        ("Week 1", 20, "Oldest reading"),
        ("Week 2", 13, "Older reading"),
        ("Week 3", 2, "This week's reading"),
    ):
        factories.reading(
            course,
            title=title,
            week=week,
            published_at=now - timedelta(days=days_ago),
            due_at=now - timedelta(days=days_ago) + timedelta(days=4),
        )
    page = make_visitor(student).get(f"/c/{course.slug}/").get_data(as_text=True)
    titles = re.findall(r'class="reading-title"[^>]*>([^<]+)</a>', page)
    assert titles == ["This week&#39;s reading", "Older reading", "Oldest reading"]
    assert re.search(r'<li class="week-label">Week 3 <span class="tag tag-current">This week</span></li>', page)
