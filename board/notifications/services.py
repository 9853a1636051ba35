"""Who is told what: creating notifications (in the caller's transaction), watching, preferences, the email of one
notification, digests, and one-click unsubscribe.

Other areas call `notify()` or one of the event functions below before they commit; each email for "at once" is an
outbox row in that same transaction (board/outbox/), sent by the job queue once it has committed. Whether a person may be told is always decided through board/access.py, for that person,
when the notification is created and again when it is shown or emailed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, render_template, url_for
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from .. import access, mail, outbox, timezones
from ..access import CourseContext
from ..extensions import db
from ..markdown import excerpt as markdown_excerpt
from ..models import MAX_ID, Award, Comment, Course, Membership, Post, PostLike, User, Visibility, utcnow
from ..templating import author_name
from ..urls import links_context
from .models import Delivery, DigestSent, MentionNotice, Notification, NotificationPreference, Watch, WatchLevel
from .read_models import PostRead
from .unread import ReadState


@dataclass(frozen=True)
class Kind:
    label: str  # on the preferences page
    default: str  # a Delivery
    staff_only: bool = False
    batchable: bool = False  # about a thread's comments: may come as one email per thread per hour (Delivery.HOURLY)


KINDS: dict[str, Kind] = {
    "reply": Kind("Replies to your comments", Delivery.NOW, batchable=True),
    # A busy thread is one email an hour to its author, not one a comment (a student once got 42 in five minutes); a
    # reply to you or a mention still comes at once; other posts you watch come in the daily digest.
    "comment": Kind("Comments on your posts", Delivery.HOURLY, batchable=True),
    "mention": Kind("Mentions of you (@your name)", Delivery.NOW, batchable=True),
    "watched": Kind("Comments on other posts you watch", Delivery.DAILY, batchable=True),
    "reading": Kind("New readings", Delivery.NOW),
    "response": Kind("New responses to your readings", Delivery.OFF, staff_only=True),
    "award": Kind("Awards on your posts", Delivery.NOW),
    "moderation": Kind("Your held or hidden posts and comments", Delivery.NOW),
    "nudge": Kind("Reminders from your instructors", Delivery.NOW),
}
DELIVERIES = {
    Delivery.NOW: "Email at once",
    Delivery.HOURLY: "One email per thread, at most hourly",
    Delivery.DAILY: "Daily digest email",
    Delivery.WEEKLY: "Weekly digest email",
    Delivery.APP: "In Board only",
    Delivery.OFF: "Not at all",
}
UNREAD_SHOWN_UP_TO = 99  # the header says "99+" beyond this, so counting stops early
_UNSUBSCRIBE_SALT = "board-unsubscribe"
EMAIL_KIND = "notification_email"  # the outbox rows of "email at once" (board/notifications/tasks.py sends them)
DIGEST_KIND = "digest_email"  # the outbox rows of a digest, built when it is sent (notifications/tasks.py)
MENTIONS_KIND = "mention_fan_out"  # the outbox rows of an item whose mentions are to be told (notifications/tasks.py)
THREAD_BATCH_KIND = "thread_batch_email"  # one person's email of one thread's hour (notifications/batches.py)
BATCH_WINDOW = timedelta(hours=1)


# Creating notifications -----------------------------------------------------------------------------------------


def notify(
    course: Course,
    kind: str,
    recipient_ids,
    *,
    actor_id: int | None = None,
    post: Post | None = None,
    comment: Comment | None = None,
    detail: str = "",
    email: bool = True,
) -> list[Notification]:
    """Tell each of `recipient_ids` about `comment` or `post` in `course` (the caller commits); `email=False` for a
    caller that sends its own email (nudges, board/desk/nudges.py, which asks wants_email first).

    Skipped: the actor (nobody is told of their own actions), non-members, anyone who may not see the item now,
    anyone who muted its post, and anyone who turned `kind` off. Recipients who chose "email at once" get an outbox
    row each, in the caller's transaction: emailed once it commits, never if it rolls back. A few queries, however
    many recipients.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown notification kind {kind!r}")
    if comment is not None:
        post = comment.post
    if post is not None and post.id is None:
        db.session.flush()
    recipients = _recipients(course, kind, recipient_ids, actor_id, post, comment)
    return _create(course, kind, recipients, actor_id, post, comment, detail, email)


