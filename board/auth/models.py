"""Registrations waiting for their address to be proved: the emailed link's token is kept only as a digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class PendingRegistration(db.Model):
    """Someone asked to register `email`; whoever follows the link before `expires_at` chooses the name and password.

    Nothing here is secret from the database: `token_hash` is SHA-256 of the link's random token, which only the
    address's mailbox was sent. A row is used once (creating the account deletes every row for its address), and the
    periodic job deletes those that have expired."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
