"""Taking an upload (checked, processed, stored once, counted against the quotas) and finding one for a viewer."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import abort, current_app
from sqlalchemy import func, or_, select
from werkzeug.datastructures import FileStorage

from .. import access, rate_limits
from ..extensions import db
from ..models import Comment, Course, Post
from .models import Upload, UploadRef
from .processing import Examined, UploadRefused, examine
from .storage import content_key, get_storage


@dataclass(frozen=True)
class Limits:
    """What the site's admin allows (README, "Uploads"): bytes per file, per person in a course, per course."""

    file_bytes: int
    person_bytes: int
    course_bytes: int


MEGABYTE = 1024 * 1024


def limits(course: Course) -> Limits:
    """The limits in this course: the site's settings, unless the site admin set the course its own quotas."""
    config = current_app.config
    person = course.upload_person_quota_mb
    whole = course.upload_course_quota_mb
    return Limits(
        config["UPLOADS_MAX_FILE_BYTES"],
        person * MEGABYTE if person is not None else config["UPLOADS_PERSON_QUOTA_BYTES"],
        whole * MEGABYTE if whole is not None else config["UPLOADS_COURSE_QUOTA_BYTES"],
    )


def used_bytes(course_id: int, uploader_id: int | None = None) -> int:
    """Bytes stored for a course's uploads, or for one person's in it."""
    statement = select(func.coalesce(func.sum(Upload.size), 0)).where(Upload.course_id == course_id)
    if uploader_id is not None:
        statement = statement.where(Upload.uploader_id == uploader_id)
    return int(db.session.scalar(statement) or 0)


def megabytes(size: int) -> str:
    """A size as people read it: "3.2 MB", "480 KB"."""
    if size >= MEGABYTE:
        return f"{size / MEGABYTE:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB" if size else "0 KB"


def read_limited(file: FileStorage, limit: int) -> bytes:
    """The file's bytes, refused when it is larger than `limit`, without reading more than one byte past it."""
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            f"This file is larger than {megabytes(limit)}, the most Board takes for one file. Nothing was uploaded: "
            "make it smaller (export a picture at a lower size, or a PDF at screen quality) and try again."
        )
    if not data:
        raise UploadRefused("This file is empty. Nothing was uploaded.")
    return data


def accept(ctx: access.CourseContext, file: FileStorage) -> Upload:
    """Take one uploaded file for the viewer in this course: UploadRefused says why not, in words for the person.

    Every upload is a row of its own with its own token, even for bytes already stored (those are stored once): a
    token shared by someone's named comment and their anonymous response would tell classmates who wrote it."""
    ctx.require("upload:create")
    if not rate_limits.upload_allowed():
        raise UploadRateLimited(
            "You are uploading faster than Board allows. Nothing was uploaded, and your text is kept: wait a minute, "
            "then try again."
        )
    allowed = limits(ctx.course)
    data = read_limited(file, allowed.file_bytes)
    _check_quotas(ctx, 1, allowed)  # already full: refused before the work of reading the picture
    examined = examine(data, file.filename or "", max_pixels=current_app.config["UPLOADS_MAX_PIXELS"])
    blobs = [examined.main, *examined.variants]
    size = sum(len(blob.data) for blob in blobs)
    upload = _row(ctx.course.id, ctx.user.id, examined, content_key(examined.main.data), size)
    # Checked and inserted under a lock on the course row (PostgreSQL; SQLite has one writer anyway), so uploads
    # sent at the same moment cannot each pass the check and together overrun the quota.
    db.session.execute(select(Course.id).where(Course.id == ctx.course.id).with_for_update())
    _check_quotas(ctx, size, allowed)
    db.session.add(upload)
    db.session.commit()
    try:
        storage = get_storage()
        for blob in blobs:
            storage.put(content_key(blob.data), blob.data, blob.content_type)
    except Exception:
        db.session.delete(upload)  # no row without its bytes; nothing refers to it yet
        db.session.commit()
        raise
    return upload


class UploadRateLimited(UploadRefused):
    """Refused for coming too fast (the upload limit, board/rate_limits.py): a 429 where the answer is JSON."""


