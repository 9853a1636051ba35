"""Writing readings, responses and comments: every change to them is made here, and committed once."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..access import CourseContext
from ..audit import record
from ..extensions import db
from ..markdown import render_markdown, word_count
from ..models import (
    Comment,
    CommentRevision,
    ModerationPolicy,
    Post,
    PostKind,
    PostRevision,
    PostStatus,
    Visibility,
    utcnow,
)
from ..notifications import services as notifications


class PostError(ValueError):
    """A change to a post or comment that the rules refuse; the message is for the person."""


def initial_visibility(ctx: CourseContext) -> str:
    """Whether a new contribution by the viewer is published at once or held, by the course's moderation policy
    or because staff hold this member's contributions."""
    policy = ctx.course.moderation_policy
    if ctx.is_staff:
        return Visibility.VISIBLE
    if ctx.membership.hold_contributions:  # staff chose to hold this one member's contributions
        return Visibility.HELD
    if policy == ModerationPolicy.OPEN:
        return Visibility.VISIBLE
    if policy == ModerationPolicy.ALL:
        return Visibility.HELD
    return Visibility.VISIBLE if _has_approved_contribution(ctx) else Visibility.HELD


def _has_approved_contribution(ctx: CourseContext) -> bool:
    uid, cid = ctx.user.id, ctx.course.id
    approved_post = exists().where(
        Post.course_id == cid,
        Post.author_id == uid,
        Post.status == PostStatus.PUBLISHED,
        Post.visibility == Visibility.VISIBLE,
        Post.deleted_at.is_(None),
    )
    approved_comment = exists().where(
        Comment.course_id == cid,
        Comment.author_id == uid,
        Comment.visibility == Visibility.VISIBLE,
        Comment.deleted_at.is_(None),
    )
    return bool(db.session.scalar(select(approved_post | approved_comment)))


def body_html(body: str) -> str:
    """The HTML that `body` (Markdown) is published as: what saving stores, and what every preview shows."""
    return render_markdown(body)


def _set_body(post: Post, body: str) -> None:
    post.body_md = body
    post.body_html = body_html(body)
    post.word_count = word_count(body)


def check_mentions(ctx: CourseContext, *texts: str) -> None:
    """Refuse a text that names more people ("@Name") than MENTION_LIMIT: each would be notified and emailed."""
    limit = current_app.config["MENTION_LIMIT"]
    named = len(notifications.mentioned_ids(ctx.course, "\n".join(texts)))
    if limit and named > limit:
        raise PostError(
            f"This names {named} people; a comment or post may mention at most {limit}. Nothing was saved: "
            "remove some of the @names and send it again (a reading reaches the whole class)."
        )


def _publish(ctx: CourseContext, post: Post) -> None:
    if post.status != PostStatus.PUBLISHED:
        # Decide before marking it published: the policy's query would otherwise autoflush this very post as a
        # published, visible contribution and count it as the author's approved one.
        visibility = Visibility.VISIBLE if post.is_reading else initial_visibility(ctx)
        post.status = PostStatus.PUBLISHED
        post.published_at = utcnow()
        post.visibility = visibility


def create_reading(
    ctx: CourseContext,
    *,
    title: str,
    body: str,
    publish: bool,
    source: str = "",
    prompt: str = "",
    week: str = "",
    due_at: datetime | None = None,
    pinned: bool = False,
    responses_hidden_until_posted: bool = False,
    unlock_min_words: int = 0,
    reply_due_at: datetime | None = None,
    required_replies: int = 0,
    max_points: float | None = None,
) -> Post:
    """A new reading by an instructor or assistant."""
    ctx.require("reading:write")
    check_mentions(ctx, body, prompt or "")
    post = Post(course_id=ctx.course.id, author_id=ctx.user.id, kind=PostKind.READING, title=title.strip())
    _apply_reading_fields(
        post,
        source=source,
        prompt=prompt,
        week=week,
        due_at=due_at,
        pinned=pinned,
        responses_hidden_until_posted=responses_hidden_until_posted,
        unlock_min_words=unlock_min_words,
        reply_due_at=reply_due_at,
        required_replies=required_replies,
        max_points=max_points,
    )
    _set_body(post, body)
    db.session.add(post)
    if publish:
        _publish(ctx, post)
        notifications.post_published(ctx.course, post)
    db.session.commit()
    return post


