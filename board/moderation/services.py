"""The instructor's tools and the classroom's rules: likes, awards, holds, hiding, locks, pins, reports and the
audit log. Each function checks the viewer's permission, makes one change, records it, and commits once."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..access import CourseContext
from ..audit import Target, describe, record
from ..extensions import db
from ..models import (
    BADGES,
    Award,
    AwardType,
    Comment,
    CommentLike,
    Post,
    PostLike,
    Report,
    Visibility,
    utcnow,
)
from ..notifications import services as notifications


class ModerationError(ValueError):
    """An action the rules refuse; the message is for the person."""


# Likes ---------------------------------------------------------------------------------------------------------


def set_like(ctx: CourseContext, target: Target, liked: bool) -> tuple[bool, int]:
    """Like or unlike a post or comment (one like per person); returns (liked, count)."""
    ctx.require("post:like")
    if not ctx.may_like(target):
        raise ModerationError("You cannot like your own writing.")
    model, key = (PostLike, PostLike.post_id) if isinstance(target, Post) else (CommentLike, CommentLike.comment_id)
    mine = select(model).where(key == target.id, model.user_id == ctx.user.id)
    already = db.session.scalar(select(exists(mine.subquery())))
    if liked and not already:
        db.session.add(model(**{key.key: target.id}, user_id=ctx.user.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a double click raced us; the like exists, which is what was asked
    elif not liked and already:
        db.session.execute(delete(model).where(key == target.id, model.user_id == ctx.user.id))
        db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(model).where(key == target.id))
    return liked, count


def likers(target: Target):
    """A select() of the people who liked `target`, in the order they liked it."""
    from ..models import User

    model, key = (PostLike, PostLike.post_id) if isinstance(target, Post) else (CommentLike, CommentLike.comment_id)
    return select(User).join(model, model.user_id == User.id).where(key == target.id).order_by(model.created_at)


# Awards --------------------------------------------------------------------------------------------------------


def save_award_type(
    ctx: CourseContext, award_type: AwardType | None, *, name: str, description: str, badge: str
) -> AwardType:
    """Create or change one of the course's award types."""
    ctx.require("award_type:manage")
    if badge not in BADGES:
        raise ModerationError("Choose one of the badges shown.")
    name = name.strip()
    clash = db.session.scalar(
        select(AwardType.id).where(AwardType.course_id == ctx.course.id, func.lower(AwardType.name) == name.lower())
    )
    if clash is not None and (award_type is None or clash != award_type.id):
        raise ModerationError("The course already has an award with that name.")
    if award_type is None:
        award_type = AwardType(course_id=ctx.course.id)
        db.session.add(award_type)
    award_type.name, award_type.description, award_type.badge = name, description.strip(), badge
    db.session.flush()
    record(ctx, "award_type:save", award_type, detail=name)
    db.session.commit()
    return award_type


def delete_award_type(ctx: CourseContext, award_type: AwardType) -> None:
    """Remove an award type and the awards given with it."""
    ctx.require("award_type:manage")
    record(ctx, "award_type:delete", award_type, detail=award_type.name)
    db.session.delete(award_type)
    db.session.commit()


def give_award(ctx: CourseContext, post: Post, award_type: AwardType, note: str = "") -> Award:
    """Give a post an award (once per award type)."""
    ctx.require("post:award")
    if award_type.course_id != ctx.course.id:
        raise ModerationError("That award belongs to another course.")
    if not post.is_published or post.deleted_at is not None:
        raise ModerationError("Only published posts can receive awards.")
    exists_already = db.session.scalar(
        select(Award.id).where(Award.post_id == post.id, Award.award_type_id == award_type.id)
    )
    if exists_already is not None:
        raise ModerationError(f"This post already has the {award_type.name} award.")
    award = Award(post_id=post.id, award_type_id=award_type.id, given_by_id=ctx.user.id, note=(note or "").strip())
    db.session.add(award)
    record(ctx, "award:give", post, reason=award.note, detail=f"{award_type.name} to {describe(post)}")
    award.award_type, award.post = award_type, post
    notifications.award_given(ctx, award)
    db.session.commit()
    return award


def revoke_award(ctx: CourseContext, award: Award) -> None:
    """Take an award back."""
    ctx.require("post:award")
    record(ctx, "award:revoke", award.post, detail=f"{award.award_type.name} from {describe(award.post)}")
    db.session.delete(award)
    db.session.commit()


# Moderation ----------------------------------------------------------------------------------------------------


def _require_moderator(ctx: CourseContext, target: Target) -> None:
    ctx.require("post:moderate" if isinstance(target, Post) else "comment:moderate")


