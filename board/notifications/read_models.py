"""Read state: one row per person and post, the highest comment id they were shown there (see unread.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class PostRead(db.Model):
    """The person has opened the post and seen its comments up to `last_comment_id` (0: none). Written only by POST:
    the page's beacon or its "Mark as read" button; never moves back."""

    __tablename__ = "post_reads"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_comment_id: Mapped[int] = mapped_column(default=0, server_default="0")
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
