"""The search page runs the same, small number of queries whatever the course holds (at most 10)."""

from __future__ import annotations

import pytest

from board.extensions import db
from board.models import PostKind, Role, Visibility
from tests import factories
from tests.test_query_counts import VIEWER_ROLES, _classmates, _discuss, _post, _queries, _same_count, _viewer

MAX_QUERIES = 10


def _course_with(size: int, role):
    """A course whose readings, responses and comments all mention "tundra": `size` responses with `size` comments
    in all, a gated reading, anonymous, held and hidden items among them."""
    course = factories.course()
    viewer = _viewer([course], role)
    people = _classmates([course], 8)
    readings = [_post(course, people[0], PostKind.READING) for n in range(3)]
    readings[1].responses_hidden_until_posted = True
    db.session.add_all(readings)
    db.session.flush()
    for reading in readings:
        reading.title = f"Tundra reading {reading.id}"
    first_reading = readings[0].id
    responses = [
        _post(
            course,
            people[n % len(people)],
            PostKind.RESPONSE,
            reading=readings[n % 3],
            minutes=n,
            anonymous=n % 5 == 1,
            visibility=Visibility.HELD if n % 7 == 3 else Visibility.VISIBLE,
        )
        for n in range(size)
    ]
    db.session.add_all(responses)
    db.session.flush()
    for response in responses:
        response.body_md = f"Notes on the tundra and the camps, {response.id}."
    comments = _discuss(responses[0], people, size, viewer)
    for comment in comments:
        comment.body_md = f"The tundra again, {comment.id}."
    db.session.commit()
    return course, viewer, first_reading


@pytest.mark.parametrize("role", VIEWER_ROLES)
@pytest.mark.parametrize("filters", [{}, {"kind": "comment"}, {"author": "me"}, {"reading": "first"}])
def test_search_page_costs_the_same_for_small_and_large_courses(make_visitor, role, filters):
    logs = []
    for size in (6, 120):
        course, viewer, first_reading = _course_with(size, role)  # noqa: RUF059 (used by the reading filter)
        args = dict(filters, q="tundra")
        if args.get("author") == "me":
            args["author"] = str(viewer.id)
        if args.get("reading") == "first":
            args["reading"] = str(
                min(
                    p.id
                    for p in db.session.scalars(
                        db.select(factories.Post).where(
                            factories.Post.course_id == course.id, factories.Post.kind == PostKind.READING
                        )
                    )
                )
            )
        query = "&".join(f"{k}={v}" for k, v in args.items())
        log, _ = _queries(make_visitor(viewer), f"/c/{course.slug}/search?{query}", expect="Search")
        logs.append(log)
    small, large = logs
    _same_count(small, large, f"search as {role} with {filters}")
    assert len(large) <= MAX_QUERIES, str(large)


def test_a_later_page_costs_what_the_first_does(make_visitor):
    course, viewer, _ = _course_with(120, Role.STUDENT)
    visitor = make_visitor(viewer)
    first, page = _queries(visitor, f"/c/{course.slug}/search?q=tundra", expect='rel="next"')
    assert page.count("data-hit=") == 20
    third, page = _queries(visitor, f"/c/{course.slug}/search?q=tundra&page=3", expect='rel="prev"')
    assert page.count("data-hit=") == 20
    _same_count(first, third, "search pages 1 and 3")
