"""The course home's reading list with the current week first: the week whose dates contain today, else the latest.

A week is the readings sharing a week label ("Week 3"); its dates run from the first of them to be published to the
last of their due dates (responses or replies). The readings come already loaded and in syllabus order
(posts.queries.course_readings), so this costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..posts.queries import PostRow


@dataclass
class Weeks:
    rows: list[PostRow]  # pinned first, then the current week, later weeks, older weeks newest first, unlabelled last
    current: str | None = None  # the current week's label
    contains_today: bool = False  # whether it is this week (else it is the latest one)


def _span(rows: list[PostRow]) -> tuple[datetime, datetime]:
    starts = [row.post.published_at or row.post.created_at for row in rows]
    ends = [moment for row in rows for moment in (row.post.due_at, row.post.reply_due_at) if moment is not None]
    return min(starts), max([*ends, *starts])


def current_week_first(rows: list[PostRow], now: datetime) -> Weeks:
    """`rows` (in syllabus order) reordered for the course home: pinned readings stay on top; then the current week
    (of the weeks whose dates contain `now`, the one that began last; else the latest to have begun); then the
    weeks after it in the syllabus, then the older ones, newest first; readings without a week last."""
    pinned = [row for row in rows if row.post.pinned]
    unlabelled = [row for row in rows if not row.post.pinned and not row.post.week]
    weeks: dict[str, list[PostRow]] = {}  # in syllabus order
    for row in rows:
        if not row.post.pinned and row.post.week:
            weeks.setdefault(row.post.week, []).append(row)
    if not weeks:
        return Weeks(rows)
    labels = list(weeks)
    spans = {label: _span(weeks[label]) for label in labels}
    containing = [label for label in labels if spans[label][0] <= now <= spans[label][1]]
    begun = [label for label in labels if spans[label][0] <= now]
    current = max(containing or begun or labels[:1], key=lambda label: spans[label][0])
    at = labels.index(current)
    order = [current, *labels[at + 1 :], *reversed(labels[:at])]
    return Weeks([*pinned, *(row for label in order for row in weeks[label]), *unlabelled], current, bool(containing))
