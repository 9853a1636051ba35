"""The database models: users, courses and memberships, posts (readings and responses), comments, likes,
awards, reports, revisions and the audit log. Rules about who may do what live in permissions.py and access.py."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, WriteOnlyMapped, mapped_column, relationship

from .extensions import db

MAX_ID = 2**63 - 1  # the largest id any supported database stores; larger numbers in requests are simply unknown


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone, so it is put back on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Role(enum.StrEnum):
    INSTRUCTOR = "instructor"
    ASSISTANT = "assistant"
    STUDENT = "student"


class PostKind(enum.StrEnum):
    READING = "reading"
    RESPONSE = "response"


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Visibility(enum.StrEnum):
    """Moderation state of a post or comment."""

    VISIBLE = "visible"
    HELD = "held"
    HIDDEN = "hidden"


class ModerationPolicy(enum.StrEnum):
    """When students' comments and responses wait for approval."""

    OPEN = "open"
    FIRST = "first"
    ALL = "all"


class LikePolicy(enum.StrEnum):
    EVERYONE = "everyone"
    STAFF = "staff"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # None means the account must set its password through a reset (e.g. created by a course import).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one switch for all notification email (board/notifications/); unsubscribe links turn it off.
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The random secret behind this person's private feed links (board/feeds/tokens.py); None while feeds are off.
    feed_secret: Mapped[str | None] = mapped_column(String(64))
    # An IANA zone name (board/timezones.py): asked once from the browser, editable on the account page. None: the
    # course's zone where there is one, else UTC.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    memberships: WriteOnlyMapped[Membership] = relationship(back_populates="user", passive_deletes=True)
    sessions: WriteOnlyMapped[UserSession] = relationship(back_populates="user", passive_deletes=True)

    # The signed-in session this object was loaded for (board/auth/sessions.py sets both); never stored here.
    session_token = None
    session_id = None
    # Unread notifications, counted by the same query that loads the signed-in user (the header shows it).
    unread_notifications = None

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and remember-me cookies: the user and its session's token."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """One signed-in browser: logging out deletes it, and so ends that session and its remember-me cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random secret the browser holds in its session (never the secret itself).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40), default="")
    term: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    student_join_code: Mapped[str] = mapped_column(String(32), unique=True)
    assistant_join_code: Mapped[str] = mapped_column(String(32), unique=True)
    # Settings.
    allow_free_posts: Mapped[bool] = mapped_column(Boolean, default=False)
    moderation_policy: Mapped[str] = mapped_column(String(16), default=ModerationPolicy.OPEN)
    like_policy: Mapped[str] = mapped_column(String(16), default=LikePolicy.EVERYONE)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # The zone of members who have none of their own (board/timezones.py); set on the course's settings page.
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York", server_default="America/New_York")
    # The term's first and last days (both optional): the participation chart covers them when set.
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # Upload quotas the site admin set for this course (board/admin/); None: the site's (UPLOADS_*_QUOTA_MB).
    upload_person_quota_mb: Mapped[int | None] = mapped_column(Integer)
    upload_course_quota_mb: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: WriteOnlyMapped[Membership] = relationship(back_populates="course", passive_deletes=True)
    posts: WriteOnlyMapped[Post] = relationship(back_populates="course", passive_deletes=True)
    award_types: WriteOnlyMapped[AwardType] = relationship(back_populates="course", passive_deletes=True)

    SETTINGS = ("allow_free_posts", "moderation_policy", "like_policy", "allow_anonymous", "time_zone")
    DATES = ("starts_on", "ends_on")

    def settings(self) -> dict:
        """The course's settings as a plain dict (used by export and the settings form)."""
        return {name: getattr(self, name) for name in self.SETTINGS}


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # Staff may hold one member's new posts and comments for approval, whatever the course's policy.
    hold_contributions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # "Mark all read" (board/notifications/unread.py): the course's comments up to this id, and its posts published
    # up to this time, are read for this member, so marking a course of thousands of posts read is one write.
    read_comment_id: Mapped[int] = mapped_column(default=0, server_default="0")
    read_posts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_staff(self) -> bool:
        """Instructors and assistants: they moderate, award and see names behind anonymity."""
        return self.role in (Role.INSTRUCTOR, Role.ASSISTANT)