def _recipients(
    course: Course, kind: str, recipient_ids, actor_id: int | None, post: Post | None, comment: Comment | None
) -> dict[int, str | None]:
    """Who of `recipient_ids` is told (the rules of notify()), each with how its email goes now: Delivery.NOW (at
    once), Delivery.HOURLY (in their thread's batch), or None (a digest later, or no email)."""
    ids = {int(uid) for uid in recipient_ids} - {actor_id}
    contexts = access.member_contexts(course, ids)
    if not contexts:
        return {}
    if post is not None:
        muted = _muted(post, contexts)
        contexts = {uid: ctx for uid, ctx in contexts.items() if uid not in muted}
    deliveries = deliveries_of(course.id, kind, contexts)
    contexts = {
        uid: ctx
        for uid, ctx in contexts.items()
        if deliveries[uid] != Delivery.OFF and (ctx.is_staff or not KINDS[kind].staff_only)
    }
    return {
        uid: _email_now(deliveries[uid], post) if contexts[uid].user.email_notifications else None
        for uid in sorted(access.who_may_see(contexts, post, comment))
    }


def _email_now(delivery: str, post: Post | None) -> str | None:
    if delivery == Delivery.HOURLY:
        return Delivery.HOURLY if post is not None else Delivery.NOW  # no thread to batch by: at once
    return Delivery.NOW if delivery == Delivery.NOW else None


def _create(
    course: Course,
    kind: str,
    recipients: dict[int, str | None],
    actor_id: int | None,
    post: Post | None,
    comment: Comment | None,
    detail: str,
    email: bool,
) -> list[Notification]:
    now = utcnow()
    created = [
        Notification(
            created_at=now,
            user_id=uid,
            course_id=course.id,
            kind=kind,
            actor_id=actor_id,
            post_id=post.id if post is not None else None,
            comment_id=comment.id if comment is not None else None,
            detail=detail[:2000],
        )
        for uid in recipients
    ]
    if created:
        db.session.add_all(created)
        db.session.flush()
        for item in created:
            how = recipients[item.user_id] if email else None
            if how == Delivery.HOURLY:
                _batch_later(item.user_id, post.id, now)
            elif how == Delivery.NOW:
                # The Message-ID is chosen now, so a second attempt after a crash mid-send is the same message.
                payload = {"notification_id": item.id, "message_id": mail.new_message_id()}
                outbox.add(EMAIL_KIND, payload, key=f"notification:{item.id}")
    return created


def batch_window(when: datetime) -> tuple[datetime, datetime]:
    """The hour (UTC, on the hour) a batched notification created at `when` belongs to: [start, end)."""
    start = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return start, start + BATCH_WINDOW


def _batch_later(user_id: int, post_id: int, now: datetime) -> None:
    """The first batched notification of a person's thread in an hour adds its email (keyed by person, thread and
    hour, so the rest of the hour adds nothing), not due before the hour ends; the email lists what the hour brought
    and is built then, through the access rules of that moment (batches.email_thread_batch)."""
    start, end = batch_window(now)
    payload = {
        "user_id": user_id,
        "post_id": post_id,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "message_id": mail.new_message_id(),
    }
    outbox.add(THREAD_BATCH_KIND, payload, key=f"thread-batch:{user_id}:{post_id}:{start.isoformat()}", not_before=end)


def _muted(post: Post, user_ids) -> set[int]:
    return set(
        db.session.scalars(
            select(Watch.user_id).where(
                Watch.post_id == post.id, Watch.level == WatchLevel.MUTED, Watch.user_id.in_(set(user_ids))
            )
        )
    )


def wants_email(user: User, course_id: int, kind: str) -> bool:
    """Whether `user` takes email of `kind` in this course at all (the all-email switch, and not app-only or off)."""
    return user.email_notifications and deliveries_of(course_id, kind, {user.id})[user.id] not in (
        Delivery.APP,
        Delivery.OFF,
    )


def unsubscribe_url_for(user: User) -> str:
    """The absolute one-click unsubscribe link every email to `user` carries."""
    with links_context():
        return absolute(url_for("notifications.unsubscribe", token=unsubscribe_token(user)))


