"""Course search, through the search page: ranking, the query language, filters, paging and bad input.

Every test runs on the database the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL), with the same
expectations: the two engines must behave alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from board.extensions import db
from board.models import Role
from tests import factories

_HIT = re.compile(r'data-hit="(post|comment)-(\d+)"')


def found(visitor, course, q: str, **filters) -> list[str]:
    """The results the search page lists, best first, as "post-ID" / "comment-ID"."""
    response = visitor.get(f"/c/{course.slug}/search", query_string={"q": q, **filters})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [f"{kind}-{number}" for kind, number in _HIT.findall(response.get_data(as_text=True))]


def key(item) -> str:
    return f"{'post' if hasattr(item, 'kind') else 'comment'}-{item.id}"


@pytest.fixture
def course():
    return factories.course()


@pytest.fixture
def student(course, make_visitor):
    person = factories.member(course, Role.STUDENT, "Sasha Student")
    return person, make_visitor(person)


def test_title_match_ranks_above_body_only_match(course, student):
    person, visitor = student
    body_only = factories.response(
        course, person, title="Thoughts", body="Collectivization, collectivization, collectivization everywhere."
    )
    title = factories.response(course, person, title="On collectivization", body="A short note.")
    assert found(visitor, course, "collectivization") == [key(title), key(body_only)]


def test_stemming_finds_other_forms_of_a_word(course, student):
    person, visitor = student
    post = factories.response(course, person, title="Camps", body="The prisoners were running the workshops.")
    assert found(visitor, course, "runs") == [key(post)]
    assert found(visitor, course, "prisoner workshop") == [key(post)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"forced labour"', {"phrase"}),
        ("forced labour", {"phrase", "apart"}),
        ("labour -forced", {"labour_only", "exile"}),
        ('labour -"forced labour"', {"apart", "labour_only", "exile"}),
        ("famine or exile", {"famine", "exile"}),
        ("labour famine or exile", {"exile"}),
        ("LABOUR Or Famine", {"phrase", "apart", "labour_only", "famine", "exile"}),
        ('"forced labour', {"phrase"}),  # an unclosed quote ends at the end of the box
        ("famine -", {"famine"}),
    ],
)
def test_phrases_or_and_exclusion(course, student, q, expected):
    person, visitor = student
    texts = {
        "phrase": "They describe forced labour in the north.",
        "apart": "Labour that was forced, and more.",
        "labour_only": "Labour shortages in the cities.",
        "famine": "The famine of 1932.",
        "exile": "Internal exile and labour.",
    }
    posts = {
        name: factories.response(course, person, title=f"Note {n}", body=text)
        for n, (name, text) in enumerate(texts.items())
    }
    assert set(found(visitor, course, q)) == {key(posts[name]) for name in expected}


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""""',
        "-",
        "- - or or",
        "-solidarity",
        "or",
        "the and of",
        "solidarity" + " x" * 5000,
        "soli\x00darity",
        "\x00",
        "{title}: solidarity",
        "NEAR(solidarity reading)",
        "solidarity*",
        "^solidarity",
        "solidarity:",
        "title:solidarity",
        "a & b | !c <-> d",
        "(solidarity",
        "'; DROP TABLE posts; --",
        "\x01solidarity\x02",
        "ü" * 301,
    ],
)
def test_bad_queries_get_a_message_never_an_error(course, student, q):
    person, visitor = student
    factories.response(course, person, body="Solidarity in the reading.")
    response = visitor.get(f"/c/{course.slug}/search", query_string={"q": q})
    assert response.status_code in (200, 422), response.status_code
    page = response.get_data(as_text=True)
    if response.status_code == 422:
        assert 'class="error"' in page
        assert 'name="q"' in page  # the box is there again with what was typed


def test_too_long_and_empty_queries_are_explained(course, student):
    _, visitor = student
    long = visitor.get(f"/c/{course.slug}/search", query_string={"q": "word " * 2000})
    assert long.status_code == 422
    assert "at most 300 characters" in long.get_data(as_text=True)
    only_excluded = visitor.get(f"/c/{course.slug}/search", query_string={"q": "-gulag"})
    assert only_excluded.status_code == 422
    assert "cannot be only words to leave out" in only_excluded.get_data(as_text=True)
    blank = visitor.get(f"/c/{course.slug}/search")
    assert blank.status_code == 200
    assert "data-hit" not in blank.get_data(as_text=True)


