"""The participation numbers: one set of rules, and the responses view, the dashboard and both CSVs agree on them
(late, missing, deleted, held, hidden and anonymous responses; comments given, received, likes, awards, grades)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from board.desk import participation
from board.desk.chart import weekly_chart
from board.extensions import db
from board.models import Role
from tests import factories
from tests.desk.world import EXPECTED, build_class

_ROW = re.compile(
    r'<tr data-student="(\d+)" data-status="([^"]*)" data-given="(\d+)" data-received="(\d+)" data-replies="(\w*)"'
)
_CELL = re.compile(
    r'<td class="cell[^"]*" data-student="(\d+)" data-reading="(\d+)" data-status="([^"]*)"'
    r' data-given="(\d+)" data-received="(\d+)" data-replies="(\w*)"'
)


def _csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def klass():
    return build_class()


def test_the_service_applies_each_rule(klass):
    ctx = factories.context(klass.course, klass.instructor)
    data = participation.for_reading(ctx, klass.reading)
    cells = {cell.student.id: cell for cell in data.column(klass.reading)}
    assert len(cells) == len(klass.students), "every student on the roster, and only students"
    for key, (status, given, on_time, received, likes, awards, replies, points) in EXPECTED.items():
        cell = cells[klass.students[key].id]
        got = (
            cell.status_text(),
            cell.given,
            cell.given_on_time,
            cell.received,
            cell.likes,
            cell.awards,
            cell.replies_status,
            cell.points,
        )
        assert got == (status, given, on_time, received, likes, awards, replies, points), key
    ada, ben = cells[klass.students["ada"].id], cells[klass.students["ben"].id]
    assert ada.response_id == klass.responses["ada"].id, "the first response counts, not a later one"
    assert ben.late_by is not None and 4.9 < ben.late_by.total_seconds() / 3600 < 5.1
    assert ada.word_count == 13 and ada.excerpt.startswith("word word")
    assert cells[klass.students["gus"].id].anonymous


def test_responses_view_dashboard_and_both_csvs_agree(klass, make_visitor):
    visitor = make_visitor(klass.instructor)
    ids = {user.id: key for key, user in klass.students.items()}

    view = visitor.get(f"{klass.url}/desk/readings/{klass.reading.id}/").get_data(as_text=True)
    from_view = {ids[int(s)]: (html.unescape(st), int(g), int(r), rp) for s, st, g, r, rp in _ROW.findall(view)}

    grid = visitor.get(f"{klass.url}/desk/").get_data(as_text=True)
    from_grid = {
        ids[int(s)]: (html.unescape(st), int(g), int(r), rp)
        for s, reading, st, g, r, rp in _CELL.findall(grid)
        if int(reading) == klass.reading.id
    }

    per_reading = _csv_rows(visitor.get(f"{klass.url}/desk/readings/{klass.reading.id}/responses.csv"))
    emails = {user.email: key for key, user in klass.students.items()}
    from_csv = {
        emails[row["Email"]]: (
            row["Status"],
            int(row["Comments given"]),
            int(row["Comments received"]),
            row["Replies checkpoint"],
        )
        for row in per_reading
    }
    gradebook = {emails[row["Email"]]: row for row in _csv_rows(visitor.get(f"{klass.url}/desk/gradebook.csv"))}

    expected = {
        key: (status, given, received, replies)
        for key, (status, given, _, received, _, _, replies, _) in EXPECTED.items()
    }
    assert from_view == expected
    assert from_grid == expected
    assert from_csv == expected
    for key, (status, *_, points) in EXPECTED.items():
        cell = gradebook[key][klass.reading.title]
        assert cell == (f"{points:g}" if points is not None else status), key
    # Totals: the grid's and the CSV's, over both readings.
    ada = gradebook["ada"]
    assert (ada["On time"], ada["Late"], ada["Missing"], ada["Awards"], ada["Points"]) == ("2", "0", "0", "1", "9")
    assert gradebook["ben"]["Later reading"] == "missing"
    for key, row in gradebook.items():
        cells = [c for c in _CELL.findall(grid) if ids[int(c[0])] == key]
        assert int(row["Comments given"]) == sum(int(c[3]) for c in cells)
        assert int(row["Comments received"]) == sum(int(c[4]) for c in cells)


def test_staff_see_anonymous_authors_named_in_the_responses_view(klass, make_visitor):
    page = make_visitor(klass.assistant).get(f"{klass.url}/desk/readings/{klass.reading.id}/").get_data(as_text=True)
    assert "Gus Anonymous" in page and "Anonymous to classmates" in page


def test_the_weekly_counts_add_up_to_the_grid(klass):
    ctx = factories.context(klass.course, klass.instructor)
    data = participation.for_course(ctx)
    cells = [cell for student in data.students for cell in data.row(student)]
    assert sum(w.responses for w in data.weeks) == sum(1 for c in cells if c.responded)
    assert sum(w.comments for w in data.weeks) == sum(c.given for c in cells)
    assert all(w.start.weekday() == 0 for w in data.weeks), "weeks start on Monday"


def test_the_dashboard_draws_an_accessible_chart_with_its_numbers_in_a_table(klass, make_visitor):
    page = make_visitor(klass.instructor).get(f"{klass.url}/desk/").get_data(as_text=True)
    assert 'role="img"' in page and '<title id="chart-title">' in page and '<desc id="chart-desc">' in page
    assert "Responses and comments per week" in page and '<th scope="col">Week of</th>' in page


def test_csv_cells_that_look_like_formulas_are_kept_as_text(klass, make_visitor):
    klass.students["ada"].display_name = '=HYPERLINK("http://evil")'
    db.session.commit()
    rows = _csv_rows(make_visitor(klass.instructor).get(f"{klass.url}/desk/gradebook.csv"))
    assert any(row["Name"].startswith("'=HYPERLINK") for row in rows)


def test_staff_are_not_rows_of_the_roster(klass):
    factories.member(klass.course, Role.ASSISTANT, "Another Assistant")
    data = participation.for_course(factories.context(klass.course, klass.instructor))
    assert {s.name for s in data.students} == {u.display_name for u in klass.students.values()}


def test_weeks_without_activity_are_drawn_as_zero_and_the_chart_says_its_numbers():
    course = factories.course()
    instructor = factories.instructor_of(course)
    ada, ben = (factories.member(course, Role.STUDENT) for _ in range(2))
    monday = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)
    first = factories.reading(course, title="First")
    third = factories.reading(course, title="Third")
    response = factories.response(course, ada, first, published_at=monday)
    factories.response(course, ben, third, published_at=monday + timedelta(days=15))
    comment = factories.comment(response, ben, "Sunday night, the last hour of the first week")
    comment.created_at = monday + timedelta(days=6, hours=11, minutes=59, seconds=59, microseconds=700_000)
    db.session.commit()

    data = participation.for_course(factories.context(course, instructor))
    assert [(w.start.isoformat(), w.responses, w.comments) for w in data.weeks] == [
        ("2026-09-07", 1, 1),
        ("2026-09-14", 0, 0),
        ("2026-09-21", 1, 0),
    ]
    svg = weekly_chart(data.weeks)
    assert svg.count("<rect") == 2 * 3 + 2, "two bars a week, and the legend's two keys"
    assert "week of Sep 7: 1 responses, 1 comments; week of Sep 14: 0 responses, 0 comments" in svg


def test_the_excerpt_is_text_not_markup(make_visitor):
    course = factories.course()
    instructor = factories.instructor_of(course)
    student = factories.member(course, Role.STUDENT, "Ann Excerpt")
    reading = factories.reading(course, title="The reading")
    body = "<figure><figcaption>A picture</figcaption></figure>\n\nThen a *caption* and **words**."
    factories.response(course, student, reading, body=body)

    page = make_visitor(instructor).get(f"/c/{course.slug}/desk/readings/{reading.id}/").get_data(as_text=True)

    assert "A picture Then a caption and words." in page
    assert "&lt;figure" not in page and "*caption*" not in page and "**words**" not in page


def test_a_long_excerpt_is_cut_at_a_word_as_notification_excerpts_are(make_visitor):
    course = factories.course()
    student = factories.member(course, Role.STUDENT, "Lou Long")
    reading = factories.reading(course, title="The reading")
    factories.response(course, student, reading, body="## Sources\n\n" + "Sentence words here. " * 40)

    cell = participation.for_reading(factories.context(course, factories.instructor_of(course)), reading).column(
        reading
    )[0]

    assert cell.excerpt.startswith("Sources — Sentence words here.")  # the heading kept apart from its paragraph
    assert len(cell.excerpt) <= participation.EXCERPT_CHARS and cell.excerpt.endswith("…")
    assert cell.excerpt[:-1].rsplit(" ", 1)[1] in ("Sentence", "words", "here.")  # whole words only