def deliveries_of(course_id: int, kind: str, user_ids) -> dict[int, str]:
    """Each person's delivery of `kind` in the course (their choice, else the kind's default)."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.course_id == course_id,
                NotificationPreference.kind == kind,
                NotificationPreference.user_id.in_(set(user_ids)),
            )
        ).all()
    )
    return {uid: chosen.get(uid, KINDS[kind].default) for uid in user_ids}


# The events other areas report ----------------------------------------------------------------------------------


_MENTION_START = re.compile(r"(?<![\w@])@")


def mentioned_ids(course: Course, text: str) -> set[int]:
    """The members of `course` named as "@Display Name" in `text` (the longest name that fits wins). Names are
    looked up by length, so the cost grows with the "@"s in the text, not with the members times the "@"s. There is
    no "@everyone": only a member's own name mentions them."""
    if "@" not in text:
        return set()
    names: dict[str, int] = {}
    for uid, name in db.session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == course.id)
        .order_by(User.id)
    ):
        key = name.lower().strip()
        if key:
            names.setdefault(key, uid)  # two members of the same name: the first
    lengths = sorted({len(key) for key in names}, reverse=True)
    lowered = text.lower()
    found = set()
    for match in _MENTION_START.finditer(lowered):
        start = match.end()
        for length in lengths:
            end = start + length
            if end > len(lowered) or (end < len(lowered) and _is_word(lowered[end])):
                continue
            uid = names.get(lowered[start:end])
            if uid is not None:
                found.add(uid)
                break
    return found


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def watcher_ids(post: Post) -> set[int]:
    """Who watches `post`: its author and everyone who commented on it, unless they chose otherwise, and anyone
    who chose to watch it."""
    levels = dict(db.session.execute(select(Watch.user_id, Watch.level).where(Watch.post_id == post.id)).all())
    commenters = set(
        db.session.scalars(
            select(Comment.author_id).where(Comment.post_id == post.id, Comment.deleted_at.is_(None)).distinct()
        )
    )
    implicit = {post.author_id} | commenters
    return {uid for uid in implicit if levels.get(uid, WatchLevel.WATCHING) == WatchLevel.WATCHING} | {
        uid for uid, level in levels.items() if level == WatchLevel.WATCHING
    }


def comment_published(course: Course, comment: Comment) -> None:
    """A comment the class can now see (new, or approved): tell the replied-to and the watchers now, and the
    mentioned through the queue (fan_out_mentions), each person once."""
    if comment.visibility != Visibility.VISIBLE or comment.deleted_at is not None:
        return
    post = comment.post
    # Whoever the mention fan-out will tell is told of the mention, not again as a reply or a watcher; someone named
    # who turned mentions off (or muted the post) is told as a replied-to author or a watcher all the same.
    told = _told_of_mention(course, mentioned_ids(course, comment.body_md), comment.author_id, post, comment)
    parent_author = comment.parent.author_id if comment.parent_id is not None else None
    watchers = watcher_ids(post)
    for kind, ids in (
        ("reply", {parent_author} - {None}),
        ("comment", {post.author_id} & watchers),
        ("watched", watchers),
    ):
        ids = ids - told
        notify(course, kind, ids, actor_id=comment.author_id, comment=comment)
        told |= ids
    _fan_out_later(comment)


def item_edited(item: Post | Comment) -> None:
    """A published post or comment was edited: whoever it names now and was never told of it is told (through the
    queue, fan_out_mentions). Edits of drafts, held or hidden items tell nobody (publishing or approval does)."""
    if _announced(item):
        _fan_out_later(item)


def post_published(course: Course, post: Post) -> None:
    """A post the class can now see (published, or approved): a new reading for every member, a new response for
    its reading's author, and "@name" mentions (through the queue)."""
    if not _announced(post):
        return
    mentioned = _told_of_mention(course, mentioned_ids(course, mention_text(post)), post.author_id, post, None)
    if post.is_reading:
        members = set(db.session.scalars(select(Membership.user_id).where(Membership.course_id == course.id)))
        notify(course, "reading", members - mentioned, actor_id=post.author_id, post=post)
    elif post.reading is not None:
        notify(course, "response", {post.reading.author_id} - mentioned, actor_id=post.author_id, post=post)
    _fan_out_later(post)