def test_snippets_are_escaped_except_the_highlight(course, student):
    person, visitor = student
    factories.response(
        course, person, title="Tags <b>bold</b>", body='Barracks & <script>alert("x")</script> wire "quoted" barracks'
    )
    page = visitor.get(f"/c/{course.slug}/search", query_string={"q": "barracks"}).get_data(as_text=True)
    snippet = re.search(r'class="hit-snippet">(.*?)</p>', page, re.DOTALL).group(1)
    assert "<mark>Barracks</mark>" in snippet
    assert "<script" not in page.split('class="search-results"')[1]
    assert set(re.findall(r"<(/?\w+)", snippet)) <= {"mark", "/mark"}
    assert "&amp;" in snippet


def test_kind_author_reading_and_date_filters(course, student, make_visitor):
    person, visitor = student
    other = factories.member(course, name="Olga Other")
    first = factories.reading(course, title="Gulag memoirs", body="Memoirs of the camps.")
    second = factories.reading(course, title="Thaw", body="After the camps.")
    mine = factories.response(course, person, first, title="On the camps", body="The camps were vast.")
    theirs = factories.response(course, other, second, title="Response", body="Camps again.")
    note = factories.comment(theirs, person, "The camps, as you say.", minutes=0)
    old = factories.comment(mine, other, "Old remark about camps.")
    old.created_at = datetime(2020, 5, 1, 12, tzinfo=UTC)
    db.session.commit()
    every = {key(x) for x in (first, second, mine, theirs, note, old)}
    assert set(found(visitor, course, "camps")) == every
    assert set(found(visitor, course, "camps", kind="reading")) == {key(first), key(second)}
    assert set(found(visitor, course, "camps", kind="response")) == {key(mine), key(theirs)}
    assert set(found(visitor, course, "camps", kind="comment")) == {key(note), key(old)}
    assert set(found(visitor, course, "camps", author=str(person.id))) == {key(mine), key(note)}
    assert set(found(visitor, course, "camps", reading=str(first.id))) == {key(first), key(mine), key(old)}
    assert set(found(visitor, course, "camps", until="2020-05-01")) == {key(old)}
    assert set(found(visitor, course, "camps", since="2020-05-02")) == every - {key(old)}
    today = datetime.now(UTC).date().isoformat()
    assert set(found(visitor, course, "camps", kind="comment", since=today, until=today)) == {key(note)}


def test_dates_at_the_ends_of_the_calendar_are_bounds_like_any_other(course, student):
    # The last day's end and the first day's start are past what Python's datetime can hold: not a 500.
    person, visitor = student
    post = factories.response(course, person, title="Gulag", body="The gulag archipelago.")
    assert found(visitor, course, "gulag", until="9999-12-31") == [key(post)]
    assert found(visitor, course, "gulag", since="0001-01-01") == [key(post)]
    assert found(visitor, course, "gulag", since="0001-01-01", until="9999-12-31") == [key(post)]
    assert found(visitor, course, "gulag", since="9999-12-31") == []
    assert found(visitor, course, "gulag", until="0001-01-01") == []


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": "everything"},
        {"author": "999999"},
        {"author": "x"},
        {"reading": "-1"},
        {"since": "not a date"},
        {"since": "2021-02-30"},
        {"since": "2022-01-02", "until": "2022-01-01"},
        {"page": "0"},
        {"page": "99999999999999999999999"},
    ],
)
def test_bad_filters_are_refused_with_a_message(course, student, filters):
    person, visitor = student
    factories.response(course, person, body="Camps.")
    response = visitor.get(f"/c/{course.slug}/search", query_string={"q": "camps", **filters})
    if "page" in filters:
        assert response.status_code == 200  # out of range: the first page
        return
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_results_page_by_twenty_up_to_a_bound(course, student):
    person, visitor = student
    post = factories.response(course, person, title="Thread", body="Start.")
    comments = [factories.comment(post, person, f"Remark {n} on the barracks.") for n in range(25)]
    first = visitor.get(f"/c/{course.slug}/search", query_string={"q": "barracks"}).get_data(as_text=True)
    assert len(_HIT.findall(first)) == 20
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "page=2" in link
    second = visitor.get(link).get_data(as_text=True)
    shown = _HIT.findall(first) + _HIT.findall(second)
    assert {f"comment-{c.id}" for c in comments} == {f"{k}-{n}" for k, n in shown}
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_search_box_is_on_course_pages(course, student):
    _, visitor = student
    home = visitor.get(f"/c/{course.slug}/").get_data(as_text=True)
    assert f'action="/c/{course.slug}/search"' in home
    assert 'role="search"' in home


