"""Pages with likes, awards and moderation content run a fixed number of SQL queries, however much they show."""

from __future__ import annotations

import pytest

from board.extensions import db
from board.models import (
    AuditEntry,
    Award,
    AwardType,
    Comment,
    CommentLike,
    PostLike,
    Report,
    Role,
    Visibility,
)
from tests import factories
from tests.sql import count_queries


@pytest.fixture
def klass():
    course = factories.course()
    students = [factories.member(course, Role.STUDENT) for _ in range(4)]
    reading = factories.reading(course)
    types = [AwardType(course_id=course.id, name=f"Award {n}", badge="star") for n in range(3)]
    db.session.add_all(types)
    db.session.commit()
    return course, students, reading, types


def _grow(course, students, reading, types, n: int) -> int:
    """n responses, each awarded and liked, and a thread of n comments on one of them, each liked and reported."""
    instructor = factories.instructor_of(course)
    responses = [factories.response(course, students[i % 4], reading, title=f"Essay {i}") for i in range(n)]
    target = responses[0]
    rows = []
    for i, post in enumerate(responses):
        rows.append(Award(post_id=post.id, award_type_id=types[i % 3].id, given_by_id=instructor.id))
        rows.append(PostLike(post_id=post.id, user_id=students[(i + 1) % 4].id))
    db.session.add_all(rows)
    comments = []
    for i in range(n):
        parent = comments[i - 1] if i % 3 else None
        comments.append(
            Comment(
                course_id=course.id,
                post_id=target.id,
                author_id=students[i % 4].id,
                parent_id=parent.id if parent else None,
                depth=parent.depth + 1 if parent else 1,
                body_md=f"Comment {i}",
                body_html=f"<p>Comment {i}</p>",
                visibility=Visibility.HELD if i % 5 == 0 else Visibility.VISIBLE,
            )
        )
        db.session.add(comments[-1])
        db.session.flush()
    db.session.add_all(
        [CommentLike(comment_id=c.id, user_id=students[(i + 2) % 4].id) for i, c in enumerate(comments)]
        + [
            Report(course_id=course.id, reporter_id=students[(i + 1) % 4].id, comment_id=c.id, reason="Why")
            for i, c in enumerate(comments)
        ]
        + [
            AuditEntry(
                course_id=course.id,
                actor_id=instructor.id,
                action="hide",
                subject_type="comment",
                subject_id=c.id,
                reason="r",
            )
            for c in comments
        ]
    )
    db.session.commit()
    return target.id


def _count(visitor, url: str):
    assert visitor.get(url).status_code == 200
    with count_queries() as log:
        assert visitor.get(url).status_code == 200
    return log


@pytest.mark.parametrize("viewer", ["instructor", "student"])
def test_pages_with_likes_awards_and_reports_do_not_grow(klass, make_visitor, viewer):
    course, students, reading, types = klass
    small_target = _grow(course, students, reading, types, 10)
    person = make_visitor(factories.instructor_of(course) if viewer == "instructor" else students[0])
    base = f"/c/{course.slug}"
    urls = [
        f"{base}/posts/{small_target}",
        f"{base}/posts/{reading.id}",
        f"{base}/",
        f"{base}/awards",
        f"{base}/people/{students[1].id}",
    ]
    if viewer == "instructor":
        urls += [f"{base}/moderation", f"{base}/audit"]
    small = {url: _count(person, url) for url in urls}

    large_target = _grow(course, students, reading, types, 200)
    large = {
        url.replace(f"/posts/{small_target}", f"/posts/{large_target}"): _count(
            person, url.replace(f"/posts/{small_target}", f"/posts/{large_target}")
        )
        for url in urls
    }
    for (url, few), (_, many) in zip(small.items(), large.items(), strict=True):
        assert len(few) == len(many), f"{url}: {len(few)} queries with little content, {len(many)} with much\n{many}"
