"""A course's uploads in its export: the rows as a manifest, the bytes as files, and on import the rows made again
under new tokens, with every Markdown URL that named an old token rewritten to the new one.

An export of a course with uploads is a zip archive: course.json (board-course/1, as a plain export), uploads.json
(the manifest, FORMAT) and uploads/<key> (each stored object, the file and its smaller copies, byte for byte).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Course, Post, User
from ..uploads.models import Upload, UploadRef
from ..uploads.processing import UploadRefused, examine
from ..uploads.refs import tokens_in
from ..uploads.storage import content_key, get_storage

FORMAT = "board-uploads/1"
COURSE_FILE = "course.json"
MANIFEST_FILE = "uploads.json"
FILES = "uploads/"
# Every entry gets this time, so the same course gives the same archive, byte for byte (zip's earliest date).
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
ARCHIVE_BYTES = 16 * 1024**3  # the most an archive's files may unpack to (a zip bomb is refused before any is read)
_MAX_PIXELS = 100_000_000  # a stored picture is at most 2,000 px a side; this only stops a crafted bomb
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # an upload's token, as uploads/refs.py finds it in Markdown


def manifest(course: Course) -> list[dict[str, Any]]:
    """The course's upload rows, oldest first, with people by email (as in course.json)."""
    rows = db.session.execute(
        select(Upload, User.email)
        .join(User, User.id == Upload.uploader_id)
        .where(Upload.course_id == course.id)
        .order_by(Upload.id)
    ).all()
    return [
        {
            "token": upload.token,
            "kind": upload.kind,
            "ext": upload.ext,
            "name": upload.name,
            "content_type": upload.content_type,
            "key": upload.key,
            "width": upload.width,
            "height": upload.height,
            "variants": upload.variants or [],
            "size": upload.size,
            "uploader": email,
            "created_at": upload.created_at.isoformat(),
        }
        for upload, email in rows
    ]


def _keys(item: dict[str, Any]) -> list[str]:
    return [item["key"], *(variant[2] for variant in item.get("variants") or [])]


def pack(course_data: dict[str, Any], uploads: list[dict[str, Any]]) -> bytes:
    """The archive: course.json, the manifest, and every stored object the manifest names (read from storage)."""
    storage = get_storage()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        _write(archive, COURSE_FILE, _json(course_data), zipfile.ZIP_DEFLATED)
        _write(archive, MANIFEST_FILE, _json({"format": FORMAT, "uploads": uploads}), zipfile.ZIP_DEFLATED)
        for key in sorted({key for item in uploads for key in _keys(item)}):
            # Pictures and PDFs are compressed already: stored as they are.
            _write(archive, FILES + key, storage.get(key), zipfile.ZIP_STORED)
    return out.getvalue()


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write(archive: zipfile.ZipFile, name: str, data: bytes, compression: int) -> None:
    entry = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
    entry.compress_type = compression
    entry.external_attr = 0o644 << 16
    archive.writestr(entry, data)


