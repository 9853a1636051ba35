"""The instructor's tools and the classroom's rules: likes, awards, holds, hiding, locks, pins, reports and the
audit log. Each function checks the viewer's permission, makes one change, records it, and commits once."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, or_, select, update
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
    Membership,
    Post,
    PostLike,
    Report,
    Role,
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
    ctx: CourseContext,
    award_type: AwardType | None,
    *,
    name: str,
    description: str,
    badge: str,
    per_reading_limit: int | None = None,
) -> AwardType:
    """Create or change one of the course's award types."""
    ctx.require("award_type:manage")
    if badge not in BADGES:
        raise ModerationError("Choose one of the badges shown.")
    if per_reading_limit is not None and per_reading_limit < 1:
        raise ModerationError("A limit per reading is at least 1; leave it empty for no limit.")
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
    award_type.per_reading_limit = per_reading_limit
    db.session.flush()
    limit = f" (at most {per_reading_limit} per reading)" if per_reading_limit else ""
    record(ctx, "award_type:save", award_type, detail=name + limit)
    db.session.commit()
    return award_type


def delete_award_type(ctx: CourseContext, award_type: AwardType) -> None:
    """Remove an award type and the awards given with it."""
    ctx.require("award_type:manage")
    record(ctx, "award_type:delete", award_type, detail=award_type.name)
    db.session.delete(award_type)
    db.session.commit()


def _reading_of(target: Target) -> int | None:
    """The reading a post or comment belongs to (a response's reading, or the reading itself); None for free posts."""
    post = target if isinstance(target, Post) else target.post
    return post.id if post.is_reading else post.reading_id


def awards_in_reading(award_type: AwardType, reading_id: int) -> int:
    """How many awards of `award_type` were given to the reading, its responses and comments on any of them."""
    posts_of_reading = select(Post.id).where(or_(Post.id == reading_id, Post.reading_id == reading_id))
    comments_of_reading = select(Comment.id).where(Comment.post_id.in_(posts_of_reading))
    return db.session.scalar(
        select(func.count())
        .select_from(Award)
        .where(Award.award_type_id == award_type.id)
        .where(or_(Award.post_id.in_(posts_of_reading), Award.comment_id.in_(comments_of_reading)))
    )


def give_award(ctx: CourseContext, target: Target, award_type: AwardType, note: str = "") -> Award:
    """Give a post or comment an award (once per award type), within the type's limit per reading."""
    ctx.require("post:award")
    if award_type.course_id != ctx.course.id:
        raise ModerationError("That award belongs to another course.")
    if isinstance(target, Post) and (not target.is_published or target.deleted_at is not None):
        raise ModerationError("Only published posts can receive awards.")
    if isinstance(target, Comment) and target.deleted_at is not None:
        raise ModerationError("This comment was deleted.")
    kind = "post" if isinstance(target, Post) else "comment"
    column = Award.post_id if isinstance(target, Post) else Award.comment_id
    reading_id = _reading_of(target)
    # Lock the award type before counting, so two awards given at once cannot both pass its limit. A write that
    # changes nothing, not SELECT … FOR UPDATE: SQLite has no row locks, and Python's sqlite3 starts a transaction
    # only at the first write, so this is what makes the other request wait there (PostgreSQL: a row lock).
    db.session.execute(
        update(AwardType)
        .where(AwardType.id == award_type.id)
        .values(badge=AwardType.badge)
        .execution_options(synchronize_session=False)
    )
    if db.session.scalar(select(Award.id).where(column == target.id, Award.award_type_id == award_type.id)):
        raise ModerationError(f"This {kind} already has the {award_type.name} award.")
    if award_type.per_reading_limit and reading_id is not None:
        given = awards_in_reading(award_type, reading_id)
        if given >= award_type.per_reading_limit:
            raise ModerationError(
                f"{award_type.name} is given at most {award_type.per_reading_limit} time"
                f"{'s' if award_type.per_reading_limit != 1 else ''} per reading, and this reading has "
                f"{given} already. Take one back first."
            )
    award = Award(award_type_id=award_type.id, given_by_id=ctx.user.id, note=(note or "").strip())
    setattr(award, column.key, target.id)
    db.session.add(award)
    record(ctx, "award:give", target, reason=award.note, detail=f"{award_type.name} to {describe(target)}")
    award.award_type = award_type
    setattr(award, kind, target)
    notifications.award_given(ctx, award)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()  # the same award given at the same moment in another tab
        raise ModerationError(f"This {kind} already has the {award_type.name} award.") from error
    return award


def award_target(award: Award) -> Target:
    """The post or comment an award was given to."""
    return award.comment if award.comment_id is not None else award.post


def revoke_award(ctx: CourseContext, award: Award) -> None:
    """Take an award back."""
    ctx.require("post:award")
    target = award_target(award)
    record(ctx, "award:revoke", target, detail=f"{award.award_type.name} from {describe(target)}")
    db.session.delete(award)
    db.session.commit()


def set_hold(ctx: CourseContext, membership: Membership, hold: bool) -> None:
    """Hold one student's new responses and comments for approval (whatever the course's policy), or stop."""
    ctx.require("member:hold")
    if membership.role != Role.STUDENT:
        raise ModerationError("Only students' contributions can be held.")
    if membership.hold_contributions == hold:
        return
    membership.hold_contributions = hold
    name = membership.user.display_name
    record(
        ctx,
        "member:hold" if hold else "member:release",
        membership,
        detail=f"{name}: new responses and comments {'held for approval' if hold else 'no longer held'}",
    )
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