def _check_quotas(ctx: access.CourseContext, size: int, allowed: Limits) -> None:
    mine = used_bytes(ctx.course.id, ctx.user.id)
    if mine + size > allowed.person_bytes:
        raise UploadRefused(
            f"Your uploads in this course would pass {megabytes(allowed.person_bytes)}, the most one person may store "
            f"here (you use {megabytes(mine)}). Nothing was uploaded: link to the file elsewhere, or ask your "
            "instructor. Pictures and files nothing refers to are removed a day after their upload."
        )
    course = used_bytes(ctx.course.id)
    if course + size > allowed.course_bytes:
        raise UploadRefused(
            f"This course's uploads would pass {megabytes(allowed.course_bytes)}, the most it may store. Nothing was "
            "uploaded: tell your instructor, who can ask the site's administrator for more."
        )


def add_shipped_file(course: Course, uploader_id: int, data: bytes, filename: str) -> Upload:
    """A file that comes with Board (the demo seed's pictures), stored as if its uploader had sent it: no quota or
    permission to check. Added to the session, not committed."""
    examined = examine(data, filename, max_pixels=current_app.config["UPLOADS_MAX_PIXELS"])
    blobs = [examined.main, *examined.variants]
    storage = get_storage()
    for blob in blobs:
        storage.put(content_key(blob.data), blob.data, blob.content_type)
    upload = _row(course.id, uploader_id, examined, content_key(examined.main.data), sum(len(b.data) for b in blobs))
    db.session.add(upload)
    return upload


def _row(course_id: int, uploader_id: int, examined: Examined, key: str, size: int) -> Upload:
    main = examined.main
    return Upload(
        token=secrets.token_urlsafe(16),
        course_id=course_id,
        uploader_id=uploader_id,
        kind=examined.kind,
        ext=examined.ext,
        name=examined.name,
        content_type=main.content_type,
        key=key,
        width=main.width,
        height=main.height,
        variants=[[blob.width, blob.height, content_key(blob.data)] for blob in examined.variants],
        size=size,
    )


# In Markdown -------------------------------------------------------------------------------------------------------


def url_name(upload: Upload) -> str:
    """The last part of an upload's URL: its kind, never its file name (which may name its author)."""
    return f"{upload.kind}.{upload.ext}"


def path_of(upload: Upload, slug: str) -> str:
    return f"/c/{slug}/uploads/{upload.token}/{url_name(upload)}"


_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]])")


def _label(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def markdown_for(upload: Upload, slug: str, alt: str = "", *, named: bool = True) -> str:
    """What the composer inserts: a picture (its size after "#", which rendering turns into width, height and
    srcset; board/markdown.py) or a link to a file, named by its file name; where posts may be anonymous (`named`
    false) by its type only ("PDF file"), since a name like "Ada_Lovelace_essay.pdf" would say who wrote it."""
    if upload.is_image:
        return f"![{_label(alt)}]({path_of(upload, slug)}#{upload.width}x{upload.height})"
    label = upload.name if named else f"{upload.ext.upper()} file"
    return f"[{_label(label)}]({path_of(upload, slug)})"


# Serving -----------------------------------------------------------------------------------------------------------


def find_for_viewer(ctx: access.CourseContext, token: str) -> Upload:
    """The upload `token` in this course if the viewer may fetch it (access.may_fetch_upload); 404 otherwise, the
    same answer as for an upload that does not exist."""
    upload = db.session.scalar(select(Upload).where(Upload.token == token, Upload.course_id == ctx.course.id))
    if upload is None or not access.may_fetch_upload(ctx, upload):
        abort(404)
    return upload


def download_name(upload: Upload) -> str:
    """A download's file name: the file's own, unless an anonymous post or comment holds it (a name like
    "Ada_Lovelace_essay.pdf" would say who wrote it); then only its kind."""
    anonymous = db.session.scalar(
        select(UploadRef.id)
        .join(Post, Post.id == UploadRef.post_id)
        .outerjoin(Comment, Comment.id == UploadRef.comment_id)
        .where(UploadRef.upload_id == upload.id)
        .where(or_(Comment.anonymous.is_(True), (UploadRef.comment_id.is_(None)) & Post.anonymous.is_(True)))
        .limit(1)
    )
    return url_name(upload) if anonymous is not None else upload.name


def stored_key(upload: Upload, width: int | None) -> tuple[str, str]:
    """The stored object to send for a request of `width` (a srcset copy, when there is one that wide) and its
    content type."""
    if width:
        for variant_width, _, key in upload.variants or []:
            if variant_width == width:
                return key, upload.content_type
    return upload.key, upload.content_type
