"""The course settings set the term's first and last days (optional; the last after the first); bad input is shown
again as typed with a message, and nothing is saved."""

from __future__ import annotations

from datetime import date

import pytest

from board.models import AuditEntry
from tests import factories


def _form(course, **changes):
    form = {"title": course.title, "code": course.code, "term": course.term, "description": course.description}
    return form | {"moderation_policy": course.moderation_policy, "like_policy": course.like_policy} | changes


def test_the_instructor_sets_and_clears_the_terms_dates(make_visitor):
    course = factories.course()
    visitor = make_visitor(factories.instructor_of(course))
    assert 'name="starts_on"' in visitor.get(f"/c/{course.slug}/settings").get_data(as_text=True)

    response = visitor.post(f"/c/{course.slug}/settings", _form(course, starts_on="2027-01-18", ends_on="2027-05-07"))

    assert response.status_code == 302
    course = factories.reload(course)
    assert (course.starts_on, course.ends_on) == (date(2027, 1, 18), date(2027, 5, 7))
    entry = AuditEntry.query.filter_by(action="course:settings").one()
    assert "starts on: (empty) → 2027-01-18" in entry.detail
    page = visitor.get(f"/c/{course.slug}/settings").get_data(as_text=True)
    assert 'value="2027-01-18"' in page and 'value="2027-05-07"' in page

    assert visitor.post(f"/c/{course.slug}/settings", _form(course, starts_on="", ends_on="")).status_code == 302
    course = factories.reload(course)
    assert (course.starts_on, course.ends_on) == (None, None)


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("2027-05-07", "2027-01-18", "The last day comes after the first day."),
        ("2027-01-18", "2027-01-18", "The last day comes after the first day."),
        ("next Monday", "2027-05-07", "Enter a date as YYYY-MM-DD"),
        ("2027-01-18", "2027-02-30", "Enter a date as YYYY-MM-DD"),
    ],
)
def test_bad_dates_are_refused_and_kept_as_typed(make_visitor, starts, ends, message):
    course = factories.course()
    visitor = make_visitor(factories.instructor_of(course))

    response = visitor.post(
        f"/c/{course.slug}/settings", _form(course, title="Typed title", starts_on=starts, ends_on=ends)
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and f'value="{starts}"' in page and f'value="{ends}"' in page
    assert 'value="Typed title"' in page
    course = factories.reload(course)
    assert (course.starts_on, course.ends_on, course.title) == (None, None, factories.reload(course).title)
    assert course.title != "Typed title"
