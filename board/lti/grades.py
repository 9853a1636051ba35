"""Grades back to the LMS (AGS): when a reading's grades are released, and whenever a released grade changes, an
outbox row per grade (board/outbox/ retries it with backoff); sending makes the reading's line item if needed and
posts the score. LtiScore remembers the version the LMS has, so a row run twice sends nothing twice."""

from __future__ import annotations

from pylti1p3.grade import Grade as AgsGrade
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from .. import outbox
from ..desk.models import Grade
from ..extensions import db
from ..models import Post, utcnow
from ..outbox.models import OutboxItem
from . import services
from .models import LtiAccount, LtiContext, LtiLineItem, LtiScore

SCORE_KIND = "lti_score"


def _key(grade_id: int, version: int) -> str:
    return f"lti-score:{grade_id}:{version}"


def _linked_context(course_id: int) -> LtiContext | None:
    return db.session.scalar(select(LtiContext).where(LtiContext.course_id == course_id).limit(1))


def queue_reading(reading: Post) -> None:
    """Queue every grade of a just-released reading for the LMS (in the caller's transaction)."""
    if _linked_context(reading.course_id) is None:
        return
    for grade_id, version in db.session.execute(
        select(Grade.id, Grade.version).where(Grade.reading_id == reading.id, Grade.points.is_not(None))
    ):
        outbox.add(SCORE_KIND, {"grade_id": grade_id, "version": version}, key=_key(grade_id, version))


def queue_grade(grade: Grade) -> None:
    """Queue a grade just saved, if its reading's grades are out (in the caller's transaction)."""
    row = db.session.execute(
        select(Grade.id, Grade.version, Grade.points, Post.grades_released_at, Post.course_id)
        .join(Post, Post.id == Grade.reading_id)
        .where(Grade.id == grade.id)
    ).one()
    if row.grades_released_at is None or row.points is None or _linked_context(row.course_id) is None:
        return
    outbox.add(SCORE_KIND, {"grade_id": row.id, "version": row.version}, key=_key(row.id, row.version))


def send(grade_id: int, version: int) -> None:
    """Post one grade's score to the LMS unless it has this version already (or a newer row will send it)."""
    grade = db.session.get(Grade, grade_id)
    if grade is None or grade.version != version or grade.points is None:
        return  # deleted, or changed since: the newer version's row sends it
    reading = db.session.get(Post, grade.reading_id)
    if reading.grades_released_at is None:
        return
    sent = db.session.scalar(select(LtiScore).where(LtiScore.grade_id == grade.id))
    if sent is not None and sent.version >= version:
        return
    context = _linked_context(reading.course_id)
    account = context and db.session.scalar(
        select(LtiAccount).where(LtiAccount.platform_id == context.platform_id, LtiAccount.user_id == grade.student_id)
    )
    service = context and services.ags(context)
    if account is None or service is None:
        return  # the student never came from the LMS, or the LMS offers no gradebook
    line_item_url = _line_item(service, context, reading)
    maximum = reading.max_points if reading.max_points else max(grade.points, 1.0)
    score = (
        AgsGrade()
        .set_user_id(account.sub)
        .set_score_given(grade.points)
        .set_score_maximum(maximum)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(grade.updated_at.isoformat())
        .set_comment(grade.feedback_md or "")
    )
    service.put_grade(score, LineItem().set_id(line_item_url))
    if sent is None:
        db.session.add(LtiScore(grade_id=grade.id, version=version, sent_at=utcnow()))
    else:
        sent.version, sent.sent_at = version, utcnow()


def _line_item(service, context: LtiContext, reading: Post) -> str:
    known = db.session.scalar(
        select(LtiLineItem.url).where(LtiLineItem.context_id == context.id, LtiLineItem.reading_id == reading.id)
    )
    if known:
        return known
    wanted = (
        LineItem()
        .set_tag(f"board-reading-{reading.id}")
        .set_resource_id(f"board-reading-{reading.id}")
        .set_label(reading.title[:200])
        .set_score_maximum(reading.max_points or 100)
    )
    made = service.find_or_create_lineitem(wanted, find_by="tag")
    db.session.add(LtiLineItem(context_id=context.id, reading_id=reading.id, url=made.get_id()))
    return made.get_id()


def status_for(reading: Post) -> dict[int, str] | None:
    """For the grading page: per student, whether the LMS has their grade. None when the course is not linked to an
    LMS. Three queries, whatever the number of students."""
    if _linked_context(reading.course_id) is None:
        return None
    grades = db.session.execute(
        select(Grade.id, Grade.student_id, Grade.version, Grade.points, LtiScore.version.label("sent"))
        .outerjoin(LtiScore, LtiScore.grade_id == Grade.id)
        .where(Grade.reading_id == reading.id)
    ).all()
    keys = {_key(g.id, g.version): g for g in grades}
    queued = {}
    if keys:
        queued = {item.key: item for item in db.session.scalars(select(OutboxItem).where(OutboxItem.key.in_(keys)))}
    status = {}
    for key, g in keys.items():
        status[g.student_id] = _said(g, queued.get(key), released=reading.grades_released_at is not None)
    return status


def _said(grade, item: OutboxItem | None, *, released: bool) -> str:
    if grade.points is None:
        return "—"
    if not released:
        return "Not sent: grades not released"
    if grade.sent is not None and grade.sent >= grade.version:
        return "In the LMS"
    if item is None or item.done_at is not None:
        return "Not from the LMS"  # done without sending: the student never came from the LMS
    if item.given_up_at is not None:
        lines = (item.last_error or "").strip().splitlines()
        return "Failed: " + (lines[-1][:200] if lines else "gave up")
    if item.last_error:
        return "Retrying: the LMS did not take it yet"
    return "Sending…"
