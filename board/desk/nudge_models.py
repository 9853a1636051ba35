"""Nudges: a record of each reminder to respond, one per reading, student and day (the unique key refuses a second)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Post, User, UTCDateTime, utcnow


class Nudge(db.Model):
    """A reminder sent to `student` to respond to `reading` on `day` (UTC), by `sent_by`."""

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("reading_id", "student_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reading: Mapped[Post] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