def _told_of_mention(course: Course, named: set[int], actor_id: int, post: Post, comment: Comment | None) -> set[int]:
    """Those of `named` whom the mention fan-out (fan_out_mentions) will tell: the same rules, asked now. A few
    queries for all of them; none when nobody is named."""
    return set(_recipients(course, "mention", named, actor_id, post, comment)) if named else set()


def mention_text(item: Post | Comment) -> str:
    """The text whose "@names" mention people: a comment's body; a post's body and discussion prompt."""
    return item.body_md if isinstance(item, Comment) else f"{item.body_md}\n{item.prompt}"


def _announced(item: Post | Comment) -> bool:
    """Whether the class has been told of `item`: published, visible and not deleted."""
    if item.visibility != Visibility.VISIBLE or item.deleted_at is not None:
        return False
    return not isinstance(item, Post) or item.is_published


def _fan_out_later(item: Post | Comment) -> None:
    # An outbox row in the caller's transaction: the worker runs fan_out_mentions once it commits (never if it rolls
    # back, and after a crash or an unreachable queue the outbox's sweep still does). Saved twice in one transaction,
    # the item gets two rows: the second tells nobody new (mention notices).
    if "@" in mention_text(item):
        kind = "comment" if isinstance(item, Comment) else "post"
        outbox.add(MENTIONS_KIND, {"item_kind": kind, "item_id": item.id})


def fan_out_mentions(item_kind: str, item_id: int) -> int:
    """Tell everyone a post or comment names (item_kind "post" or "comment") who may see it now and was never told
    of a mention in it; how many were told. Run by the outbox (in its row's transaction) after each save that publishes, approves
    or edits the item, so it checks everything again: an item since deleted, hidden or unnamed tells nobody.

    Each person told gets a MentionNotice in the same transaction as their notification, inserted only where none
    exists (INSERT … ON CONFLICT DO NOTHING RETURNING): however often the item is edited, and even when two
    fan-outs of it run at once, each person is told of it (and emailed) once, ever. A few queries for any number
    of people."""
    model = {"post": Post, "comment": Comment}[item_kind]
    item = db.session.get(model, item_id)
    if item is None or not _announced(item):
        return 0
    course = db.session.get(Course, item.course_id)
    post, comment = (item, None) if isinstance(item, Post) else (item.post, item)
    named = mentioned_ids(course, mention_text(item))
    recipients = _recipients(course, "mention", named, item.author_id, post, comment)
    claimed = _claim_mentions(item_kind, item_id, recipients)
    told = {uid: now for uid, now in recipients.items() if uid in claimed}
    _create(course, "mention", told, item.author_id, post, comment, detail="", email=True)
    return len(claimed)


_CLAIM_BATCH = 500  # rows per INSERT: well under SQLite's 32,766 bound parameters


def _claim_mentions(item_kind: str, item_id: int, user_ids) -> set[int]:
    """Record that these people are told of their mention in the item; those who already were are left out."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    column = "post_id" if item_kind == "post" else "comment_id"
    ids, claimed, now = sorted(user_ids), set(), utcnow()
    for start in range(0, len(ids), _CLAIM_BATCH):
        rows = [{"user_id": uid, column: item_id, "created_at": now} for uid in ids[start : start + _CLAIM_BATCH]]
        statement = insert(MentionNotice).values(rows).on_conflict_do_nothing().returning(MentionNotice.user_id)
        claimed.update(db.session.scalars(statement))
    return claimed


def moderated(ctx: CourseContext, target: Post | Comment, outcome: str) -> None:
    """A moderator approved or hid `target`: its author is told; an approved item is then announced as new."""
    post, comment = (target, None) if isinstance(target, Post) else (None, target)
    notify(
        ctx.course, "moderation", {target.author_id}, actor_id=ctx.user.id, post=post, comment=comment, detail=outcome
    )
    if outcome == "approved":
        if comment is not None:
            comment_published(ctx.course, comment)
        else:
            post_published(ctx.course, post)


def award_given(ctx: CourseContext, award: Award) -> None:
    """The author of an awarded post or comment is told (by the award's name; the giver is staff, whose names are no
    secret)."""
    if award.comment is not None:
        target, post, comment = award.comment, award.comment.post, award.comment
    else:
        target, post, comment = award.post, award.post, None
    notify(
        ctx.course,
        "award",
        {target.author_id},
        actor_id=ctx.user.id,
        post=post,
        comment=comment,
        detail=award.award_type.name,
    )


# Watching ------------------------------------------------------------------------------------------------------


def watch_level(ctx: CourseContext, post: Post) -> str:
    """The viewer's level for `post`: their choice, else watching when they wrote or commented on it (one query)."""
    return viewer_state(ctx, post)[0]