class Post(db.Model):
    """A reading (by staff) or a response (by a student; with no reading it is a free course-blog post)."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_course_kind_created", "course_id", "kind", "created_at"),
        # Newest-first lists stop after N rows by walking these (latest responses, a reading's, a person's).
        Index("ix_posts_course_kind_published", "course_id", "kind", "published_at", "id"),
        Index("ix_posts_reading_published", "reading_id", "published_at", "id"),
        Index("ix_posts_author_published", "author_id", "published_at", "id"),
        # The few readings behind "post before you see": the access rule looks them up for every response it checks.
        Index(
            "ix_posts_gated_readings",
            "id",
            postgresql_where=text("responses_hidden_until_posted"),
            sqlite_where=text("responses_hidden_until_posted"),
        ),
        UniqueConstraint("author_id", "submission_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # Deleting a reading keeps its responses (as free posts) rather than destroying students' work.
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    # Reading-only fields.
    source: Mapped[str] = mapped_column(Text, default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    prompt_html: Mapped[str] = mapped_column(Text, default="")
    week: Mapped[str] = mapped_column(String(60), default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    responses_hidden_until_posted: Mapped[bool] = mapped_column(Boolean, default=False)
    unlock_min_words: Mapped[int] = mapped_column(Integer, default=0)
    # Reading-only checkpoints and grading (board/desk/): a second due date for `required_replies` comments on
    # classmates' responses, the points a response is graded out of, and when grades were released to students.
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    required_replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_points: Mapped[float | None] = mapped_column(Float)
    grades_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # State.
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.DRAFT)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.VISIBLE)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    comments_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its visible, undeleted comments (what every member may read), kept by _recount_comments on every flush that
    # touches a comment: counting a long thread for each row of a list would cost more than keeping the number.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Responses are soft-deleted so an unlocking response's deletion stays visible to instructors.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The random key of the form that created it: a double click or a resent form creates nothing twice.
    submission_key: Mapped[str | None] = mapped_column(String(64))

    course: Mapped[Course] = relationship(back_populates="posts")
    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    reading: Mapped[Post | None] = relationship(remote_side=[id])
    comments: WriteOnlyMapped[Comment] = relationship(back_populates="post", passive_deletes=True)
    awards: Mapped[list[Award]] = relationship(
        back_populates="post", order_by="Award.created_at", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_reading(self) -> bool:
        return self.kind == PostKind.READING

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED

    def is_late(self) -> bool:
        """True for a response published after its reading's due date."""
        due = self.reading.due_at if self.reading is not None else None
        return bool(due and self.published_at and self.published_at > due)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        # Holds every column a post's comment count filters on, so counting reads the index alone.
        Index("ix_comments_post_counted", "post_id", "deleted_at", "visibility", "author_id"),
        # "Recent comments" walks this newest first and stops after N; the queue finds held comments by the other.
        Index("ix_comments_course_created", "course_id", "created_at", "id"),
        Index("ix_comments_course_visibility", "course_id", "visibility", "created_at"),
        Index("ix_comments_author_created", "author_id", "created_at", "id"),
        # What is new to a reader: a post's or a course's comments after the last one they read (unread.py).
        Index("ix_comments_post_after", "post_id", "id"),
        Index("ix_comments_course_after", "course_id", "id"),
        UniqueConstraint("author_id", "submission_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=1)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.VISIBLE)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A deleted comment with replies stays as a "comment deleted" placeholder so the thread stays whole.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The random key of the form that created it: a double click or a resent form creates nothing twice.
    submission_key: Mapped[str | None] = mapped_column(String(64))

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    parent: Mapped[Comment | None] = relationship(remote_side=[id])


class PostLike(db.Model):
    __tablename__ = "post_likes"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class CommentLike(db.Model):
    __tablename__ = "comment_likes"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


BADGES = ("star", "trophy", "medal", "ribbon", "lightbulb", "heart")


class AwardType(db.Model):
    __tablename__ = "award_types"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    badge: Mapped[str] = mapped_column(String(16), default="star")
    # At most this many awards of the type among one reading's responses and their comments (None: no limit).
    per_reading_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="award_types")


