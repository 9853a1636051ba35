"""The notifications page and the preferences page cost the same few queries for a handful of notifications and for
many, whatever their kinds (comments, posts, awards, gone items, anonymous authors)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from board.extensions import db
from board.models import PostKind, Role, Visibility, utcnow
from board.notifications.models import Notification
from tests import factories
from tests.test_query_counts import _classmates, _discuss, _post, _queries, _same_count, _viewer


def _notifications(course, viewer, count: int) -> None:
    """`count` notifications for `viewer` about a response with a long discussion: replies, comments, mentions of
    visible, held, hidden, deleted and anonymous comments, and post-level ones."""
    people = _classmates([course], 6)
    reading = _post(course, factories.instructor_of(course), PostKind.READING)
    response = _post(course, viewer, PostKind.RESPONSE, reading=reading)
    db.session.add_all([reading, response])
    db.session.flush()
    comments = _discuss(response, people, count, viewer)
    kinds = ["reply", "comment", "mention", "watched"]
    start = utcnow() - timedelta(hours=1)
    for n, comment in enumerate(comments):
        db.session.add(
            Notification(
                user_id=viewer.id,
                course_id=course.id,
                kind=kinds[n % 4] if n % 5 else "reading",
                actor_id=comment.author_id,
                post_id=response.id if n % 5 else reading.id,
                comment_id=comment.id if n % 5 else None,
                created_at=start + timedelta(seconds=n),
                read_at=start if n % 3 == 0 else None,
            )
        )
    response.visibility = Visibility.VISIBLE
    db.session.commit()


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR])
def test_notifications_page_costs_the_same_for_5_and_120_notifications(make_visitor, role):
    logs = []
    for count in (5, 120):
        course = factories.course()
        course.allow_anonymous = True
        viewer = _viewer([course], role)
        _notifications(course, viewer, count)
        log, page = _queries(make_visitor(viewer), "/notifications", expect="Notifications")
        assert page.count('<li class="notification') == min(count, 30)
        logs.append(log)
    _same_count(*logs, "notifications page")


def test_preferences_page_costs_the_same_with_few_and_many_notifications(make_visitor):
    logs = []
    for count in (5, 120):
        course = factories.course()
        viewer = _viewer([course], Role.STUDENT)
        _notifications(course, viewer, count)
        log, _ = _queries(make_visitor(viewer), f"/c/{course.slug}/notifications", expect="Notification settings")
        logs.append(log)
    _same_count(*logs, "preferences page")


def test_the_header_count_costs_one_query_for_3_or_300_unread(make_visitor):
    logs = []
    for count, shown in ((3, ">3<"), (300, ">99+<")):
        course = factories.course()
        viewer = _viewer([course], Role.STUDENT)
        db.session.add_all(
            Notification(user_id=viewer.id, course_id=course.id, kind="nudge", detail="x") for _ in range(count)
        )
        db.session.commit()
        log, _ = _queries(make_visitor(viewer), "/courses", expect=shown)
        assert sum("FROM notifications" in statement for statement in log) == 1
        logs.append(log)
    _same_count(*logs, "dashboard with the header count")
