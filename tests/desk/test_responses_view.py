"""The responses view: every student, sorted and filtered by GET parameters (no JavaScript), the responses nobody
has commented on, and next/previous between responses in the view's order; staff only."""

from __future__ import annotations

import html
import re

import pytest

from board.models import Role
from tests import factories
from tests.desk.world import build_class

_ROW = re.compile(r'<tr data-student="(\d+)"')


@pytest.fixture
def klass():
    return build_class()


def _order(klass, page: str) -> list[str]:
    keys = {user.id: key for key, user in klass.students.items()}
    return [keys[int(s)] for s in _ROW.findall(page)]


def _view(visitor, klass, query: str = "") -> str:
    response = visitor.get(f"{klass.url}/desk/readings/{klass.reading.id}/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_student_is_listed_by_name_responded_or_not(klass, make_visitor):
    page = _view(make_visitor(klass.instructor), klass)
    assert _order(klass, page) == ["ada", "ben", "cy", "di", "ed", "flo", "gus"]
    assert "No response" in page and "Late by 5.0 h" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?show=missing", ["cy", "di"]),
        ("?show=late", ["ben"]),
        ("?show=ungraded", ["cy", "di", "ed", "flo", "gus"]),
        ("?sort=received&dir=desc", ["ada", "gus", "ben", "cy", "di", "ed", "flo"]),
        ("?sort=points&dir=asc&show=all", ["ben", "ada", "cy", "di", "ed", "flo", "gus"]),
        ("?sort=status", ["ada", "ed", "flo", "gus", "ben", "cy", "di"]),
        ("?sort=given&dir=desc&show=missing", ["cy", "di"]),
    ],
)
def test_sort_and_filter_by_get_parameters(klass, make_visitor, query, expected):
    assert _order(klass, _view(make_visitor(klass.instructor), klass, query)) == expected


@pytest.mark.parametrize("query", ["?sort=nope", "?dir=sideways", "?show=%00", "?sort=_external&show=_anchor"])
def test_unknown_parameters_show_the_plain_view(klass, make_visitor, query):
    assert _order(klass, _view(make_visitor(klass.instructor), klass, query)) == [
        "ada",
        "ben",
        "cy",
        "di",
        "ed",
        "flo",
        "gus",
    ]


def test_responses_with_no_comment_yet_are_listed(klass, make_visitor):
    page = _view(make_visitor(klass.instructor), klass)
    section = html.unescape(page.split('id="uncommented-heading"')[1])
    assert "Ed's response" in section and "Flo's response" in section
    assert "Ada's response" not in section and "Di's response" not in section


def test_next_and_previous_follow_the_view_it_was_opened_from(klass, make_visitor):
    visitor = make_visitor(klass.instructor)
    page = _view(visitor, klass, "?sort=received&dir=desc")
    first = html.unescape(re.search(r'href="([^"]*from=received\.desc\.all)"', page).group(1))
    seen = []
    url = first
    while url:
        response = visitor.get(url)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        seen.append(re.search(r"<h1>([^<]*)</h1>", text).group(1))
        following = re.search(r'<a rel="next" href="([^"]+)"', text)
        url = html.unescape(following.group(1)) if following else None
    # The view's order among students with a response: Ada (3 received), Gus (3), Ben (1), then Ed, Flo, Di
    # (0 each, by name); a deleted response is still there for staff to open.
    assert [html.unescape(t) for t in seen] == [
        "Ada's response",
        "Gus's response",
        "Ben's response",
        "Di's response",
        "Ed's response",
        "Flo's response",
    ]
    assert "Back to the responses view" in text and "Response 6 of 6" in text
    back = re.search(r'<a href="([^"]+)">Back to the responses view', text).group(1)
    assert "sort=received" in html.unescape(back) and "dir=desc" in html.unescape(back)


def test_a_response_page_without_from_or_with_a_bad_one_has_no_view_navigation(klass, make_visitor):
    visitor = make_visitor(klass.instructor)
    for query in ("", "?from=bogus", "?from=name.up.all", "?from=name.asc.%00"):
        page = visitor.get(f"{klass.url}/posts/{klass.responses['ada'].id}{query}").get_data(as_text=True)
        assert "Back to the responses view" not in page


def test_students_never_get_view_navigation(klass, make_visitor):
    page = (
        make_visitor(klass.students["cy"])
        .get(f"{klass.url}/posts/{klass.responses['ada'].id}?from=name.asc.all")
        .get_data(as_text=True)
    )
    assert "Back to the responses view" not in page and "response-nav" not in page


@pytest.mark.parametrize(
    "path",
    ["/desk/", "/desk/gradebook.csv", "/desk/readings/{reading}/", "/desk/readings/{reading}/responses.csv"],
)
def test_desk_pages_are_for_staff_only(klass, make_visitor, path):
    url = klass.url + path.format(reading=klass.reading.id)
    assert make_visitor(klass.instructor).get(url).status_code == 200
    assert make_visitor(klass.assistant).get(url).status_code == 200
    assert make_visitor(klass.students["ada"]).get(url).status_code == 403
    outsider = factories.user("Outsider")
    assert make_visitor(outsider).get(url).status_code == 404
    logged_out = make_visitor().get(url)
    assert logged_out.status_code == 302 and "/login" in logged_out.headers["Location"]


def test_a_response_or_unknown_id_is_not_a_reading(klass, make_visitor):
    visitor = make_visitor(klass.instructor)
    assert visitor.get(f"{klass.url}/desk/readings/{klass.responses['ada'].id}/").status_code == 404
    assert visitor.get(f"{klass.url}/desk/readings/{2**63 - 1}/").status_code == 404
    other = factories.course(klass.instructor)
    foreign = factories.reading(other, title="Another course's reading")
    assert visitor.get(f"{klass.url}/desk/readings/{foreign.id}/").status_code == 404


def test_staff_navigation_links_the_desk_and_students_do_not_see_it(klass, make_visitor):
    staff_home = make_visitor(klass.assistant).get(f"{klass.url}/").get_data(as_text=True)
    student_home = make_visitor(klass.students["ada"]).get(f"{klass.url}/").get_data(as_text=True)
    assert f'href="{klass.url}/desk/"' in staff_home
    assert "/desk/" not in student_home
    reading = make_visitor(klass.instructor).get(f"{klass.url}/posts/{klass.reading.id}").get_data(as_text=True)
    assert f"{klass.url}/desk/readings/{klass.reading.id}/" in reading


def test_a_course_without_students_or_readings_shows_an_empty_dashboard(make_visitor):
    course = factories.course()
    visitor = make_visitor(factories.instructor_of(course))
    assert "No published readings yet." in visitor.get(f"/c/{course.slug}/desk/").get_data(as_text=True)
    factories.reading(course)
    assert "No students on the roster yet." in visitor.get(f"/c/{course.slug}/desk/").get_data(as_text=True)
    factories.member(course, Role.STUDENT)
    assert visitor.get(f"/c/{course.slug}/desk/gradebook.csv").status_code == 200
