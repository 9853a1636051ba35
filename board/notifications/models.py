"""Notifications, watching, per-course email preferences, and the record of digests sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Comment, Course, Post, User, UTCDateTime, utcnow


class Notification(db.Model):
    """One thing one person is told about: a row per recipient, pointing at the post or comment it concerns.

    Nothing about the item is copied here: names, titles and text are read when the notification is shown or
    emailed, through the access rules of that moment.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The notifications page walks a person's list newest first; the header counts their unread ones.
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        # Digests find the period's notifications.
        Index("ix_notifications_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    # A short plain-text detail the kind needs (an award's name, "approved" or "hidden", a reminder's text).
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    course: Mapped[Course] = relationship()
    post: Mapped[Post | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class MentionNotice(db.Model):
    """One person told of their mention in one post or comment, ever. Inserted in the transaction that creates their
    notification, and only where none exists (unique per item and person): an edit that names them again, or a
    second fan-out of the same item at the same moment, tells them nothing more."""

    __tablename__ = "mention_notices"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id"),
        UniqueConstraint("comment_id", "user_id"),
        # A mention is in a post or in a comment: exactly one of the two is set (a NULL never conflicts).
        CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WatchLevel:
    WATCHING = "watching"
    NORMAL = "normal"  # not watching: told only of replies to you, mentions and things about your own work
    MUTED = "muted"  # told nothing about this post


class Watch(db.Model):
    """A person's explicit choice for one post. Without a row, they watch the posts they wrote or commented on."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("user_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery:
    NOW = "now"  # an email at once
    HOURLY = "hourly"  # one email per thread per hour, listing what came in that hour (services.THREAD_BATCH_KIND)
    DAILY = "daily"
    WEEKLY = "weekly"
    APP = "app"  # in the app only
    OFF = "off"  # not at all


class NotificationPreference(db.Model):
    """How one person wants one kind of notification in one course; without a row, the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[str] = mapped_column(String(16))


class DigestSent(db.Model):
    """A digest claimed for one person and period. Inserted (and committed) before the email is queued: a second
    worker running the same period hits the unique constraint and sends nothing."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("user_id", "frequency", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    notification_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