@functools.cache
def _viewer_state_statement():
    """viewer_state's query for `post_id` and `viewer_id` (built once)."""
    post, viewer = bindparam("post_id"), bindparam("viewer_id")
    chosen = select(Watch.level).where(Watch.post_id == post, Watch.user_id == viewer).scalar_subquery()
    commented = (
        select(Comment.id).where(Comment.post_id == post, Comment.author_id == viewer, Comment.deleted_at.is_(None))
    ).exists()
    read = (PostRead.post_id == post, PostRead.user_id == viewer)
    has_read = select(PostRead.post_id).where(*read).exists()
    last_read = select(PostRead.last_comment_id).where(*read).scalar_subquery()
    likes = select(func.count()).select_from(PostLike).where(PostLike.post_id == post).scalar_subquery()
    liked = select(PostLike.post_id).where(PostLike.post_id == post, PostLike.user_id == viewer).exists()
    return select(chosen, commented, has_read, last_read, likes, liked)


def viewer_state(ctx: CourseContext, post: Post, *extra) -> tuple[str, ReadState, tuple[int, bool], tuple]:
    """The viewer's watch level of `post`, their read row for it, and its likes (how many, and whether one is
    theirs), in one query: the post page needs all three. Scalar columns in `extra` (the desk's checkpoint counts)
    ride along, and their values come back last."""
    statement = _viewer_state_statement()
    if extra:
        statement = statement.add_columns(*extra)
    level, has_commented, has_row, last, like_count, has_liked, *more = db.session.execute(
        statement, {"post_id": post.id, "viewer_id": ctx.user.id}
    ).one()
    if not level:
        level = WatchLevel.WATCHING if has_commented or post.author_id == ctx.user.id else WatchLevel.NORMAL
    return (
        level,
        ReadState(has_row=bool(has_row), last_comment_id=last),
        (like_count or 0, bool(has_liked)),
        tuple(more),
    )


def set_watch_level(ctx: CourseContext, post: Post, level: str) -> None:
    """Watch, stop watching or mute `post`."""
    if level not in (WatchLevel.WATCHING, WatchLevel.NORMAL, WatchLevel.MUTED):
        raise ValueError(level)
    row = db.session.scalar(select(Watch).where(Watch.post_id == post.id, Watch.user_id == ctx.user.id))
    if row is None:
        db.session.add(Watch(post_id=post.id, user_id=ctx.user.id, level=level))
    else:
        row.level = level
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same choice sent twice at once: the other request stored it
        set_watch_level(ctx, post, level)


# Preferences ---------------------------------------------------------------------------------------------------


def kinds_for(ctx: CourseContext) -> list[str]:
    """The kinds a member of this role can receive, in the preferences page's order."""
    return [kind for kind, info in KINDS.items() if ctx.is_staff or not info.staff_only]


def deliveries_for(kind: str) -> dict[str, str]:
    """The ways `kind` may come, with their labels: one email per thread only for kinds about a thread's comments."""
    return {d: label for d, label in DELIVERIES.items() if d != Delivery.HOURLY or KINDS[kind].batchable}


def preferences(ctx: CourseContext) -> dict[str, str]:
    """The viewer's delivery of each kind in this course."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == ctx.user.id, NotificationPreference.course_id == ctx.course.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, KINDS[kind].default) for kind in kinds_for(ctx)}


def save_preferences(ctx: CourseContext, choices: dict[str, str], email_on: bool) -> None:
    """Store the viewer's choice for each kind in this course, and their one switch for all email."""
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id == ctx.user.id, NotificationPreference.course_id == ctx.course.id
            )
        )
    }
    for kind in kinds_for(ctx):
        delivery = choices.get(kind)
        if delivery not in deliveries_for(kind):
            continue
        if kind in rows:
            rows[kind].delivery = delivery
        else:
            db.session.add(
                NotificationPreference(user_id=ctx.user.id, course_id=ctx.course.id, kind=kind, delivery=delivery)
            )
    ctx.user.email_notifications = bool(email_on)
    db.session.commit()


