"""CSV exports for the gradebook, from the same participation numbers the pages show. UTF-8 with a byte-order mark,
so Excel reads names with accents correctly."""

from __future__ import annotations

import csv
import io

from .participation import Cell, Participation

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _points(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _cell_value(cell: Cell) -> str:
    """Points when graded, else the response's status (on time, late, missing; held, hidden or deleted noted)."""
    return _points(cell.points) if cell.graded else cell.status_text()


def _write(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return BOM + out.getvalue()


def gradebook(data: Participation) -> str:
    """One row per student (name, email), a column per reading with points or status, then the totals and awards."""
    header = [
        "Name",
        "Email",
        *(reading.title for reading in data.readings),
        "On time",
        "Late",
        "Missing",
        "Comments given",
        "Comments received",
        "Replies checkpoints met",
        "Points",
        "Awards",
    ]
    rows = [header]
    for student in data.students:
        cells = data.row(student)
        totals = data.totals(student)
        rows.append(
            [
                student.name,
                student.email,
                *(_cell_value(cell) for cell in cells),
                totals.on_time,
                totals.late,
                totals.missing,
                totals.given,
                totals.received,
                totals.replies_met,
                _points(totals.points),
                totals.awards,
            ]
        )
    return _write(rows)


def reading_csv(data: Participation) -> str:
    """One reading: a row per student with every column of the responses view."""
    (reading,) = data.readings
    rows = [
        [
            "Name",
            "Email",
            "Status",
            "Submitted (UTC)",
            "Late by (hours)",
            "Words",
            "Comments given",
            "Comments given by reply due date",
            "Comments received",
            "Likes",
            "Awards",
            "Replies checkpoint",
            "Points",
            "Title",
            "Excerpt",
        ]
    ]
    for cell in data.column(reading):
        late = cell.late_by
        rows.append(
            [
                cell.student.name,
                cell.student.email,
                cell.status_text(),
                cell.submitted_at.strftime("%Y-%m-%d %H:%M") if cell.submitted_at else "",
                f"{late.total_seconds() / 3600:.1f}" if late else "",
                cell.word_count if cell.response_id else "",
                cell.given,
                cell.given_on_time,
                cell.received,
                cell.likes,
                cell.awards,
                cell.replies_status,
                _points(cell.points),
                cell.title,
                cell.excerpt,
            ]
        )
    return _write(rows)