def approve(ctx: CourseContext, target: Target) -> None:
    """Publish a held post or comment to the class."""
    _require_moderator(ctx, target)
    if target.visibility != Visibility.HELD:
        raise ModerationError("That is not awaiting approval.")
    target.visibility = Visibility.VISIBLE
    record(ctx, "approve", target, detail=describe(target))
    _resolve_reports(ctx, target, "approved")
    notifications.moderated(ctx, target, "approved")
    db.session.commit()


def hide(ctx: CourseContext, target: Target, reason: str) -> None:
    """Hide a post or comment from the class; the author sees it marked hidden, with the reason."""
    _require_moderator(ctx, target)
    if not reason.strip():
        raise ModerationError("Give the author a reason.")
    target.visibility = Visibility.HIDDEN
    target.hidden_reason = reason.strip()
    record(ctx, "hide", target, reason=reason.strip(), detail=describe(target))
    _resolve_reports(ctx, target, "hidden")
    notifications.moderated(ctx, target, "hidden")
    db.session.commit()


def unhide(ctx: CourseContext, target: Target) -> None:
    """Show a hidden post or comment again."""
    _require_moderator(ctx, target)
    if target.visibility != Visibility.HIDDEN:
        raise ModerationError("That is not hidden.")
    target.visibility = Visibility.VISIBLE
    target.hidden_reason = ""
    record(ctx, "unhide", target, detail=describe(target))
    db.session.commit()


def delete_permanently(ctx: CourseContext, target: Target, reason: str = "") -> None:
    """Delete a post (with its comments) or a comment for good; a comment with replies leaves its placeholder."""
    _require_moderator(ctx, target)
    if isinstance(target, Post) and target.is_reading:
        responses = db.session.scalar(select(func.count()).where(Post.reading_id == target.id))
        if responses:
            # Students' work stays with its reading, and the reading's "post before you see" rule with it.
            raise ModerationError(
                f"This reading has {responses} response{'s' if responses != 1 else ''}: hide it instead, "
                "or delete the responses first."
            )
    record(ctx, "delete", target, reason=reason, detail=describe(target))
    _resolve_reports(ctx, target, "deleted")
    has_replies = isinstance(target, Comment) and db.session.scalar(
        select(exists().where(Comment.parent_id == target.id))
    )
    if has_replies:
        target.body_md, target.body_html, target.deleted_at = "", "", utcnow()
    else:
        db.session.delete(target)
    db.session.commit()


def set_locked(ctx: CourseContext, post: Post, locked: bool) -> None:
    """Close or reopen a post's comments (existing comments stay)."""
    ctx.require("post:moderate")
    post.comments_locked = locked
    record(ctx, "lock" if locked else "unlock", post, detail=describe(post))
    db.session.commit()


def set_pinned(ctx: CourseContext, post: Post, pinned: bool) -> None:
    """Pin a reading to the top of the course home, or unpin it."""
    ctx.require("post:moderate")
    if not post.is_reading:
        raise ModerationError("Only readings can be pinned.")
    post.pinned = pinned
    record(ctx, "pin" if pinned else "unpin", post, detail=describe(post))
    db.session.commit()


# Reports -------------------------------------------------------------------------------------------------------


def report(ctx: CourseContext, target: Target, reason: str) -> Report:
    """A member flags a post or comment for the moderators; once per person and thing."""
    ctx.require("report:create")
    if not ctx.may_report(target):
        raise ModerationError("You cannot report your own writing; edit or delete it instead.")
    if not reason.strip():
        raise ModerationError("Say what is wrong, so a moderator can judge it.")
    column = Report.post_id if isinstance(target, Post) else Report.comment_id
    if db.session.scalar(select(Report.id).where(column == target.id, Report.reporter_id == ctx.user.id)):
        raise ModerationError("You have already reported this.")
    item = Report(course_id=ctx.course.id, reporter_id=ctx.user.id, reason=reason.strip(), **{column.key: target.id})
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ModerationError("You have already reported this.") from error
    return item


def dismiss_report(ctx: CourseContext, item: Report) -> None:
    """Close a report without acting on its post or comment."""
    ctx.require("queue:view")
    if item.resolved_at is not None:
        raise ModerationError("That report is already resolved.")
    target = item.post or item.comment
    item.resolved_at, item.resolved_by_id, item.resolution = utcnow(), ctx.user.id, "dismissed"
    record(ctx, "report:dismiss", target, reason=item.reason, detail=describe(target))
    db.session.commit()


def _resolve_reports(ctx: CourseContext, target: Target, resolution: str) -> None:
    column = Report.post_id if isinstance(target, Post) else Report.comment_id
    for item in db.session.scalars(select(Report).where(column == target.id, Report.resolved_at.is_(None))):
        item.resolved_at, item.resolved_by_id, item.resolution = utcnow(), ctx.user.id, resolution
