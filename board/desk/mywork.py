"""My work: one student's responses and comments in a course (each comment with what it answered), their
checkpoints, and their released grades; the same, as one self-contained HTML file they can keep, with their own
pictures in it."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import CourseContext, can_read_comment, visible_grades_clause, visible_posts_clause
from ..extensions import db
from ..markdown import IMAGE_TAG, picture_description
from ..models import Comment, Post, PostKind, PostStatus, utcnow
from ..posts.queries import reading_order
from ..uploads.models import Upload
from ..uploads.storage import get_storage
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


_SRC = re.compile(r'\bsrc="([^"]*)"', re.IGNORECASE)
# What made a picture load from the site (its smaller copies) or later (lazily): nothing to load in a kept file.
_LOADING_ATTRIBUTES = re.compile(r'\s(?:srcset|sizes|loading)="[^"]*"', re.IGNORECASE)
#: The widest smaller copy an exported picture uses: the reading column is 46rem (about 740 pixels) wide.
EXPORT_WIDTH = 960


def own_pictures(ctx: CourseContext) -> dict[str, Upload]:
    """The viewer's own pictures in the course, by token: the only ones their exported work carries."""
    statement = select(Upload).where(
        Upload.course_id == ctx.course.id, Upload.uploader_id == ctx.user.id, Upload.kind == "image"
    )
    return {upload.token: upload for upload in db.session.scalars(statement)}


def export_pictures(own: dict[str, Upload], slug: str) -> Callable[[str], Markup]:
    """What the export does to stored HTML: the student's own pictures (`own`) embedded as data: URIs, read from
    storage, so the file shows them and still loads nothing from anywhere; every other picture (a classmate's, one
    from elsewhere) replaced by its description, as before."""
    prefix = f"/c/{slug}/uploads/"
    embedded: dict[str, str] = {}

    def data_uri(upload: Upload) -> str:
        if upload.token not in embedded:
            key = upload.key
            for width, _, variant_key in upload.variants or []:
                if width <= EXPORT_WIDTH:
                    key = variant_key  # ascending: the widest copy that is not wider
            data = base64.b64encode(get_storage().get(key)).decode("ascii")
            embedded[upload.token] = f"data:{upload.content_type};base64,{data}"
        return embedded[upload.token]

    def picture(match: re.Match) -> str:
        tag = match.group(0)
        src = _SRC.search(tag)
        path = src.group(1) if src else ""
        token = path[len(prefix) :].split("/", 1)[0] if own and path.startswith(prefix) else ""
        if token in own:
            try:
                uri = data_uri(own[token])
            except KeyError:  # its bytes are gone from storage: described like any other
                pass
            else:
                return _LOADING_ATTRIBUTES.sub("", tag[: src.start(1)] + uri + tag[src.end(1) :])
        return picture_description(tag)

    return lambda html: Markup(IMAGE_TAG.sub(picture, html))
