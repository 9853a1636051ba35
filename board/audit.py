"""The course audit log: one way to record who did what to which post, comment or award type, and why.

Entries are added to the session and committed with the change they describe.
"""

from __future__ import annotations

from .access import CourseContext
from .desk.models import Grade
from .extensions import db
from .models import AuditEntry, AwardType, Comment, Course, Membership, Post

Target = Post | Comment
_SUBJECT_TYPES = {AwardType: "award_type", Membership: "member", Grade: "grade", Course: "course"}


def subject_type(target: Target) -> str:
    return "post" if isinstance(target, Post) else "comment"


def record(
    ctx: CourseContext,
    action: str,
    target: Target | AwardType | Membership | Grade,
    *,
    reason: str = "",
    detail: str = "",
) -> None:
    """Add an audit entry for an action by the viewer (about a post, comment, award type, member or grade)."""
    kind = _SUBJECT_TYPES.get(type(target)) or subject_type(target)
    db.session.add(
        AuditEntry(
            course_id=ctx.course.id,
            actor_id=ctx.user.id,
            action=action,
            subject_type=kind,
            subject_id=target.id,
            reason=reason or "",
            detail=detail or "",
        )
    )


def describe(target: Target) -> str:
    """A short human description of a post or comment for the audit log."""
    if isinstance(target, Post):
        return f"{target.kind} “{target.title}” by {target.author.display_name}"
    text = " ".join(target.body_md.split())
    return f"comment by {target.author.display_name}: {text[:80]}{'…' if len(text) > 80 else ''}"