class Award(db.Model):
    """An award on a post or (with post_id empty) on a comment: exactly one of the two is set."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("post_id", "award_type_id"),
        UniqueConstraint("comment_id", "award_type_id"),
        CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    award_type_id: Mapped[int] = mapped_column(ForeignKey("award_types.id", ondelete="CASCADE"), index=True)
    given_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post | None] = relationship(back_populates="awards")
    comment: Mapped[Comment | None] = relationship()
    award_type: Mapped[AwardType] = relationship(lazy="joined", innerjoin=True)
    given_by: Mapped[User] = relationship()


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("reporter_id", "post_id"),
        UniqueConstraint("reporter_id", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(String(16), default="")

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    post: Mapped[Post | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class PostRevision(db.Model):
    """The previous version of a post, kept at each edit."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommentRevision(db.Model):
    """The previous text of a comment, kept at each edit; seen by its author and staff only, and gone with it."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """One moderation action or award: who did what to which object, when and why."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_course_created", "course_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship(lazy="joined", innerjoin=True)


def recount_comments(connection, post_ids) -> None:
    """Set posts.comment_count of `post_ids` from their comments (for code that writes comments without the ORM)."""
    comments = Comment.__table__
    posts = Post.__table__
    counted = (
        select(func.count())
        .select_from(comments)
        .where(comments.c.post_id == posts.c.id)
        .where(comments.c.deleted_at.is_(None))
        .where(comments.c.visibility == Visibility.VISIBLE)
        .scalar_subquery()
    )
    ids = sorted(post_ids)
    # Lock the posts first (in id order, so two writers cannot deadlock), then count in a new statement: under READ
    # COMMITTED that statement sees whatever another writer committed while we waited, so a comment hidden or added
    # meanwhile is neither kept nor lost. Counting inside the UPDATE would use the snapshot from before the wait.
    # The lock is FOR NO KEY UPDATE (key_share=True), the very lock the UPDATE below takes, and not FOR UPDATE: this
    # runs after the comment's INSERT, which has already taken FOR KEY SHARE on its post (the foreign key's check),
    # as has every other transaction inserting a comment, a like or a notification on that post. FOR UPDATE waits
    # for all those share locks, and theirs for ours: two comments on one post deadlocked. FOR NO KEY UPDATE does not
    # conflict with FOR KEY SHARE, only with itself, so writers of one post queue here, in order, and no lock is
    # upgraded. (SQLite has no row locks and renders neither: its writers queue for the database's write lock.)
    connection.execute(
        select(posts.c.id).where(posts.c.id.in_(ids)).order_by(posts.c.id).with_for_update(key_share=True)
    )
    connection.execute(posts.update().where(posts.c.id.in_(ids)).values(comment_count=counted))


_TOUCHED_POSTS = "board_comments_touched"


@event.listens_for(Session, "after_flush")
def _note_touched_posts(session, flush_context) -> None:
    """Note the posts whose comments a flush added, changed or deleted (services, imports, seeding): their counts are
    set when the transaction commits (_recount_comments)."""
    touched = {
        item.post_id
        for item in (*session.new, *session.dirty, *session.deleted)
        if isinstance(item, Comment) and item.post_id is not None
    }
    if touched:
        session.info.setdefault(_TOUCHED_POSTS, set()).update(touched)


@event.listens_for(Session, "before_commit")
def _recount_comments(session) -> None:
    """Keep posts.comment_count right whatever changed the comments, just before COMMIT. Counting at the flush locked
    the post from the comment's INSERT to COMMIT, across everything the request did in between (notifying the
    thread's watchers, say), so a class commenting on one post at once went one at a time through all of it; now the
    lock covers the count and COMMIT. (Commit flushes what is pending after this hook, so
    it flushes first, to note it.)"""
    session.flush()
    touched = session.info.pop(_TOUCHED_POSTS, None)
    if not touched:
        return
    recount_comments(session.connection(), touched)
    for item in list(session.identity_map.values()):
        if isinstance(item, Post) and item.id in touched:
            session.expire(item, ["comment_count"])  # read again if used before COMMIT expires everything


@event.listens_for(Session, "after_rollback")
def _forget_touched_posts(session) -> None:
    session.info.pop(_TOUCHED_POSTS, None)
