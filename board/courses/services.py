"""Courses and their members: create, join by code, roles, settings."""

from __future__ import annotations

import re
import secrets
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from .. import timezones
from ..access import CourseContext
from ..audit import record
from ..extensions import db
from ..models import Course, Membership, Role, User

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed


class CourseError(ValueError):
    """A course change that cannot be made; the message is for the person."""


def new_join_code() -> str:
    """A fresh, unguessable, easy-to-type join code."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens, for URLs."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "course"


def unique_slug(*parts: str) -> str:
    """A slug from `parts` that no course has yet."""
    base = slugify(" ".join(p for p in parts if p))
    slug, n = base, 1
    while db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_course(
    owner: User,
    *,
    title: str,
    code: str = "",
    term: str = "",
    description: str = "",
    slug: str | None = None,
    commit: bool = True,
) -> Course:
    """Create a course with `owner` as its instructor, in the owner's time zone when they have one."""
    course = Course(
        slug=slug or unique_slug(code or title, term),
        title=title.strip(),
        code=code.strip(),
        term=term.strip(),
        description=description.strip(),
        student_join_code=new_join_code(),
        assistant_join_code=new_join_code(),
    )
    if timezones.is_valid(owner.time_zone):
        course.time_zone = owner.time_zone
    db.session.add(course)
    db.session.flush()
    db.session.add(Membership(course_id=course.id, user_id=owner.id, role=Role.INSTRUCTOR))
    if commit:
        db.session.commit()
    return course


def join_by_code(user: User, code: str) -> tuple[Course, Membership, bool]:
    """Join the course whose student or assistant code this is; returns (course, membership, newly_joined)."""
    code = code.strip().upper()
    course = db.session.scalar(
        select(Course).where((Course.student_join_code == code) | (Course.assistant_join_code == code))
    )
    if course is None:
        raise CourseError("No course has that join code. Check it with your instructor.")
    role = Role.ASSISTANT if code == course.assistant_join_code else Role.STUDENT
    existing = membership_of(user, course)
    if existing is not None:
        return course, existing, False
    membership = Membership(course_id=course.id, user_id=user.id, role=role)
    db.session.add(membership)
    try:
        db.session.commit()
    except IntegrityError:
        # The same person joined a moment ago (a double click, two tabs): theirs is the membership that counts.
        db.session.rollback()
        existing = membership_of(user, course)
        if existing is None:
            raise
        return course, existing, False
    return course, membership, True


def membership_of(user: User, course: Course) -> Membership | None:
    """The user's membership in the course, if any."""
    return db.session.scalar(
        select(Membership).where(Membership.course_id == course.id).where(Membership.user_id == user.id)
    )


def add_member(course: Course, user: User, role: str) -> Membership:
    """Add a member directly (seeding and import); does not commit."""
    membership = Membership(course_id=course.id, user_id=user.id, role=Role(role))
    db.session.add(membership)
    return membership


def regenerate_join_code(course: Course, which: str) -> None:
    """Replace the student or assistant join code; the old one stops working."""
    if which == "student":
        course.student_join_code = new_join_code()
    elif which == "assistant":
        course.assistant_join_code = new_join_code()
    else:
        raise CourseError("Unknown join code.")
    db.session.commit()


def _instructor_count(course: Course) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.course_id == course.id)
        .where(Membership.role == Role.INSTRUCTOR)
    )


def change_role(course: Course, membership: Membership, role: str) -> None:
    """Give a member another role; a course always keeps at least one instructor."""
    role = Role(role)
    if membership.role == Role.INSTRUCTOR and role != Role.INSTRUCTOR and _instructor_count(course) == 1:
        raise CourseError("A course needs at least one instructor. Make someone else instructor first.")
    membership.role = role
    db.session.commit()


def remove_member(course: Course, membership: Membership) -> None:
    """Remove a member from the course (their posts stay); the last instructor cannot be removed."""
    if membership.role == Role.INSTRUCTOR and _instructor_count(course) == 1:
        raise CourseError("A course needs at least one instructor. Make someone else instructor first.")
    db.session.delete(membership)
    db.session.commit()


def update_course(ctx: CourseContext, **fields) -> None:
    """Change the course's details and settings; each change is written to the audit log (old → new)."""
    course = ctx.course
    changes = []
    for name, value in fields.items():
        if name not in {"title", "code", "term", "description", *Course.SETTINGS, *Course.DATES}:
            raise CourseError(f"Unknown course field {name}.")
        value = value.strip() if isinstance(value, str) else value
        before = getattr(course, name)
        if before != value:
            shown = "(changed)" if name == "description" else f"{_shown(before)} → {_shown(value)}"
            changes.append(f"{name.replace('_', ' ')}: {shown}")
        setattr(course, name, value)
    if changes:
        record(ctx, "course:settings", course, detail="; ".join(changes))
    db.session.commit()


def _shown(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, date):
        return value.isoformat()
    return f"“{value}”" if value else "(empty)"


def roster(course: Course):
    """A select() of the course's (Membership, User) rows, instructors first, then by name."""
    role_order = {Role.INSTRUCTOR: 0, Role.ASSISTANT: 1, Role.STUDENT: 2}

    return (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.course_id == course.id)
        .order_by(case(role_order, value=Membership.role), func.lower(User.display_name))
    )


def courses_of(user: User):
    """A select() of the (Course, Membership) rows of the user's courses, newest first."""
    return (
        select(Course, Membership)
        .join(Membership, Membership.course_id == Course.id)
        .where(Membership.user_id == user.id)
        .order_by(Course.created_at.desc())
    )
