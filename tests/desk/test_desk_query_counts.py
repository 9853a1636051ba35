"""The desk's pages cost the same number of queries for 30 students x 15 readings as for 300 x 30 (bulk inserts)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import insert

from board.desk.models import Grade
from board.extensions import db
from board.models import (
    Award,
    AwardType,
    Comment,
    Membership,
    Post,
    PostKind,
    PostLike,
    PostStatus,
    Role,
    User,
    Visibility,
    utcnow,
)
from tests import factories
from tests.sql import count_queries
from tests.test_query_counts import _same_count

_seq = itertools.count(1)


def _fill(course, instructor, students: int, readings: int) -> tuple[list[int], list[int]]:
    """A roster and readings, with responses (some late, held, hidden, deleted, anonymous), comments, likes,
    awards and grades, inserted in bulk."""
    now = utcnow()
    batch = next(_seq)
    db.session.execute(
        insert(User),
        [
            {"email": f"bulk{batch}-{n}@example.edu", "display_name": f"Student {batch}-{n:03}", "created_at": now}
            for n in range(students)
        ],
    )
    user_ids = list(db.session.scalars(db.select(User.id).where(User.email.like(f"bulk{batch}-%")).order_by(User.id)))
    db.session.execute(
        insert(Membership),
        [{"course_id": course.id, "user_id": uid, "role": Role.STUDENT, "created_at": now} for uid in user_ids],
    )

    def post(kind, author, n, **fields):
        return {
            "course_id": course.id,
            "author_id": author,
            "kind": kind,
            "title": f"{kind} {batch}-{n}",
            "body_md": f"Words of {n} here",
            "body_html": f"<p>Words of {n} here</p>",
            "word_count": 4,
            "status": PostStatus.PUBLISHED,
            "published_at": now - timedelta(days=40) + timedelta(hours=n),
            "created_at": now,
            "updated_at": now,
            **fields,
        }

    db.session.execute(
        insert(Post),
        [
            post(
                PostKind.READING,
                instructor.id,
                r,
                due_at=now - timedelta(days=39) + timedelta(days=r),
                reply_due_at=now - timedelta(days=35) + timedelta(days=r),
                required_replies=2,
                max_points=10,
                week=f"Week {r + 1}",
            )
            for r in range(readings)
        ],
    )
    reading_ids = list(
        db.session.scalars(
            db.select(Post.id).where(Post.course_id == course.id, Post.kind == PostKind.READING).order_by(Post.id)
        )
    )
    rows = []
    for r, reading_id in enumerate(reading_ids):
        for s, uid in enumerate(user_ids):
            if (r + s) % 5 == 4:
                continue  # missing
            rows.append(
                post(
                    PostKind.RESPONSE,
                    uid,
                    r * 1000 + s,
                    reading_id=reading_id,
                    published_at=now - timedelta(days=39) + timedelta(days=r, hours=(s % 3) * 20),
                    visibility=(Visibility.HELD, Visibility.HIDDEN, Visibility.VISIBLE, Visibility.VISIBLE)[s % 4],
                    anonymous=s % 7 == 1,
                    deleted_at=now if s % 11 == 3 else None,
                )
            )
    db.session.execute(insert(Post), rows)
    responses = db.session.execute(
        db.select(Post.id, Post.author_id).where(Post.course_id == course.id, Post.kind == PostKind.RESPONSE)
    ).all()
    db.session.execute(
        insert(Comment),
        [
            {
                "course_id": course.id,
                "post_id": response.id,
                "author_id": user_ids[(n + 1) % len(user_ids)],
                "body_md": "Nice",
                "body_html": "<p>Nice</p>",
                "depth": 1,
                "visibility": Visibility.VISIBLE,
                "anonymous": False,
                "created_at": now - timedelta(days=30) + timedelta(minutes=n),
            }
            for n, response in enumerate(responses)
            if n % 2 == 0
        ],
    )
    db.session.execute(
        insert(PostLike),
        [{"post_id": r.id, "user_id": instructor.id, "created_at": now} for n, r in enumerate(responses) if n % 3 == 0],
    )
    award_type = AwardType(course_id=course.id, name=f"Insight {batch}", badge="star")
    db.session.add(award_type)
    db.session.flush()
    db.session.execute(
        insert(Award),
        [
            {
                "post_id": r.id,
                "award_type_id": award_type.id,
                "given_by_id": instructor.id,
                "note": "",
                "created_at": now,
            }
            for n, r in enumerate(responses)
            if n % 9 == 0
        ],
    )
    db.session.execute(
        insert(Grade),
        [
            {
                "course_id": course.id,
                "reading_id": reading_ids[n % len(reading_ids)],
                "student_id": uid,
                "points": 7.5,
                "feedback_md": "",
                "feedback_html": "",
                "grader_id": instructor.id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for n, uid in enumerate(user_ids)
        ],
    )
    db.session.commit()
    return user_ids, reading_ids


def _queries(visitor, url: str, expect: str):
    assert visitor.get(url).status_code == 200  # warm up
    with count_queries() as log:
        response = visitor.get(url)
    assert response.status_code == 200
    assert expect in response.get_data(as_text=True)
    return log


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ASSISTANT])
def test_desk_pages_cost_the_same_for_30_by_15_and_300_by_30(make_visitor, role):
    instructor = factories.user("Instructor")
    viewer = instructor if role == Role.INSTRUCTOR else factories.user("Assistant")
    small, large = factories.course(instructor, title="Small"), factories.course(instructor, title="Large")
    if role == Role.ASSISTANT:
        db.session.add_all(Membership(course_id=c.id, user_id=viewer.id, role=role) for c in (small, large))
        db.session.commit()
    _, small_readings = _fill(small, instructor, 30, 15)
    _, large_readings = _fill(large, instructor, 300, 30)
    visitor = make_visitor(viewer)

    pages = [
        ("dashboard", "/desk/", None, "Participation"),
        ("gradebook CSV", "/desk/gradebook.csv", None, "Name,Email"),
        ("responses view", "/desk/readings/{}/?sort=received&dir=desc", 1, "Responses to"),
        ("responses view, filtered", "/desk/readings/{}/?show=missing", 1, "Not yet responded"),
        ("reading CSV", "/desk/readings/{}/responses.csv", 1, "Name,Email"),
    ]
    for what, path, index, expect in pages:
        small_log = _queries(visitor, f"/c/{small.slug}" + path.format(small_readings[1]), expect)
        large_log = _queries(visitor, f"/c/{large.slug}" + path.format(large_readings[1]), expect)
        _same_count(small_log, large_log, f"{what}, 30 x 15 vs 300 x 30")

    # A response page opened from the view, with next and previous and the grade form beside it.
    for course, reading_id in ((small, small_readings[1]), (large, large_readings[1])):
        response_id = db.session.scalar(
            db.select(Post.id).where(Post.reading_id == reading_id, Post.deleted_at.is_(None)).order_by(Post.id)
        )
        log = _queries(visitor, f"/c/{course.slug}/posts/{response_id}?from=name.asc.all", "Save and next")
        if course is small:
            small_log = log
    # A response opened from the staff's responses view also works out the reading's participation (roster,
    # responses, and everything counted in one query) to find the next and previous student: 10 in all. The grade
    # form's grade rides along in the page's query of viewer facts.
    _same_count(small_log, log, "response page with next/previous, 30 vs 300 students")


def test_course_home_and_reading_page_cost_the_same_for_a_student_with_few_or_many_readings(make_visitor):
    instructor = factories.user("Instructor")
    small, large = factories.course(instructor, title="Small"), factories.course(instructor, title="Large")
    _small_students, small_readings = _fill(small, instructor, 30, 15)
    _large_students, large_readings = _fill(large, instructor, 300, 30)
    student = factories.user("Student")
    db.session.add_all(Membership(course_id=c.id, user_id=student.id, role=Role.STUDENT) for c in (small, large))
    db.session.commit()
    for course, reading_id in ((small, small_readings[0]), (large, large_readings[0])):
        factories.response(course, student, db.session.get(Post, reading_id), title="Mine")
    visitor = make_visitor(student)
    _same_count(
        _queries(visitor, f"/c/{small.slug}/", "Small"), _queries(visitor, f"/c/{large.slug}/", "Large"), "course home"
    )
    _same_count(
        _queries(visitor, f"/c/{small.slug}/posts/{small_readings[0]}", "Waiting for a comment"),
        _queries(visitor, f"/c/{large.slug}/posts/{large_readings[0]}", "Waiting for a comment"),
        "reading page with progress and suggestions",
    )
