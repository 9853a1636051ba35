"""The one-row table holding the database's write version (see versioning.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PageCacheVersion(db.Model):
    __tablename__ = "page_cache_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
