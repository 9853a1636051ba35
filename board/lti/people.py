"""What a launch brings in: the LMS user's Board account, their role, and the Board course of the LMS course."""

from __future__ import annotations

import hashlib
import re

from flask import current_app
from sqlalchemy import select

from ..auth import services as accounts
from ..courses import services as courses
from ..extensions import db
from ..models import Course, Membership, Role, User
from . import registration
from .claims import AGS_CLAIM, CLAIM, NRPS_CLAIM
from .models import LtiAccount, LtiContext, LtiMembership, LtiPlatform

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_INSTRUCTOR_ROLES = {"Instructor", "Administrator", "ContentDeveloper"}


_PRINCIPAL = re.compile(r"[A-Za-z]+")


def _context_role_names(uris: list[str]) -> set[str]:
    """Context role names from LTI role URIs, by principal role: "…/membership#Instructor" → "Instructor", and
    "…/membership/Learner#Instructor" → "Learner" (a sub-role's fragment never adds a role); the one exception is
    the Instructor#TeachingAssistant… sub-roles → "TeachingAssistant". Bare short names ("Learner") LTI 1.3 still
    allows count too. Institution and system roles (…/institution/person#…) say nothing about this course."""
    names = set()
    for uri in uris:
        if not isinstance(uri, str):
            continue
        if uri.startswith(_MEMBERSHIP + "#"):
            principal, sub_role = uri[len(_MEMBERSHIP) + 1 :], ""
        elif uri.startswith(_MEMBERSHIP + "/"):
            principal, _, sub_role = uri[len(_MEMBERSHIP) + 1 :].partition("#")
        elif "/" not in uri and "#" not in uri:
            principal, sub_role = uri, ""
        else:
            continue
        if not _PRINCIPAL.fullmatch(principal) or principal == "TeachingAssistant":
            continue  # not a principal role (TeachingAssistant is only ever a sub-role of Instructor)
        names.add(principal)
        if principal == "Instructor" and sub_role.startswith("TeachingAssistant"):
            names.add("TeachingAssistant")
    return names


def board_role(uris) -> Role | None:
    """Board's role for LTI role URIs: an Instructor#TeachingAssistant… sub-role → assistant (Canvas sends it with
    Instructor, so it wins); Instructor, Administrator, ContentDeveloper → instructor; Learner → student; anything
    else, Mentor included → None (Board has no read-only observer role, so a mentor gets no access)."""
    names = _context_role_names(uris if isinstance(uris, list) else [])
    if "TeachingAssistant" in names:
        return Role.ASSISTANT
    if names & _INSTRUCTOR_ROLES:
        return Role.INSTRUCTOR
    if "Learner" in names:
        return Role.STUDENT
    return None


def _digest(platform: LtiPlatform, sub: str) -> str:
    return hashlib.sha256(f"{platform.id}:{sub}".encode()).hexdigest()


def display_name(platform: LtiPlatform, claims: dict) -> str:
    """The name claims give, else "LMS user 1a2b3c" (a deployment that hides names still works, and staff can tell
    the account came from the LMS)."""
    name = claims.get("name") or " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p)
    name = " ".join(str(name).split())[:80] if isinstance(name, str) else ""
    return name or f"LMS user {_digest(platform, str(claims.get('sub')))[:6]}"


def linked_user(platform: LtiPlatform, sub: str) -> User | None:
    """The Board account linked to this LMS user, if any."""
    return db.session.scalar(
        select(User)
        .join(LtiAccount, LtiAccount.user_id == User.id)
        .where(LtiAccount.platform_id == platform.id, LtiAccount.sub == sub)
    )


def _free_email(platform: LtiPlatform, claims: dict) -> str:
    email = claims.get("email")
    if isinstance(email, str) and "@" in email and len(email) <= 254 and accounts.find_user(email) is None:
        return email
    # Hidden, or already someone's: a placeholder that can receive nothing (.invalid is reserved). An existing
    # account is never linked by matching email; its owner links it from a signed-in page.
    return f"lms-{_digest(platform, str(claims.get('sub')))[:24]}@lms.invalid"


def account_for(platform: LtiPlatform, claims: dict, *, link_to: User | None = None) -> User:
    """The launch's Board account: the linked one, else `link_to` (the signed-in person who chose, on the identity
    page, to link it), else a new account from the name and email claims. Not committed."""
    sub = str(claims["sub"])[:255]
    user = linked_user(platform, sub)
    if user is not None:
        return user
    if link_to is not None and not has_link(platform, link_to):
        user = link_to
    else:
        user = User(email=_free_email(platform, claims), display_name=display_name(platform, claims))
        db.session.add(user)
        db.session.flush()
    db.session.add(LtiAccount(platform_id=platform.id, sub=sub, user_id=user.id))
    return user


def has_link(platform: LtiPlatform, user: User) -> bool:
    """Whether `user` already has an LMS identity on this platform (each account links one per LMS)."""
    return (
        db.session.scalar(
            select(LtiAccount.id).where(LtiAccount.platform_id == platform.id, LtiAccount.user_id == user.id)
        )
        is not None
    )


