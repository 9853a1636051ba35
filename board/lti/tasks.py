"""LTI jobs: each grade's passback to the LMS and each roster sync (outbox rows, retried with backoff by
board/outbox/). Grades are queued by the desk's grading signals in the transaction that released or changed them;
rosters on an instructor's launch and nightly."""

from __future__ import annotations

from huey import crontab

from .. import outbox
from ..desk import signals
from ..extensions import huey, in_app_context
from ..models import utcnow
from . import grades, roster


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


@outbox.handler(roster.ROSTER_KIND)
def sync_roster(payload: dict) -> None:
    """Sync one LMS course's roster from the platform's membership service."""
    roster.sync(payload["context_id"])


@huey.periodic_task(crontab(hour="3", minute="17"))
@in_app_context
def sync_rosters_nightly() -> None:
    """Queue every LMS course's roster sync (nightly)."""
    roster.queue_all(utcnow().date().isoformat())
