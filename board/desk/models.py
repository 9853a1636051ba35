"""Grades: one row per student and reading, written by instructors and assistants, released per reading."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Post, User, UTCDateTime, utcnow


class Grade(db.Model):
    """A student's points and feedback for one reading; `version` refuses a save made over a newer one."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("reading_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[float | None] = mapped_column(Float)
    feedback_md: Mapped[str] = mapped_column(Text, default="")
    feedback_html: Mapped[str] = mapped_column(Text, default="")
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reading: Mapped[Post] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    grader: Mapped[User] = relationship(foreign_keys=[grader_id])
