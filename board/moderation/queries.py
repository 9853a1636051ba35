"""What the moderation queue, the awards page and the audit log show, each in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..access import CourseContext
from ..extensions import db
from ..keyset import Page, Window
from ..models import (
    AuditEntry,
    Award,
    AwardType,
    Comment,
    CommentRevision,
    Post,
    PostStatus,
    Report,
    Visibility,
)


def held_posts(ctx: CourseContext, window: Window) -> Page:
    """One page of the published posts awaiting approval, oldest first."""
    query = (
        select(Post)
        .where(Post.course_id == ctx.course.id, Post.visibility == Visibility.HELD)
        .where(Post.status == PostStatus.PUBLISHED, Post.deleted_at.is_(None))
        .options(selectinload(Post.reading))
    )
    rows = db.session.scalars(window.apply(query, Post.published_at, Post.id)).all()
    return window.page(list(rows), lambda post: (post.published_at, post.id))


def held_comments(ctx: CourseContext, window: Window) -> Page:
    """One page of the comments awaiting approval, oldest first, with their posts."""
    query = (
        select(Comment)
        .where(Comment.course_id == ctx.course.id, Comment.visibility == Visibility.HELD)
        .where(Comment.deleted_at.is_(None))
        .options(selectinload(Comment.post))
    )
    rows = db.session.scalars(window.apply(query, Comment.created_at, Comment.id)).all()
    return window.page(list(rows), lambda comment: (comment.created_at, comment.id))


def open_reports(ctx: CourseContext, window: Window) -> Page:
    """One page of the unresolved reports, oldest first, with what they report and who reported it."""
    query = (
        select(Report)
        .where(Report.course_id == ctx.course.id, Report.resolved_at.is_(None))
        .options(
            selectinload(Report.reporter),
            selectinload(Report.post),
            selectinload(Report.comment).selectinload(Comment.post),
        )
    )
    rows = db.session.scalars(window.apply(query, Report.created_at, Report.id)).all()
    return window.page(list(rows), lambda report: (report.created_at, report.id))


def queue_counts(ctx: CourseContext) -> tuple[int, int, int]:
    """Held posts, held comments and open reports, counted in one query."""
    held_post_count = (
        select(func.count())
        .select_from(Post)
        .where(Post.course_id == ctx.course.id, Post.visibility == Visibility.HELD)
        .where(Post.status == PostStatus.PUBLISHED, Post.deleted_at.is_(None))
        .scalar_subquery()
    )
    held_comment_count = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.course_id == ctx.course.id, Comment.visibility == Visibility.HELD)
        .where(Comment.deleted_at.is_(None))
        .scalar_subquery()
    )
    report_count = (
        select(func.count())
        .select_from(Report)
        .where(Report.course_id == ctx.course.id, Report.resolved_at.is_(None))
        .scalar_subquery()
    )
    return tuple(db.session.execute(select(held_post_count, held_comment_count, report_count)).one())


def queue_size(ctx: CourseContext) -> int:
    """Held posts, held comments and open reports: the number on the Moderation link."""
    return sum(queue_counts(ctx))


def award_types(ctx: CourseContext) -> list[AwardType]:
    """The course's award types, oldest first."""
    return list(
        db.session.scalars(select(AwardType).where(AwardType.course_id == ctx.course.id).order_by(AwardType.id))
    )


def comment_awards(comment: Comment) -> list[Award]:
    """A comment's awards, oldest first."""
    return list(
        db.session.scalars(select(Award).where(Award.comment_id == comment.id).order_by(Award.created_at, Award.id))
    )


AUDIT_ACTIONS = (
    "approve",
    "hide",
    "unhide",
    "delete",
    "lock",
    "unlock",
    "pin",
    "unpin",
    "report:dismiss",
    "award:give",
    "award:revoke",
    "award_type:save",
    "award_type:delete",
    "anonymous:post",
    "anonymous:comment",
    "named:post",
    "member:hold",
    "member:release",
    "grade:save",
    "grade:release",
    "grade:withdraw",
    "course:settings",
)


def audit_log(ctx: CourseContext, window: Window, *, action: str | None = None, actor_id: int | None = None) -> Page:
    """One page of the course's audit entries, newest first, optionally for one action or one person."""
    query = select(AuditEntry).where(AuditEntry.course_id == ctx.course.id)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    rows = db.session.scalars(window.apply(query, AuditEntry.created_at, AuditEntry.id)).all()
    return window.page(list(rows), lambda entry: (entry.created_at, entry.id))


def comment_revisions(comment: Comment) -> list[CommentRevision]:
    """A comment's earlier texts, the most recently replaced first."""
    return list(
        db.session.scalars(
            select(CommentRevision).where(CommentRevision.comment_id == comment.id).order_by(CommentRevision.id.desc())
        )
    )
