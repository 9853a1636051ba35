"""My work: one student's responses and comments in a course (each comment with what it answered), their
checkpoints, and their released grades; the same, as one self-contained HTML file they can keep."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import CourseContext, can_read_comment, visible_grades_clause, visible_posts_clause
from ..extensions import db
from ..models import Comment, Post, PostKind, PostStatus, utcnow
from ..posts.queries import reading_order
from .models import Grade


@dataclass
class MyComment:
    """One of the student's comments and what it answered, as far as they may still see it."""

    comment: Comment
    post_visible: bool  # the post it is on is still visible to them
    parent: Comment | None  # the comment it replied to, when they may still read it
    parent_gone: bool  # it replied to a comment that is deleted, hidden or held now

    @property
    def post(self) -> Post:
        return self.comment.post


@dataclass
class ReadingWork:
    reading: Post
    responses: list[Post] = field(default_factory=list)
    comments: list[MyComment] = field(default_factory=list)
    grade: Grade | None = None

    @property
    def replies(self) -> list[MyComment]:
        """Comments on classmates' responses: what the reading's required replies count."""
        return [
            c for c in self.comments if c.post.kind == PostKind.RESPONSE and c.post.author_id != c.comment.author_id
        ]

    def response_status(self, now: datetime) -> str:
        """ "on time", "late", "missing", "not yet due" or "posted" (no due date)."""
        due = self.reading.due_at
        if self.responses:
            first = min(post.published_at for post in self.responses)
            if due is None:
                return "posted"
            return "on time" if first <= due else "late"
        if due is None:
            return "none yet"
        return "missing" if due < now else "not yet due"

    def replies_on_time(self) -> int:
        due = self.reading.reply_due_at
        return sum(1 for c in self.replies if due is None or c.comment.created_at <= due)

    def replies_status(self, now: datetime) -> str:
        """ "met", "met late", "missed", "in progress", or "" when the reading asks for no replies."""
        required = self.reading.required_replies or 0
        if not required:
            return ""
        if self.replies_on_time() >= required:
            return "met"
        if len(self.replies) >= required:
            return "met late"
        due = self.reading.reply_due_at
        return "missed" if due is not None and due < now else "in progress"


@dataclass
class MyWork:
    readings: list[ReadingWork]
    other_posts: list[Post]  # free posts, and responses to readings they can no longer see
    other_comments: list[MyComment]
    now: datetime

    @property
    def empty(self) -> bool:
        return (
            not self.other_posts
            and not self.other_comments
            and not any(r.responses or r.comments for r in self.readings)
        )


def my_work(ctx: CourseContext) -> MyWork:
    """The viewer's own work in the course, in a fixed number of queries however much there is."""
    ctx.require("work:view")
    me, course_id = ctx.user.id, ctx.course.id
    readings = sorted(
        db.session.scalars(
            select(Post)
            .where(Post.kind == PostKind.READING, Post.status == PostStatus.PUBLISHED)
            .where(visible_posts_clause(ctx))
        ),
        key=reading_order,
    )
    by_reading = {reading.id: ReadingWork(reading) for reading in readings}
    responses = db.session.scalars(
        select(Post)
        .where(Post.course_id == course_id, Post.author_id == me, Post.kind == PostKind.RESPONSE)
        .where(Post.status == PostStatus.PUBLISHED, Post.deleted_at.is_(None))
        .order_by(Post.published_at, Post.id)
    ).all()
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.course_id == course_id, Comment.author_id == me, Comment.deleted_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .options(selectinload(Comment.parent), selectinload(Comment.post))
    ).all()
    post_ids = {c.post_id for c in comments}
    visible = set(
        db.session.scalars(select(Post.id).where(Post.id.in_(post_ids)).where(visible_posts_clause(ctx)))
        if post_ids
        else []
    )
    grades = db.session.scalars(select(Grade).where(Grade.student_id == me, visible_grades_clause(ctx))).all()

    other_posts: list[Post] = []
    for post in responses:
        work = by_reading.get(post.reading_id)
        (work.responses if work is not None else other_posts).append(post)
    other_comments: list[MyComment] = []
    for comment in comments:
        item = _my_comment(ctx, comment, comment.post_id in visible)
        post = comment.post
        reading_id = post.id if post.is_reading else post.reading_id
        work = by_reading.get(reading_id)
        (work.comments if work is not None else other_comments).append(item)
    for grade in grades:
        if grade.reading_id in by_reading:
            by_reading[grade.reading_id].grade = grade
    return MyWork(list(by_reading.values()), other_posts, other_comments, utcnow())


def _my_comment(ctx: CourseContext, comment: Comment, post_visible: bool) -> MyComment:
    parent = comment.parent
    readable = parent is not None and parent.deleted_at is None and can_read_comment(ctx, parent) and post_visible
    return MyComment(comment, post_visible, parent if readable else None, parent is not None and not readable)


_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)


def without_images(html: str) -> Markup:
    """Stored HTML with each picture replaced by its description: the exported file loads nothing from anywhere."""

    def describe(match: re.Match) -> str:
        alt = _ALT.search(match.group(0))
        return f"[picture: {alt.group(1)}]" if alt and alt.group(1) else "[picture]"

    return Markup(_IMAGE.sub(describe, html))