def _apply_reading_fields(
    post: Post,
    *,
    source,
    prompt,
    week,
    due_at,
    pinned,
    responses_hidden_until_posted,
    unlock_min_words,
    reply_due_at=None,
    required_replies=0,
    max_points=None,
) -> None:
    post.source = (source or "").strip()
    post.prompt = (prompt or "").strip()
    post.prompt_html = render_markdown(post.prompt)
    post.week = (week or "").strip()
    post.due_at = due_at
    post.pinned = bool(pinned)
    post.responses_hidden_until_posted = bool(responses_hidden_until_posted)
    post.unlock_min_words = unlock_min_words or 0
    post.reply_due_at = reply_due_at
    post.required_replies = required_replies or 0
    post.max_points = max_points


def _already_sent(ctx: CourseContext, model: type[Post | Comment], submission_key: str | None):
    """The item this person already created from the same form (same submission key), if any."""
    if not submission_key:
        return None
    return db.session.scalar(
        select(model).where(model.author_id == ctx.user.id).where(model.submission_key == submission_key)
    )


def _commit_once(ctx: CourseContext, item: Post | Comment, before_commit=None) -> Post | Comment:
    """Add and commit `item`; if the same form was sent at the same moment and won, the item that request created."""
    db.session.add(item)
    try:
        if before_commit is not None:
            db.session.flush()
            before_commit()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        first = _already_sent(ctx, type(item), item.submission_key)
        if first is None:
            raise
        return first
    return item


def create_response(
    ctx: CourseContext,
    reading: Post | None,
    *,
    title: str,
    body: str,
    publish: bool,
    anonymous: bool = False,
    submission_key: str | None = None,
) -> Post:
    """A response to `reading`, or a free course-blog post when reading is None (if the course allows them); the
    same form sent again (same submission key) returns the post it created the first time."""
    ctx.require("response:create")
    if (first := _already_sent(ctx, Post, submission_key)) is not None:
        return first
    if reading is None and not (ctx.course.allow_free_posts or ctx.is_staff):
        raise PostError("This course does not take posts that are not responses to a reading.")
    if reading is not None and not (reading.is_reading and reading.is_published and reading.deleted_at is None):
        raise PostError("Responses are written to published readings.")
    check_mentions(ctx, body)
    post = Post(
        course_id=ctx.course.id,
        author_id=ctx.user.id,
        kind=PostKind.RESPONSE,
        reading_id=reading.id if reading is not None else None,
        title=title.strip(),
        anonymous=bool(anonymous and ctx.course.allow_anonymous),
        submission_key=submission_key or None,
    )
    _set_body(post, body)
    if publish:
        _publish(ctx, post)

    def before_commit():
        if post.anonymous:
            _record_anonymity(ctx, post)
        notifications.post_published(ctx.course, post)

    return _commit_once(ctx, post, before_commit)


def _record_anonymity(ctx: CourseContext, item: Post | Comment) -> None:
    # Classmates never learn who wrote an anonymous post; the audit log keeps the name for the instructors.
    kind = "post" if isinstance(item, Post) else "comment"
    record(
        ctx, f"anonymous:{kind}", item, detail=f"{ctx.user.display_name} wrote this {kind} anonymously to classmates"
    )


