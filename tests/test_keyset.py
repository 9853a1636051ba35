"""Older/newer pages of long lists (board/keyset.py): every item once, in order, both ways; odd cursors are harmless."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from board.extensions import db
from board.keyset import decode, encode
from board.models import Post, PostKind, PostStatus, Role, utcnow
from tests import factories

_LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)">')
# Titles in the list of responses (not the desk's "Waiting for a comment" links, which go to #comment-form).
_TITLE = re.compile(r'<a href="[^"#]+">Response (\d+)</a>')


def _links(page: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in _LINK.findall(page)}


@pytest.fixture
def long_reading():
    """A reading with 120 responses, published a minute apart, and two pairs with the same time (ties by id)."""
    course = factories.course()
    reading = factories.reading(course, factories.instructor_of(course))
    writer = factories.member(course)
    start = utcnow() - timedelta(days=1)
    db.session.add_all(
        Post(
            course_id=course.id,
            author_id=writer.id,
            kind=PostKind.RESPONSE,
            reading_id=reading.id,
            title=f"Response {n}",
            body_md="Text",
            body_html="<p>Text</p>",
            status=PostStatus.PUBLISHED,
            published_at=start + timedelta(minutes=n - n % 2 if n in (40, 41, 90, 91) else n),
        )
        for n in range(120)
    )
    db.session.commit()  # in one go: the 120 rows are only there to be paged through
    return course, reading


def test_older_links_walk_a_readings_responses_newest_first_and_newer_links_walk_back(long_reading, make_visitor):
    course, reading = long_reading
    visitor = make_visitor(factories.member(course, Role.STUDENT))
    url, pages = f"/c/{course.slug}/posts/{reading.id}", []
    while url:
        page = visitor.get(url).get_data(as_text=True)
        pages.append([int(n) for n in _TITLE.findall(page)])
        url = _links(page).get("next")
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [n for page_numbers in pages for n in page_numbers] == list(range(119, -1, -1))

    back = []
    url = _links(page).get("prev")
    while url:
        page = visitor.get(url).get_data(as_text=True)
        back.append([int(n) for n in _TITLE.findall(page)])
        url = _links(page).get("prev")
    assert back == pages[1::-1], "newer pages are the same pages as on the way down"


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "after=-5-3",
        "before=99999999999999999-1",
        "before=999999999999999999-1",
        "after=1-99999999999999999999",
        "before=1-9223372036854775808",
        "before=&after=",
    ],
)
def test_a_malformed_or_out_of_range_cursor_shows_the_first_page(long_reading, make_visitor, query):
    course, reading = long_reading
    visitor = make_visitor(factories.member(course, Role.STUDENT))
    response = visitor.get(f"/c/{course.slug}/posts/{reading.id}?{query}")
    assert response.status_code == 200
    assert "Response 119<" in response.get_data(as_text=True)


def test_a_cursor_names_a_time_to_the_microsecond_and_an_id():
    moment = utcnow()
    assert decode(encode((moment, 42))) == (moment, 42)
    assert decode("12-") is None and decode(None) is None


@pytest.mark.parametrize(
    "query",
    ["slug=other", "post_id=1", "_anchor=top", "_method=POST", "_external=1&_scheme=javascript", "_scheme=https"],
)
def test_query_parameters_named_like_url_parts_neither_break_nor_redirect_the_pager(long_reading, make_visitor, query):
    # The pager keeps the page's other query parameters; these must not reach url_for as its own arguments.
    course, reading = long_reading
    visitor = make_visitor(factories.member(course, Role.STUDENT))
    response = visitor.get(f"/c/{course.slug}/posts/{reading.id}?{query}")
    assert response.status_code == 200
    following = _links(response.get_data(as_text=True))["next"]
    assert following.startswith(f"/c/{course.slug}/posts/{reading.id}?")
    assert "_scheme" not in following and "_external" not in following
