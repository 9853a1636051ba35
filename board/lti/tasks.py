"""LTI jobs: each grade's passback to the LMS (an outbox row, retried with backoff by board/outbox/), queued by the
desk's grading signals in the transaction that released or changed the grade."""

from __future__ import annotations

from .. import outbox
from ..desk import signals
from . import grades


@outbox.handler(grades.SCORE_KIND)
def send_score(payload: dict) -> None:
    """Send one grade to the LMS gradebook (skipped if the LMS has this version already)."""
    grades.send(payload["grade_id"], payload["version"])


@signals.grades_released.connect
def _reading_released(reading, **_) -> None:
    grades.queue_reading(reading)


@signals.grade_saved.connect
def _grade_saved(grade, **_) -> None:
    grades.queue_grade(grade)
