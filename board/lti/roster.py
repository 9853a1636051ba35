"""Roster sync (NRPS): the LMS course's members, read page by page from the platform's membership service, become
the Board course's LMS members. Where Board knows the LMS link the course was set up from, it asks for the members
who can open that link (`rlid`): a link the LMS shows to one section brings that section. New members are added with
their roles, changed roles change, and LMS members who left (or are inactive, or lost access to the link) lose their
membership; their posts stay. Only memberships the LMS made (LtiMembership) are ever removed: members who joined
Board by code are left alone, even when they have an LMS account."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import outbox
from ..extensions import db
from ..models import Course, Membership, Role, utcnow
from . import people, services
from .models import LtiContext, LtiMembership, LtiPlatform

ROSTER_KIND = "lti_roster"
_ERROR_LENGTH = 1000


class RosterError(RuntimeError):
    """The platform's roster could not be used; nothing was changed."""


def queue_sync(context: LtiContext, *, key: str | None = None) -> None:
    """Queue a sync of `context`'s roster (an outbox row, in the caller's transaction)."""
    if context.memberships_url:
        outbox.add(ROSTER_KIND, {"context_id": context.id}, key=key)


def queue_all(day: str) -> int:
    """Queue a sync of every LMS course with a membership service (nightly); once a day each. Commits."""
    contexts = db.session.scalars(select(LtiContext).where(LtiContext.memberships_url.is_not(None))).all()
    for context in contexts:
        queue_sync(context, key=f"lti-roster:{context.id}:{day}")
    db.session.commit()
    return len(contexts)


def sync(context_id: int) -> None:
    """Sync one LMS course's roster; on failure the error is kept on the context (the roster page shows it) and
    raised again, so the outbox tries later."""
    context = db.session.get(LtiContext, context_id)
    if context is None or (service := services.nrps(context)) is None:
        return
    try:
        # The members who can open the link the course was set up from, where it is known (NRPS `rlid`; pylti1p3
        # adds it to the URL's query and follows the platform's next-page links as given); else the whole LMS course.
        members = service.get_members(resource_link_id=context.resource_link_id)
        if not members:
            raise RosterError("The LMS returned an empty roster; nothing was changed.")
    except Exception as error:
        db.session.rollback()
        context = db.session.get(LtiContext, context_id)
        context.sync_error = str(error)[:_ERROR_LENGTH]
        db.session.commit()
        raise
    _apply(context, members)
    context.last_synced_at = utcnow()
    context.sync_error = None


def _apply(context: LtiContext, members: list[dict]) -> None:
    platform = db.session.get(LtiPlatform, context.platform_id)
    course = db.session.get(Course, context.course_id)
    present: set[int] = set()
    for member in members:
        if not isinstance(member, dict) or not member.get("user_id"):
            continue
        role = people.board_role(member.get("roles"))
        if role is None or member.get("status", "Active") != "Active":
            continue
        claims = {
            "sub": str(member["user_id"]),
            **{k: member.get(k) for k in ("name", "given_name", "family_name", "email")},
        }
        user = people.account_for(platform, claims)
        db.session.flush()
        people.enrol(context, course, user, role)
        present.add(user.id)
    db.session.flush()
    left = [
        membership
        for membership in db.session.scalars(
            select(Membership)
            .join(LtiMembership, LtiMembership.membership_id == Membership.id)
            .where(Membership.course_id == course.id, LtiMembership.context_id == context.id)
        )
        if membership.user_id not in present
    ]
    instructors = db.session.scalar(
        select(func.count()).where(Membership.course_id == course.id, Membership.role == Role.INSTRUCTOR)
    )
    instructors_kept = instructors - sum(1 for m in left if m.role == Role.INSTRUCTOR)
    for membership in left:
        if membership.role == Role.INSTRUCTOR and instructors_kept == 0:
            continue  # a course keeps an instructor, whatever the LMS says
        db.session.delete(membership)


def status_of(course: Course) -> LtiContext | None:
    """The LMS course linked to `course` (its last sync and error), for the roster page; None if none."""
    return db.session.scalar(select(LtiContext).where(LtiContext.course_id == course.id).limit(1))