# Reading notifications -----------------------------------------------------------------------------------------


@dataclass
class Shown:
    """A notification as its recipient may see it now; `visible` False means its item is gone for them."""

    notification: Notification
    visible: bool
    text: str = "This is no longer available."
    excerpt: str = ""
    path: str | None = None
    course_name: str = ""
    who: str = ""  # the actor's name as the reader may see it (a batched email lists comments by it)


def unread_count_of(user_id: int):
    """The count of `user_id`'s unread notifications, up to UNREAD_SHOWN_UP_TO + 1, as a scalar subquery: the user
    loader selects it with the signed-in user (board/auth/sessions.py), so the header's count costs no query."""
    unread = (
        select(Notification.id)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_SHOWN_UP_TO + 1)
        .subquery()
    )
    return select(func.count()).select_from(unread).scalar_subquery()


def unread_count(user: User) -> int:
    """How many unread notifications `user` has (as loaded with the user for this request, else one cheap query)."""
    if user.unread_notifications is not None:
        return user.unread_notifications
    return db.session.scalar(select(unread_count_of(user.id))) or 0


def notifications_of(user: User):
    """A select() of `user`'s notifications with what showing them needs, for the page to paginate."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            # The post's and the comment's authors by a plain LEFT JOIN each, not the models' inner join nested in
            # the outer one: SQLite built that nested "comments JOIN users" whole before using it (every comment in
            # the database, seconds at a million; tests/test_explain.py).
            joinedload(Notification.post).joinedload(Post.author, innerjoin=False),
            joinedload(Notification.comment).joinedload(Comment.author, innerjoin=False),
            joinedload(Notification.actor),
            joinedload(Notification.course),
        )
    )


def present(user: User, notifications: list[Notification]) -> list[Shown]:
    """Each notification as `user` may see it now: two queries per course among them, whatever their number."""
    course_ids = {n.course_id for n in notifications}
    contexts = {}
    if course_ids:
        for membership, course in db.session.execute(
            select(Membership, Course)
            .join(Course, Course.id == Membership.course_id)
            .where(Membership.user_id == user.id, Membership.course_id.in_(course_ids))
        ).all():
            contexts[course.id] = CourseContext(course=course, membership=membership, user=user)
    visible: dict[int, tuple[set[int], set[int]]] = {}
    for course_id, ctx in contexts.items():
        mine = [n for n in notifications if n.course_id == course_id]
        visible[course_id] = access.visible_items(
            ctx,
            {n.post_id for n in mine if n.post_id and not n.comment_id},
            {n.comment_id for n in mine if n.comment_id},
        )
    return [_shown(n, contexts.get(n.course_id), visible.get(n.course_id, (set(), set()))) for n in notifications]


def _shown(n: Notification, ctx: CourseContext | None, visible: tuple[set[int], set[int]]) -> Shown:
    if ctx is None:
        return Shown(n, False)
    posts, comments = visible
    course_name = ctx.course.code or ctx.course.title
    if (n.comment_id and n.comment_id not in comments) or (n.post_id and not n.comment_id and n.post_id not in posts):
        return Shown(n, False, course_name=course_name)
    item = n.comment or n.post
    title = f"“{n.post.title}”" if n.post is not None else ""
    name = author_name(ctx, item) if item is not None else ""
    kind_word = "comment" if n.comment_id else "post"
    texts = {
        "reply": f"{name} replied to your comment on {title}",
        "comment": f"{name} commented on your post {title}",
        "watched": f"{name} commented on {title}",
        "mention": f"{name} mentioned you in {'a comment on ' if n.comment_id else ''}{title}",
        "reading": f"New reading: {title}",
        "response": f"{name} responded to a reading of yours: {title}",
        "award": f"Your post {title} received the award “{n.detail}”",
        "moderation": f"Your {kind_word} on {title} was {n.detail}"
        if n.comment_id
        else f"Your post {title} was {n.detail}",
        "nudge": f"Reminder: {n.detail}" + (f" ({title})" if title else ""),
    }
    excerpt = ""
    if n.comment is not None:
        excerpt = markdown_excerpt(n.comment.body_html)
    if n.kind == "moderation" and n.detail == "hidden" and item is not None and item.hidden_reason:
        excerpt = f"Reason: {item.hidden_reason}"
    if n.post_id is not None:
        anchor = f"comment-{n.comment_id}" if n.comment_id else None
        path = url_for("posts.show", slug=ctx.course.slug, post_id=n.post_id, _anchor=anchor)
    else:
        path = url_for("courses.home", slug=ctx.course.slug)  # a reminder about the course as a whole
    return Shown(n, True, texts.get(n.kind, n.detail), excerpt, path, course_name, who=name)


def open_notification(user: User, notification_id: int) -> Shown | None:
    """Mark one of `user`'s notifications read; what it points at as they may see it now (None: not theirs)."""
    n = db.session.scalar(notifications_of(user).where(Notification.id == notification_id))
    if n is None:
        return None
    shown = present(user, [n])[0]
    if n.read_at is None:
        n.read_at = utcnow()
        db.session.commit()
    return shown