def update_post(ctx: CourseContext, post: Post, *, title: str, body: str, publish: bool, **reading_fields) -> None:
    """Edit a post; a published post keeps its previous version as a revision and is marked edited."""
    if not ctx.may_edit_post(post):
        raise PostError("Only the author can edit this post.")
    check_mentions(ctx, body, reading_fields.get("prompt", post.prompt) or "")
    was_published = post.is_published
    if was_published:
        db.session.add(PostRevision(post_id=post.id, editor_id=ctx.user.id, title=post.title, body_md=post.body_md))
        post.edited_at = utcnow()
    post.title = title.strip()
    _set_body(post, body)
    if post.is_reading and reading_fields:
        was_pinned = post.pinned
        _apply_reading_fields(post, **reading_fields)
        if post.pinned != was_pinned:
            record(ctx, "pin" if post.pinned else "unpin", post, detail=f"reading “{post.title}”, from its edit form")
    elif "anonymous" in reading_fields:
        _set_anonymity(ctx, post, bool(reading_fields["anonymous"]))
    post.updated_at = utcnow()
    if publish and not post.is_published:
        _publish(ctx, post)
        notifications.post_published(ctx.course, post)
    elif was_published:
        notifications.item_edited(post)
    db.session.commit()


def _set_anonymity(ctx: CourseContext, post: Post, anonymous: bool) -> None:
    """The author's choice on edit. While the course does not allow anonymity the form has no such box, and the
    post keeps what it had: an anonymous post is never unmasked by an edit the author did not mean that way."""
    if not ctx.course.allow_anonymous or anonymous == post.anonymous:
        return
    post.anonymous = anonymous
    if anonymous:
        _record_anonymity(ctx, post)
    else:
        record(ctx, "named:post", post, detail=f"{ctx.user.display_name} put their name on this post")


def delete_post(ctx: CourseContext, post: Post) -> None:
    """The author deletes their post. It is kept, marked deleted, so instructors still see it and its revisions."""
    if not ctx.may_edit_post(post):
        raise PostError("Only the author can delete this post.")
    post.deleted_at = utcnow()
    db.session.commit()


def add_comment(
    ctx: CourseContext,
    post: Post,
    body: str,
    *,
    parent: Comment | None = None,
    anonymous: bool = False,
    submission_key: str | None = None,
) -> Comment:
    """A comment on `post`, or a reply to `parent`; held for approval when the course's policy says so. The same
    form sent again (same submission key) returns the comment it created the first time."""
    ctx.require("comment:create")
    if (first := _already_sent(ctx, Comment, submission_key)) is not None:
        return first
    if not post.is_published:
        raise PostError("Comments open when the post is published.")
    if post.deleted_at is not None:
        raise PostError("This post was deleted.")
    if post.comments_locked:
        raise PostError("Comments on this post are closed.")
    if parent is not None and parent.post_id != post.id:
        raise PostError("That comment belongs to another post.")
    check_mentions(ctx, body)
    comment = Comment(
        course_id=ctx.course.id,
        post_id=post.id,
        author_id=ctx.user.id,
        parent_id=parent.id if parent is not None else None,
        depth=parent.depth + 1 if parent is not None else 1,
        body_md=body,
        body_html=body_html(body),
        visibility=initial_visibility(ctx),
        anonymous=bool(anonymous and ctx.course.allow_anonymous),
        submission_key=submission_key or None,
    )

    def before_commit():
        if comment.anonymous:
            _record_anonymity(ctx, comment)
        notifications.comment_published(ctx.course, comment)

    return _commit_once(ctx, comment, before_commit)


def edit_comment(ctx: CourseContext, comment: Comment, body: str) -> None:
    """The author edits their comment; it keeps its previous text as a revision and is marked edited. Saving the same
    text again changes nothing."""
    if not ctx.may_edit_comment(comment):
        raise PostError("Only the author can edit this comment.")
    check_mentions(ctx, body)
    if body == comment.body_md:
        return
    db.session.add(CommentRevision(comment_id=comment.id, editor_id=ctx.user.id, body_md=comment.body_md))
    comment.body_md = body
    comment.body_html = body_html(body)
    comment.edited_at = utcnow()
    notifications.item_edited(comment)
    db.session.commit()


def delete_comment(ctx: CourseContext, comment: Comment) -> None:
    """The author deletes their comment; if it has replies, a "comment deleted" placeholder keeps the thread whole."""
    if not ctx.may_edit_comment(comment):
        raise PostError("Only the author can delete this comment.")
    comment.deleted_at = utcnow()
    db.session.commit()
