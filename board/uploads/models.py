"""An upload (one picture or file, in one course, by one person) and the posts and comments that refer to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Comment, Post, UTCDateTime, utcnow


class Upload(db.Model):
    """One picture or file someone uploaded in a course. Its bytes live in storage under content-addressed keys
    (storage.content_key), so the same file is stored once however many rows name it. Each upload is a row of its own,
    with its own token, even for the same file again: a token shared by a named and an anonymous post would link them.
    Quotas count each row (the same file uploaded twice counts twice)."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random part of its URL (/c/<slug>/uploads/<token>/<name>). It grants nothing: every request is checked.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "image" or "file"
    ext: Mapped[str] = mapped_column(String(8))
    # The file's own name, made safe (processing.examine); shown as a download's name unless a post that holds it is
    # anonymous, and never part of the URL.
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))  # the stored bytes (storage.content_key)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # Smaller copies of a picture for srcset: [[width, height, key], …], ascending.
    variants: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)  # bytes stored for it, copies included: what quotas count
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    def keys(self) -> list[str]:
        """Every stored object of this upload: the file and its smaller copies."""
        return [self.key, *(variant[2] for variant in self.variants or [])]


class UploadRef(db.Model):
    """A post or comment whose Markdown names an upload. `current` is whether its text says so now; a reference
    only its earlier versions make (`current` false) keeps the upload for those who may read those versions (the
    author and staff), while the versions exist. Kept in step by refs.py whenever a text is saved."""

    __tablename__ = "upload_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    # Set for a comment's reference (post_id is then the comment's post); None for the post's own text.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)

    upload: Mapped[Upload] = relationship()
    post: Mapped[Post] = relationship()
    comment: Mapped[Comment | None] = relationship()
