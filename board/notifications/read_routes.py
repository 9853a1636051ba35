"""Marking things read: a post (the page's beacon, or its "Mark as read" button without JavaScript) and a whole
course. POST only; reading a page never writes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from .. import access
from . import unread
from .read_forms import MarkAllReadForm, MarkReadForm

bp = Blueprint("reads", __name__, url_prefix="/c/<slug>")


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str) -> access.CourseContext:
    return access.course_context(current_user._get_current_object(), slug)


@bp.post("/posts/<int:post_id>/read")
def mark_read(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    form = MarkReadForm()
    back = url_for("posts.show", slug=slug, post_id=post.id)
    if not form.validate_on_submit():
        if form.is_beacon:
            return {"error": " ".join(form.shown.errors)}, 400
        flash(" ".join(form.shown.errors), "error")
        return redirect(back)
    unread.mark_post_read(ctx, post, form.shown_id())
    if form.is_beacon:
        return "", 204
    flash("Marked as read.", "success")
    return redirect(back)


@bp.post("/read")
def mark_all_read(slug):
    ctx = _context(slug)
    if MarkAllReadForm().validate_on_submit():
        unread.mark_course_read(ctx)
        flash(f"Everything in {ctx.course.code or ctx.course.title} is marked as read.", "success")
    return redirect(url_for("courses.home", slug=slug))
