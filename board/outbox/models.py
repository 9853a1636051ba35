"""The outbox table: one row per side effect (an email) written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class OutboxItem(db.Model):
    """Work to do once its transaction has committed: `kind` names the handler, `payload` is what it is given.

    Pending while neither `done_at` nor `given_up_at` is set; due when `next_attempt_at` has passed and no worker
    holds it (`claimed_until`, a lease, is unset or past)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The delivery's question, "pending and due, oldest first", and the clean-up's, "done long ago".
        Index("ix_outbox_pending", "done_at", "given_up_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    # Optional: a second row with the same key is never added (the caller's idempotency key).
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