def context_of(platform: LtiPlatform, claims: dict) -> LtiContext | None:
    """The link from the launch's LMS course to a Board course, if an instructor made one."""
    context = claims.get(CLAIM + "context") or {}
    if not isinstance(context, dict) or not context.get("id"):
        return None
    return db.session.scalar(
        select(LtiContext).where(LtiContext.platform_id == platform.id, LtiContext.context_id == str(context["id"]))
    )


def pending_context(platform: LtiPlatform, claims: dict) -> dict | None:
    """What an instructor's launch tells about an LMS course not yet linked (kept in their session meanwhile)."""
    context = claims.get(CLAIM + "context") or {}
    if not isinstance(context, dict) or not context.get("id"):
        return None
    title, label = (value if isinstance(value, str) else "" for value in (context.get("title"), context.get("label")))
    return {
        "platform_id": platform.id,
        "context_id": str(context["id"])[:255],
        "title": (title or label or "Course from your LMS")[:200],
        "label": label[:40],
        "resource_link_id": resource_link_of(claims),
        **service_urls(platform, claims),
    }


def resource_link_of(claims: dict) -> str | None:
    """The id of the LMS link the launch came through (None for a deep linking request, which has none)."""
    link = claims.get(CLAIM + "resource_link") or {}
    link_id = link.get("id") if isinstance(link, dict) else None
    return str(link_id)[:255] if link_id not in (None, "") else None


def service_urls(platform: LtiPlatform, claims: dict) -> dict:
    """The NRPS membership and AGS line items URLs a launch names (None where it names none, or names an address
    not on the platform's registered hosts), and the AGS scopes it grants (None when it names no AGS endpoint)."""
    nrps = claims.get(NRPS_CLAIM) or {}
    ags = claims.get(AGS_CLAIM) or {}
    urls = {
        "memberships_url": nrps.get("context_memberships_url") if isinstance(nrps, dict) else None,
        "lineitems_url": ags.get("lineitems") if isinstance(ags, dict) else None,
    }
    found = {name: service_url(platform, url, name) for name, url in urls.items()}
    scopes = ags.get("scope") if isinstance(ags, dict) else None
    found["ags_scopes"] = " ".join(s for s in scopes if isinstance(s, str))[:2000] if isinstance(scopes, list) else None
    return found


def service_url(platform: LtiPlatform, url, what: str) -> str | None:
    """`url` if it is an address on the platform's registered hosts, else None (and the reason logged)."""
    if not isinstance(url, str) or not url:
        return None
    if not registration.on_platform_host(platform, url) or len(url) > 500:
        current_app.logger.warning(
            "LTI: ignored the %s %r from %s: not on the LMS's registered hosts (%s)",
            what,
            url[:200],
            platform.issuer,
            ", ".join(sorted(registration.platform_hosts(platform))),
        )
        return None
    return url


def note_services(context: LtiContext, claims: dict) -> None:
    """Keep the service URLs and AGS scopes the latest launch named (platforms may move them)."""
    platform = db.session.get(LtiPlatform, context.platform_id)
    for name, value in service_urls(platform, claims).items():
        if value is not None:
            setattr(context, name, value)


def enrol(context: LtiContext, course: Course, user: User, role: Role) -> Membership:
    """Give `user` the LMS course's role in `course` (the LMS is the source of truth), keeping the course's last
    instructor. A membership made here is recorded as the LMS's (a roster sync may remove it); one that existed (a
    join code) stays the person's own. Not committed."""
    membership = courses.membership_of(user, course)
    if membership is None:
        membership = Membership(course_id=course.id, user_id=user.id, role=role)
        db.session.add(membership)
        db.session.flush()
        db.session.add(LtiMembership(membership_id=membership.id, context_id=context.id))
    elif membership.role != role and not (membership.role == Role.INSTRUCTOR and _sole_instructor(course)):
        membership.role = role
    return membership


def _sole_instructor(course: Course) -> bool:
    return courses._instructor_count(course) == 1


def my_courses(user: User) -> list[Course]:
    """Courses `user` teaches that no LMS course opens yet (an instructor may link one instead of making one)."""
    linked = select(LtiContext.course_id)
    return list(
        db.session.scalars(
            select(Course)
            .join(Membership, Membership.course_id == Course.id)
            .where(Membership.user_id == user.id, Membership.role == Role.INSTRUCTOR, Course.id.not_in(linked))
            .order_by(Course.title)
        )
    )


def link_context(pending: dict, course: Course) -> LtiContext:
    """Make the LMS course open `course` from now on; commits."""
    context = LtiContext(
        platform_id=pending["platform_id"],
        context_id=pending["context_id"],
        course_id=course.id,
        title=pending["title"],
        memberships_url=pending.get("memberships_url"),
        lineitems_url=pending.get("lineitems_url"),
        ags_scopes=pending.get("ags_scopes"),
        resource_link_id=pending.get("resource_link_id"),
    )
    db.session.add(context)
    db.session.commit()
    return context


def new_course_for(user: User, pending: dict) -> Course:
    """A new Board course for the LMS course, `user` its instructor; linked and committed."""
    course = courses.create_course(user, title=pending["title"], code=pending.get("label", ""), commit=False)
    link_context(pending, course)
    return course
