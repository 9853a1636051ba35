"""What uploads use against their quotas, for the pages that show it: the account page (each of one's courses),
the course settings (the course and its largest uploaders) and the site admin's overview (every course).

Each function is one statement, whatever the number of courses or uploads.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Course, Membership, User
from .models import Upload
from .services import limits, megabytes

LARGEST_UPLOADERS = 5


@dataclass(frozen=True)
class Usage:
    """Bytes used of bytes allowed, said the way people read it ("3.2 MB of 50 MB")."""

    used: int
    allowed: int

    def __str__(self) -> str:
        return f"{megabytes(self.used)} of {megabytes(self.allowed)}"


@dataclass(frozen=True)
class CourseUsage:
    course: Course
    usage: Usage


@dataclass(frozen=True)
class Uploader:
    name: str
    used: int

    @property
    def size(self) -> str:
        return megabytes(self.used)


def site_defaults() -> dict[str, str]:
    """The site's own quotas, as the admin's form shows them for a course that keeps them."""
    config = current_app.config
    return {
        "person": megabytes(config["UPLOADS_PERSON_QUOTA_BYTES"]),
        "course": megabytes(config["UPLOADS_COURSE_QUOTA_BYTES"]),
    }


def _bytes_by_course(uploader_id: int | None = None):
    statement = select(Upload.course_id, func.sum(Upload.size).label("used")).group_by(Upload.course_id)
    if uploader_id is not None:
        statement = statement.where(Upload.uploader_id == uploader_id)
    return statement.subquery("upload_bytes")


def mine_by_course(user: User) -> list[CourseUsage]:
    """The person's uploads in each course they are in, against their quota there; by course title."""
    used = _bytes_by_course(user.id)
    rows = db.session.execute(
        select(Course, func.coalesce(used.c.used, 0))
        .join(Membership, Membership.course_id == Course.id)
        .outerjoin(used, used.c.course_id == Course.id)
        .where(Membership.user_id == user.id)
        .order_by(Course.title, Course.id)
    ).all()
    return [CourseUsage(course, Usage(int(n), limits(course).person_bytes)) for course, n in rows]


def by_course() -> dict[int, Usage]:
    """Every course's uploads against its quota (for the site admin's overview), by course id."""
    used = _bytes_by_course()
    rows = db.session.execute(
        select(Course, func.coalesce(used.c.used, 0)).outerjoin(used, used.c.course_id == Course.id)
    )
    return {course.id: Usage(int(n), limits(course).course_bytes) for course, n in rows}


def of_course(course: Course) -> Usage:
    """The course's uploads against its quota."""
    used = db.session.scalar(select(func.coalesce(func.sum(Upload.size), 0)).where(Upload.course_id == course.id))
    return Usage(int(used or 0), limits(course).course_bytes)


def largest_uploaders(course: Course) -> list[Uploader]:
    """The few people who store the most in the course, most first (for its staff)."""
    total = func.sum(Upload.size)
    rows = db.session.execute(
        select(User.display_name, total)
        .join(Upload, Upload.uploader_id == User.id)
        .where(Upload.course_id == course.id)
        .group_by(User.id, User.display_name)
        .order_by(total.desc(), User.id)
        .limit(LARGEST_UPLOADERS)
    ).all()
    return [Uploader(name, int(n)) for name, n in rows]
