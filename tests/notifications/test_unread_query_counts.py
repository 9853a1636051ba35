"""Read state costs the same whatever the amount of content: the dashboard's new items (one query for all courses),
and the course home and post pages with read rows, a watermark and many new comments, at two sizes each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from board.extensions import db
from board.models import Membership, Post, PostKind, utcnow
from board.notifications.read_models import PostRead
from tests import factories
from tests.test_query_counts import (
    VIEWER_ROLES,
    _classmates,
    _discuss,
    _fill_course,
    _post,
    _queries,
    _same_count,
    _viewer,
)


def _read_some(viewer, course_posts) -> None:
    """The viewer has opened every other post (before any of its comments were written)."""
    db.session.add_all(PostRead(user_id=viewer.id, post_id=post.id, last_comment_id=0) for post in course_posts[::2])


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_dashboard_costs_the_same_for_one_quiet_course_and_four_busy_ones(make_visitor, role):
    quiet = factories.course(title="Quiet course")
    busy = [factories.course(title=f"Busy course {n}") for n in range(4)]
    small_viewer, large_viewer = _viewer([quiet], role), _viewer(busy, role)
    people = _classmates([quiet, *busy], 10)
    _fill_course(quiet, people, small_viewer, 3)
    for course in busy:
        _fill_course(course, people, large_viewer, 40)
    db.session.flush()
    for course in busy[:2]:
        db.session.execute(
            Membership.__table__.update()
            .where(Membership.course_id == course.id, Membership.user_id == large_viewer.id)
            .values(read_comment_id=5, read_posts_at=utcnow() - timedelta(hours=1))
        )
    db.session.commit()

    small_log, small_page = _queries(make_visitor(small_viewer), "/courses", expect="Quiet course")
    large_log, large_page = _queries(make_visitor(large_viewer), "/courses", expect="Busy course 3")
    assert "new comment" in small_page and large_page.count('class="new-count"') == 4
    _same_count(small_log, large_log, "dashboard, 1 quiet course vs 4 busy ones")


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_course_home_with_read_state_costs_the_same_for_5_and_100_posts(make_visitor, role):
    small, large = factories.course(title="Small course"), factories.course(title="Large course")
    viewer = _viewer([small, large], role)
    people = _classmates([small, large], 15)
    _fill_course(small, people, viewer, 5)
    _fill_course(large, people, viewer, 100)
    db.session.flush()
    for course in (small, large):
        _read_some(viewer, db.session.scalars(db.select(Post).where(Post.course_id == course.id)).all())
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{small.slug}/", expect="Small course")
    large_log, page = _queries(visitor, f"/c/{large.slug}/", expect="Large course")
    assert "new comment" in page and "tag-new" in page
    _same_count(small_log, large_log, "course home with read state, 5 vs 100 posts")


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_post_page_with_new_comments_costs_the_same_for_10_and_200(make_visitor, role):
    course = factories.course()
    viewer = _viewer([course], role)
    people = _classmates([course], 12)
    reading = _post(course, factories.instructor_of(course), PostKind.READING)
    small, large = (_post(course, people[0], PostKind.RESPONSE, reading=reading) for _ in range(2))
    db.session.add_all([reading, small, large])
    db.session.flush()
    for post, count in ((small, 10), (large, 200)):
        comments = _discuss(post, people, count, viewer)
        db.session.add(
            PostRead(user_id=viewer.id, post_id=post.id, last_comment_id=sorted(c.id for c in comments)[count // 2])
        )
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{course.slug}/posts/{small.id}", expect="Jump to first new")
    large_log, page = _queries(visitor, f"/c/{course.slug}/posts/{large.id}", expect="Jump to first new")
    assert page.count(" .new-mark") > 50
    _same_count(small_log, large_log, "post page with new comments, 10 vs 200")