def mark_all_read(user: User) -> None:
    """Every notification of `user` read: the count is zero afterwards, whatever they could or could not open."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


# Email ---------------------------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    """A path of this site as a link in an email: BASE_URL, never the Host header a request came with."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def unsubscribe_token(user: User) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).dumps({"user": user.id})


def user_for_unsubscribe(token: str) -> User | None:
    """The account a signed unsubscribe token names; None when it is forged or names nobody."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadData:
        return None
    user_id = data.get("user") if isinstance(data, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(User, user_id)


def unsubscribe(user: User) -> None:
    """Turn off all notification email for `user`, at once."""
    user.email_notifications = False
    db.session.commit()


def compose(user: User, subject: str, template: str, items: list[Shown], **context) -> dict:
    """The email to `user` from templates/email/<template>, as board/mail.py's arguments. Its times read in the
    recipient's zone (`time_zone`: theirs, else the first item's course's, else UTC), as a job has no request."""
    unsubscribe_url = absolute(url_for("notifications.unsubscribe", token=unsubscribe_token(user)))
    if "time_zone" not in context:
        context["time_zone"] = timezones.zone_name(user, items[0].notification.course if items else None)
    context.update(
        user=user,
        items=items,
        absolute=absolute,
        unsubscribe_url=unsubscribe_url,
        settings_url=absolute(url_for("notifications.index")),
    )
    return {
        "to": (user.display_name, user.email),
        "subject": subject,
        "text": render_template(f"email/{template}.txt", **context),
        "html": render_template(f"email/{template}.html", subject=subject, **context),
        "unsubscribe_url": unsubscribe_url,
        "headers": {"X-Board-Kind": template},
    }


def email_notification(notification_id: int, message_id: str | None = None) -> bool:
    """Email one notification at once (with `message_id`, chosen when it was created), if it is still unread, its
    recipient still wants it so and may still see it (checked now, at send time); whether it was sent. Run by the
    outbox (board/notifications/tasks.py)."""
    n = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .options(
            joinedload(Notification.user),
            joinedload(Notification.post).joinedload(Post.author, innerjoin=False),  # see notifications_of
            joinedload(Notification.comment).joinedload(Comment.author, innerjoin=False),
        )
    )
    if n is None or n.read_at is not None or not n.user.email_notifications:
        return False
    delivery = deliveries_of(n.course_id, n.kind, {n.user_id})[n.user_id]
    if _email_now(delivery, n.post) != Delivery.NOW:  # (batched, and with no thread to batch by: at once)
        return False
    with links_context():
        shown = present(n.user, [n])[0]
        if not shown.visible:
            return False
        message = compose(n.user, f"{shown.course_name}: {shown.text}", "notification", [shown])
    mail.send_message(**message, message_id=message_id)
    return True


