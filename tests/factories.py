"""Build test data through the same services the app uses, so rows are what the app would have written."""

from __future__ import annotations

import itertools
from datetime import timedelta

from board.access import CourseContext
from board.auth import services as accounts
from board.courses import services as courses
from board.extensions import db
from board.markdown import render_markdown
from board.models import (
    Comment,
    Course,
    Membership,
    Post,
    PostKind,
    PostStatus,
    Role,
    User,
    Visibility,
    utcnow,
)

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


_PASSWORD_HASH = accounts.hash_password(PASSWORD)  # scrypt is slow on purpose: hash once for every test user


def user(name: str | None = None, email: str | None = None, *, password: str = PASSWORD) -> User:
    n = next(_seq)
    person = User(
        email=accounts.normalize_email(email or f"person{n}@example.edu"),
        display_name=name or f"Person {n}",
        password_hash=_PASSWORD_HASH if password == PASSWORD else accounts.hash_password(password),
    )
    db.session.add(person)
    db.session.commit()
    return person


def course(instructor: User | None = None, **fields) -> Course:
    fields.setdefault("title", "Soviet History")
    fields.setdefault("code", f"HIST {3600 + next(_seq)}")
    fields.setdefault("term", "Spring 2027")
    return courses.create_course(instructor or user("Instructor"), **fields)


def member(course: Course, role: str = Role.STUDENT, name: str | None = None) -> User:
    person = user(name)
    db.session.add(Membership(course_id=course.id, user_id=person.id, role=Role(role)))
    db.session.commit()
    return person


def instructor_of(course: Course) -> User:
    return db.session.scalar(
        db.select(User).join(Membership).where(Membership.course_id == course.id, Membership.role == Role.INSTRUCTOR)
    )


def context(course: Course, person: User) -> CourseContext:
    membership = db.session.scalar(
        db.select(Membership).where(Membership.course_id == course.id, Membership.user_id == person.id)
    )
    return CourseContext(course=course, membership=membership, user=person)


def reading(
    course: Course,
    author: User | None = None,
    *,
    title: str = "A reading",
    body: str = "Read this.",
    published: bool = True,
    **fields,
) -> Post:
    post = Post(
        course_id=course.id,
        author_id=(author or instructor_of(course)).id,
        kind=PostKind.READING,
        title=title,
        body_md=body,
        body_html=render_markdown(body),
        word_count=len(body.split()),
        **fields,
    )
    _publish(post, published)
    return post


def response(
    course: Course,
    author: User,
    reading_post: Post | None = None,
    *,
    title: str = "My response",
    body: str = "I think the reading shows solidarity.",
    published: bool = True,
    **fields,
) -> Post:
    post = Post(
        course_id=course.id,
        author_id=author.id,
        kind=PostKind.RESPONSE,
        reading_id=reading_post.id if reading_post else None,
        title=title,
        body_md=body,
        body_html=render_markdown(body),
        word_count=len(body.split()),
        **fields,
    )
    _publish(post, published)
    return post


def _publish(post: Post, published: bool) -> None:
    if published:
        post.status = PostStatus.PUBLISHED
        post.published_at = post.published_at or utcnow()
    db.session.add(post)
    db.session.commit()


def comment(
    post: Post,
    author: User,
    body: str = "Good point.",
    *,
    parent: Comment | None = None,
    visibility: str = Visibility.VISIBLE,
    minutes: int | None = None,
    **fields,
) -> Comment:
    created = utcnow() + timedelta(minutes=minutes if minutes is not None else next(_seq))
    item = Comment(
        course_id=post.course_id,
        post_id=post.id,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 1,
        body_md=body,
        body_html=render_markdown(body),
        visibility=visibility,
        created_at=created,
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def reload(obj):
    """The row as the database has it now (after requests made in other sessions)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