def is_archive(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def unpack(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, bytes]]:
    """course.json's data, the manifest, and the files by key; ValueError when the archive is not one of ours."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if COURSE_FILE not in names:
                raise ValueError(f"the archive has no {COURSE_FILE}")
            course_data = json.loads(archive.read(COURSE_FILE).decode("utf-8"))
            uploads: list[dict[str, Any]] = []
            if MANIFEST_FILE in names:
                listed = json.loads(archive.read(MANIFEST_FILE).decode("utf-8"))
                if not isinstance(listed, dict) or listed.get("format") != FORMAT:
                    raise ValueError(f"{MANIFEST_FILE} is not a {FORMAT} manifest")
                uploads = listed["uploads"]
            entries = [info for info in archive.infolist() if info.filename.startswith(FILES)]
            largest = max(current_app.config["UPLOADS_MAX_FILE_BYTES"], 64 * 1024 * 1024)
            if any(info.file_size > largest for info in entries) or sum(i.file_size for i in entries) > ARCHIVE_BYTES:
                raise ValueError("the archive's files are larger than any upload Board stores")
            files = {info.filename.removeprefix(FILES): archive.read(info) for info in entries}
    except zipfile.BadZipFile as error:
        raise ValueError(f"a broken zip archive ({error})") from error
    return course_data, uploads, files


def _check_declared(item: dict[str, Any], key: str, data: bytes) -> None:
    """Refuse a file whose manifest row says something its bytes are not: the manifest's type is what Board serves it
    as, so an archive that called an HTML page a picture would have Board serve that page from its own address. The
    bytes are read as an upload is (processing.examine) and kept as they are (the round trip stays byte for byte)."""
    try:
        found = examine(data, str(item.get("name") or f"file.{item.get('ext', '')}"), max_pixels=_MAX_PIXELS)
    except UploadRefused as refused:
        raise ValueError(f"the file {FILES}{key} is not one Board takes ({refused})") from refused
    if (found.kind, found.ext, found.main.content_type) != (
        item.get("kind"),
        item.get("ext"),
        item.get("content_type"),
    ):
        raise ValueError(f"the file {FILES}{key} is not the {item.get('content_type')} its manifest says")


def import_uploads(
    course: Course, uploads: list[dict[str, Any]], files: dict[str, bytes], person: Callable[[str], User], parse_time
) -> dict[str, Upload]:
    """Make the manifest's rows again in `course` (under their own tokens where free, else new ones), and store their bytes (checked against
    their content-addressed keys); the new rows by old token."""
    storage = get_storage()
    made: dict[str, Upload] = {}
    # An upload keeps its token (and so its URLs) where no upload in this database holds it yet: a course moved to a
    # new server, or restored, exports again exactly as it was. A copy beside the original gets new ones.
    wanted = [item["token"] for item in uploads if TOKEN.fullmatch(str(item.get("token", "")))]
    taken = set(db.session.scalars(select(Upload.token).where(Upload.token.in_(wanted)))) if wanted else set()
    for item in uploads:
        for key in _keys(item):
            data = files.get(key)
            if data is None:
                raise ValueError(f"the archive lacks the file {FILES}{key}")
            if content_key(data) != key:
                raise ValueError(f"the file {FILES}{key} does not hold the bytes its name says")
            _check_declared(item, key, data)
        upload = Upload(
            token=item["token"]
            if item["token"] in wanted and item["token"] not in taken
            else secrets.token_urlsafe(16),
            course_id=course.id,
            uploader_id=person(item["uploader"]).id,
            kind=item["kind"],
            ext=item["ext"],
            name=item["name"],
            content_type=item["content_type"],
            key=item["key"],
            width=item.get("width"),
            height=item.get("height"),
            variants=item.get("variants") or [],
            size=item["size"],
            created_at=parse_time(item["created_at"]),
        )
        db.session.add(upload)
        made[item["token"]] = upload
    db.session.flush()
    # The bytes go in before the rows commit: a failed import leaves unused files at worst, never rows without bytes.
    for item in uploads:
        for key in _keys(item):
            storage.put(key, files[key], item["content_type"])
    return made


class UrlRewriter:
    """Rewrites an export's upload URLs (/c/<old slug>/uploads/<old token>/) to the imported course's."""

    def __init__(self, old_slug: str, new_slug: str, made: dict[str, Upload]):
        self.new_slug = new_slug
        self.made = made
        self._pattern = re.compile(rf"/c/{re.escape(old_slug)}/uploads/([A-Za-z0-9_-]{{22}})/")

    def __call__(self, text: str | None) -> str | None:
        if not text or not self.made:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        upload = self.made.get(match.group(1))
        return match.group(0) if upload is None else f"/c/{self.new_slug}/uploads/{upload.token}/"


def add_version_refs(post: Post, version_texts: Iterable[str], made: dict[str, Upload]) -> None:
    """Record the uploads only a post's earlier versions name (`current` false), as an edit would have left them:
    they keep those uploads while the versions exist. Only the post's author's own, as refs.py allows."""
    by_token = {upload.token: upload for upload in made.values()}
    current = tokens_in(post.body_md, post.prompt)
    for token in sorted(tokens_in(*version_texts) - current):
        upload = by_token.get(token)
        if upload is not None and upload.uploader_id == post.author_id:
            db.session.add(UploadRef(upload_id=upload.id, post_id=post.id, current=False))
