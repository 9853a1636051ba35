"""Uploading a picture or file from a composer, and fetching one: thin views over services.py and access.py."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required

from .. import access
from . import services
from .processing import UploadRefused
from .storage import get_storage

bp = Blueprint("uploads", __name__, url_prefix="/c/<slug>/uploads")


def _context(slug: str) -> access.CourseContext:
    return access.course_context(current_user._get_current_object(), slug)


@bp.route("", methods=["POST"])
@login_required
def create(slug):
    """One file from a composer (uploads.js): JSON with the Markdown to insert, or the reason it was refused. The
    logged out are sent to log in, as from every form in a course; fetching (show) stays a 404 for them."""
    ctx = _context(slug)
    file = request.files.get("file")
    if file is None or not file.filename:
        return {"error": "Choose a file to upload."}, 422
    try:
        upload = services.accept(ctx, file)
    except services.UploadRateLimited as refused:
        return {"error": str(refused)}, 429, {"Retry-After": "60"}
    except UploadRefused as refused:
        return {"error": str(refused)}, 422
    return {
        "kind": upload.kind,
        "name": upload.name,
        "url": services.path_of(upload, ctx.course.slug),
        "markdown": services.markdown_for(upload, ctx.course.slug, named=not ctx.course.allow_anonymous),
        "width": upload.width,
        "height": upload.height,
    }, 201


@bp.route("/<token>/<name>")
def show(slug, token, name):
    """An upload, for a viewer who may see a post or comment that holds it (404 for everyone else, as for a
    course they are not in). `?w=` asks for a picture's smaller copy (srcset)."""
    ctx = _context(slug)
    upload = services.find_for_viewer(ctx, token)
    width = request.args.get("w", "")
    key, content_type = services.stored_key(
        upload, int(width) if width.isascii() and width.isdigit() and len(width) <= 5 else None
    )
    return get_storage().serve(
        key,
        content_type=content_type,
        etag=key.rsplit("/", 1)[-1],
        download_name=None if upload.is_image else services.download_name(upload),
    )