def period(frequency: str, now: datetime) -> tuple[datetime, datetime]:
    """The last whole day (UTC) or week (Monday to Monday, UTC) before `now`."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Delivery.DAILY:
        return midnight - timedelta(days=1), midnight
    if frequency == Delivery.WEEKLY:
        end = midnight - timedelta(days=midnight.weekday())
        return end - timedelta(days=7), end
    raise ValueError(frequency)


def digest_candidates(frequency: str, start: datetime, end: datetime) -> list[int]:
    """People with unread notifications from the period and email on (their choices are checked per person)."""
    return list(
        db.session.scalars(
            select(Notification.user_id)
            .join(User, User.id == Notification.user_id)
            .where(Notification.created_at >= start, Notification.created_at < end, Notification.read_at.is_(None))
            .where(User.email_notifications.is_(True))
            .distinct()
            .order_by(Notification.user_id)
        )
    )


def digest_items(user: User, frequency: str, start: datetime, end: datetime) -> list[Shown]:
    """What `user`'s digest for the period holds: unread notifications of kinds they get in this digest, that they
    may still see now."""
    notifications = list(
        db.session.scalars(
            notifications_of(user)
            .where(Notification.created_at >= start, Notification.created_at < end, Notification.read_at.is_(None))
            .order_by(Notification.created_at, Notification.id)
        ).unique()
    )
    wanted = []
    deliveries: dict[tuple[int, str], str] = {}
    for n in notifications:
        key = (n.course_id, n.kind)
        if key not in deliveries:
            deliveries[key] = deliveries_of(n.course_id, n.kind, {user.id})[user.id]
        if deliveries[key] == frequency:
            wanted.append(n)
    return [shown for shown in present(user, wanted) if shown.visible]


def send_digests(frequency: str, now: datetime | None = None) -> int:
    """Queue the digests of the last whole period for everyone who has something in theirs; how many were queued.

    Each person's digest is claimed (a DigestSent row) and a DIGEST_KIND row put in the outbox in one transaction, so
    two workers running this at once send each digest once, and a crash after the claim cannot lose it. The email
    itself is built when the outbox sends it (email_digest), so whatever was hidden or read meanwhile is left out.
    """
    start, end = period(frequency, now or utcnow())
    sent = 0
    for user_id in digest_candidates(frequency, start, end):
        user = db.session.get(User, user_id)
        if user is None or not user.email_notifications:
            continue
        with links_context():
            items = digest_items(user, frequency, start, end)
        if not items:
            continue
        db.session.add(
            DigestSent(user_id=user.id, frequency=frequency, period_start=start, notification_count=len(items))
        )
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # another worker claimed it first, and sends it
            continue
        payload = {
            "user_id": user.id,
            "frequency": frequency,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            # Chosen now, so a second attempt after a crash mid-send is the same message.
            "message_id": mail.new_message_id(),
        }
        outbox.add(DIGEST_KIND, payload, key=f"digest:{user.id}:{frequency}:{start.isoformat()}")
        db.session.commit()
        sent += 1
    return sent


def email_digest(user_id: int, frequency: str, start: datetime, end: datetime, message_id: str | None = None) -> bool:
    """Email `user_id`'s digest of the period (claimed by send_digests), built now, at send time: what they have
    read, may no longer see, or no longer take in this digest is left out, and nothing is sent when nothing is left,
    or when they turned email off meanwhile; whether it was sent. Run by the outbox (board/notifications/tasks.py)."""
    user = db.session.get(User, user_id)
    if user is None or not user.email_notifications:
        return False
    with links_context():
        items = digest_items(user, frequency, start, end)
        if not items:
            return False
        word = "Daily" if frequency == Delivery.DAILY else "Weekly"
        noun = "thing" if len(items) == 1 else "things"
        subject = f"{word} digest from Board: {len(items)} new {noun}"
        message = compose(user, subject, "digest", items, frequency=word.lower())
    mail.send_message(**message, message_id=message_id)
    return True


def seed_notifications(course: Course) -> None:
    """The demo's history of replies and comments as notifications (in the app only: nobody is emailed)."""
    parent = aliased(Comment)
    rows = db.session.execute(
        select(Comment, Post.author_id, parent.author_id)
        .join(Post, Post.id == Comment.post_id)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(Comment.course_id == course.id, Comment.visibility == Visibility.VISIBLE)
    ).all()
    for comment, post_author, parent_author in rows:
        recipient, kind = (parent_author, "reply") if parent_author is not None else (post_author, "comment")
        if recipient != comment.author_id:
            db.session.add(
                Notification(
                    user_id=recipient,
                    course_id=course.id,
                    kind=kind,
                    actor_id=comment.author_id,
                    post_id=comment.post_id,
                    comment_id=comment.id,
                    created_at=comment.created_at,
                )
            )
