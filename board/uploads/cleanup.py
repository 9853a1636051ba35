"""Removing uploads nothing alive refers to, once their grace has passed (run hourly by tasks.py).

An upload is kept while a post or comment that names it exists: a reference from an earlier version only (`current`
false) counts too, since the versions live as long as their item (ON DELETE CASCADE takes them together). A deleted
post or comment keeps its uploads for the same grace as a fresh upload, so an undo or a moderator's look still finds
them. Draft posts are posts: their pictures stay.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select

from ..extensions import db
from ..models import Comment, Post, utcnow
from .models import Upload, UploadRef
from .storage import get_storage

logger = logging.getLogger(__name__)

#: Uploads removed per run at most: a run stays short, and the next one takes the rest.
BATCH = 500


def _alive_reference(cutoff: datetime):
    """A reference to the outer upload from a post (and comment) not deleted before `cutoff`."""
    return exists(
        select(UploadRef.id)
        .join(Post, Post.id == UploadRef.post_id)
        .outerjoin(Comment, Comment.id == UploadRef.comment_id)
        .where(UploadRef.upload_id == Upload.id)
        .where(or_(Post.deleted_at.is_(None), Post.deleted_at > cutoff))
        .where(or_(UploadRef.comment_id.is_(None), Comment.deleted_at.is_(None), Comment.deleted_at > cutoff))
    )


def orphans_clause(cutoff: datetime):
    """Uploads older than `cutoff` that nothing alive refers to."""
    return and_(Upload.created_at < cutoff, ~_alive_reference(cutoff))


def delete_orphans(now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete up to `batch` orphaned uploads (rows, then the stored bytes no other row uses); how many rows went.

    Safe with two workers at once: the rows go first, in one transaction that checks each again as it deletes it,
    so each row is deleted (and its bytes considered) by one run only; a file is removed only after that commit,
    and only when no remaining row names it. A file that cannot be removed is logged and left: it is only space."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=current_app.config["UPLOADS_GRACE_HOURS"])
    ids = db.session.scalars(select(Upload.id).where(orphans_clause(cutoff)).order_by(Upload.id).limit(batch)).all()
    if not ids:
        db.session.rollback()
        return 0
    deleted = db.session.execute(
        delete(Upload)
        .where(Upload.id.in_(ids), orphans_clause(cutoff))  # again: a reference may have come meanwhile
        .returning(Upload.key, Upload.variants)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    keys = {key for main, variants in deleted for key in (main, *(v[2] for v in variants or []))}
    for key in sorted(keys - _still_used(keys)):
        try:
            get_storage().delete(key)
        except Exception:  # a store that is down or refuses: the row is gone, and the bytes only cost space
            logger.exception("Could not delete the stored upload %s; it stays in storage, unused.", key)
    return len(deleted)


def _still_used(keys: set[str]) -> set[str]:
    """Those of `keys` that a remaining upload still uses (content-addressed: rows may share bytes).

    One query: the rows whose file is one of `keys`. A smaller copy is made from its file alone
    (processing.examine), so a row that shares a copy's bytes shares the file, or has those bytes as its file."""
    if not keys:
        return set()
    used: set[str] = set()
    for key, variants in db.session.execute(select(Upload.key, Upload.variants).where(Upload.key.in_(keys))):
        used.update((key, *(v[2] for v in variants or [])))
    db.session.rollback()
    return used & keys
