"""A feed's SQL query count does not grow with the course (few entries cost what many do); fetching writes nothing."""

from __future__ import annotations

import pytest

from board.extensions import db
from board.feeds import tokens
from board.models import PostKind
from tests import factories
from tests.sql import count_queries
from tests.test_query_counts import VIEWER_ROLES, _classmates, _discuss, _post, _same_count, _viewer


def _count(app, path: str):
    reader = app.test_client()
    assert reader.get(path).status_code == 200  # warm-up
    with count_queries() as log:
        response = reader.get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert not [q for q in log if q.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")], "a feed wrote:\n" + str(log)
    return log


def _course(viewer_role, responses: int, comments: int):
    course = factories.course()
    viewer = _viewer([course], viewer_role)
    people = _classmates([course], 8)
    instructor = factories.instructor_of(course)
    readings = [_post(course, instructor, PostKind.READING, minutes=n) for n in range(1 + responses // 10)]
    gated = _post(course, instructor, PostKind.READING, responses_hidden_until_posted=True)
    db.session.add_all([*readings, gated])
    db.session.flush()
    posts = [
        _post(
            course,
            people[n % len(people)],
            PostKind.RESPONSE,
            reading=readings[n % len(readings)],
            minutes=n,
            anonymous=n % 5 == 1,
        )
        for n in range(responses)
    ]
    posts += [_post(course, people[0], PostKind.RESPONSE, reading=gated)]
    db.session.add_all(posts)
    db.session.flush()
    _discuss(posts[0], people, comments, viewer)
    db.session.commit()
    tokens.renew(viewer)
    token = tokens.token_for(viewer)
    base = f"/feeds/{token}/c/{course.slug}"
    return [
        f"{base}/feed.atom",
        f"{base}/readings/{readings[0].id}/responses.atom",
        f"{base}/readings/{gated.id}/responses.atom",
        f"{base}/posts/{posts[0].id}/comments.atom",
    ]


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_feeds_cost_the_same_for_a_small_and_a_large_course(app, role):
    small = _course(role, responses=5, comments=10)
    large = _course(role, responses=120, comments=200)
    for small_path, large_path in zip(small, large, strict=True):
        _same_count(_count(app, small_path), _count(app, large_path), large_path.split("/", 5)[-1])
