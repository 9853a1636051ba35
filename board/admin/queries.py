"""Queries for the site overview: one statement per list, whatever the number of courses and accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Course, Membership, Post, Role, User


@dataclass(frozen=True)
class CourseRow:
    course: Course
    instructors: str
    members: int
    posts: int


@dataclass(frozen=True)
class AccountRow:
    user: User
    courses: int


def course_rows() -> list[CourseRow]:
    """Every course, newest first, with its instructors' names and its member and post counts."""
    members = (
        select(Membership.course_id, func.count().label("n")).group_by(Membership.course_id).subquery("member_counts")
    )
    posts = select(Post.course_id, func.count().label("n")).group_by(Post.course_id).subquery("post_counts")
    rows = db.session.execute(
        select(Course, func.coalesce(members.c.n, 0), func.coalesce(posts.c.n, 0))
        .outerjoin(members, members.c.course_id == Course.id)
        .outerjoin(posts, posts.c.course_id == Course.id)
        .order_by(Course.created_at.desc(), Course.id.desc())
    ).all()
    names: dict[int, list[str]] = {}
    for course_id, name in db.session.execute(
        select(Membership.course_id, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == Role.INSTRUCTOR)
        .order_by(User.display_name)
    ):
        names.setdefault(course_id, []).append(name)
    return [
        CourseRow(course, ", ".join(names.get(course.id, [])), n_members, n_posts)
        for course, n_members, n_posts in rows
    ]


def account_rows() -> list[AccountRow]:
    """Every account, by email, with the number of courses it belongs to."""
    memberships = (
        select(Membership.user_id, func.count().label("n")).group_by(Membership.user_id).subquery("membership_counts")
    )
    rows = db.session.execute(
        select(User, func.coalesce(memberships.c.n, 0))
        .outerjoin(memberships, memberships.c.user_id == User.id)
        .order_by(User.email)
    ).all()
    return [AccountRow(user, n) for user, n in rows]
