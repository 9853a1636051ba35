"""The grading pages, My work (and its export) and pages with awards on comments cost the same number of queries for a
small class as for a large one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from board.desk.models import Grade
from board.extensions import db
from board.models import Award, AwardType, Comment, PostKind, Role, Visibility, utcnow
from tests import factories
from tests.sql import count_queries
from tests.test_query_counts import _classmates, _post, _same_count


def _course(students: int, readings: int, comments_each: int):
    """A course whose first student wrote a response to every reading and `comments_each` comments per reading
    (top-level, replies to classmates, some held, some anonymous), with grades released and awards on comments."""
    course = factories.course()
    course.allow_anonymous = True
    instructor = factories.instructor_of(course)
    me = factories.member(course, Role.STUDENT, "Me Student")  # signs in; the others only appear in the data
    people = [me, *_classmates([course], students - 1)]
    award_type = AwardType(course_id=course.id, name="Sharp Question", badge="lightbulb")
    db.session.add(award_type)
    start = utcnow() - timedelta(days=30)
    for r in range(readings):
        reading = _post(course, instructor, PostKind.READING, due_at=start + timedelta(days=r), required_replies=2)
        reading.max_points = 10.0
        reading.grades_released_at = utcnow()
        responses = [
            _post(course, person, PostKind.RESPONSE, reading=reading, anonymous=n % 3 == 1)
            for n, person in enumerate(people)
        ]
        db.session.add_all([reading, *responses])
        db.session.flush()
        theirs = [
            Comment(
                course_id=course.id,
                post_id=responses[1 + n % (len(responses) - 1)].id,
                author_id=people[1 + n % (len(people) - 1)].id,
                body_md=f"Question {n}",
                body_html=f"<p>Question {n}</p>",
                anonymous=n % 2 == 0,
                created_at=start + timedelta(minutes=n),
            )
            for n in range(comments_each)
        ]
        db.session.add_all(theirs)
        db.session.flush()
        mine = [
            Comment(
                course_id=course.id,
                post_id=parent.post_id,
                parent_id=parent.id if n % 2 else None,
                depth=2 if n % 2 else 1,
                author_id=me.id,
                body_md=f"My comment {n}",
                body_html=f"<p>My comment {n}</p>",
                visibility=Visibility.HELD if n % 5 == 4 else Visibility.VISIBLE,
                created_at=start + timedelta(minutes=100 + n),
            )
            for n, parent in enumerate(theirs)
        ]
        db.session.add_all(mine)
        db.session.flush()
        db.session.add_all(
            Award(comment_id=c.id, award_type_id=award_type.id, given_by_id=instructor.id, note="Nice")
            for c in [*theirs, *mine][::3]
        )
        db.session.add_all(
            Grade(
                course_id=course.id,
                reading_id=reading.id,
                student_id=person.id,
                points=7.0,
                feedback_md="Fine",
                feedback_html="<p>Fine</p>",
                grader_id=instructor.id,
            )
            for person in people
        )
    db.session.commit()
    return course, instructor, me, reading, responses[1]


def _count(visitor, url: str, expect: str):
    assert visitor.get(url).status_code == 200
    with count_queries() as log:
        response = visitor.get(url)
    assert response.status_code == 200
    assert expect in response.get_data(as_text=True), f"{url} does not show {expect!r}"
    return log


def _pages(make_visitor, course, instructor, me, reading, response):
    base = f"/c/{course.slug}"
    staff, student = make_visitor(instructor), make_visitor(me)
    return {
        "grading page": _count(staff, f"{base}/readings/{reading.id}/grades/{me.id}", "My comment 1"),
        "grades list": _count(staff, f"{base}/readings/{reading.id}/grades", "Withdraw grades"),
        "my work": _count(student, f"{base}/my-work", "My comment 1"),
        "my work export": _count(student, f"{base}/my-work/export", "My comment 1"),
        "reading page (student)": _count(student, f"{base}/posts/{reading.id}", "Your grade: 7 / 10"),
        "response with comment awards": _count(student, f"{base}/posts/{response.id}", "Sharp Question"),
        "awards page": _count(student, f"{base}/awards", "A comment on"),
        "awards page (staff)": _count(staff, f"{base}/awards", "A comment on"),
    }


@pytest.mark.parametrize("sizes", [((4, 2, 3), (40, 12, 30))])
def test_grading_and_my_work_do_not_grow_with_the_class(make_visitor, sizes):
    small_size, large_size = sizes
    small = _pages(make_visitor, *_course(*small_size))
    large = _pages(make_visitor, *_course(*large_size))
    for what in small:
        _same_count(small[what], large[what], what)