def test_people_outside_the_course_find_nothing(course, client, make_visitor):
    factories.response(course, factories.member(course), body="Secret camps.")
    outsider = make_visitor(factories.user())
    assert outsider.get(f"/c/{course.slug}/search", query_string={"q": "camps"}).status_code == 404
    assert client.get(f"/c/{course.slug}/search", query_string={"q": "camps"}).status_code == 302


def test_a_course_searches_only_itself(course, student):
    person, visitor = student
    elsewhere = factories.course()
    stranger = factories.member(elsewhere)
    factories.response(elsewhere, stranger, body="Camps elsewhere.")
    factories.reading(elsewhere, body="Camps elsewhere.")
    mine = factories.response(course, person, body="Camps here.")
    assert found(visitor, course, "camps") == [key(mine)]


def test_search_writes_nothing(course, student):
    from tests.sql import count_queries

    person, visitor = student
    factories.response(course, person, body="Camps.")
    with count_queries() as log:
        visitor.get(f"/c/{course.slug}/search", query_string={"q": "camps"})
    assert not [s for s in log if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.IGNORECASE)], str(log)


def test_only_the_newest_matches_are_ranked(course, student, monkeypatch):
    from board.search import queries

    monkeypatch.setattr(queries, "CANDIDATES", 3)
    person, visitor = student
    post = factories.response(course, person, title="Thread", body="Start.")
    # The oldest comment would rank first (the word twice), but only the three newest matches are ranked.
    oldest = factories.comment(post, person, "Taiga, taiga.", minutes=1)
    newer = [
        factories.comment(post, person, f"Remark {n} on the taiga and more words.", minutes=2 + n) for n in range(3)
    ]
    shown = found(visitor, course, "taiga")
    assert key(oldest) not in shown
    assert set(shown) == {key(c) for c in newer}


def test_a_very_common_search_lists_title_matches_then_the_newest(course, student, monkeypatch):
    from board.search import backends

    monkeypatch.setattr(backends, "RANKED_MATCHES", 2)  # SQLite's bm25 is skipped past this many matches
    person, visitor = student
    title = factories.response(course, person, title="Steppe", body="Short.")
    post = factories.response(course, person, title="Thread", body="Start.")
    comments = [factories.comment(post, person, f"The steppe {n}.", minutes=n) for n in range(4)]
    shown = found(visitor, course, "steppe")
    assert shown[0] == key(title)
    assert set(shown) == {key(title), *(key(c) for c in comments)}


def test_paging_stops_at_its_bound_and_says_so(course, student, monkeypatch):
    from board.search import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    monkeypatch.setattr(queries, "MAX_PAGES", 2)
    person, visitor = student
    post = factories.response(course, person, title="Thread", body="Start.")
    for n in range(5):
        factories.comment(post, person, f"Remark {n} on the barracks.")
    last = visitor.get(f"/c/{course.slug}/search", query_string={"q": "barracks", "page": "2"}).get_data(as_text=True)
    assert len(_HIT.findall(last)) == 2
    assert 'rel="next"' not in last
    assert "That is as far as search goes" in last
    beyond = visitor.get(f"/c/{course.slug}/search", query_string={"q": "barracks", "page": "3"}).get_data(as_text=True)
    assert 'rel="prev"' not in beyond  # out of range: the first page
