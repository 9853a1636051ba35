"""The site admin's changes to a course: its upload quotas, recorded in the course's audit log."""

from __future__ import annotations

from ..extensions import db
from ..models import AuditEntry, Course, User


def _said(mb: int | None) -> str:
    return "the site's default" if mb is None else f"{mb} MB"


def set_upload_quotas(admin: User, course: Course, *, person_mb: int | None, course_mb: int | None) -> bool:
    """Set the course's upload quotas (None: the site's default); False when nothing changed. The course's audit
    log says who changed them (audit.record wants a member's context, and the site admin need not be a member)."""
    changes = []
    if course.upload_person_quota_mb != person_mb:
        changes.append(f"uploads per person: {_said(course.upload_person_quota_mb)} → {_said(person_mb)}")
    if course.upload_course_quota_mb != course_mb:
        changes.append(f"uploads per course: {_said(course.upload_course_quota_mb)} → {_said(course_mb)}")
    if not changes:
        return False
    course.upload_person_quota_mb = person_mb
    course.upload_course_quota_mb = course_mb
    db.session.add(
        AuditEntry(
            course_id=course.id,
            actor_id=admin.id,
            action="course:settings",
            subject_type="course",
            subject_id=course.id,
            detail="; ".join(changes),
        )
    )
    db.session.commit()
    return True
