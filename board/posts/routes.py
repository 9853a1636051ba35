"""Readings, responses and comments: thin views over access, queries and services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import access, rate_limits
from ..inputs import database_id
from ..keyset import Window
from ..models import Post
from ..moderation import queries as moderation_queries
from . import queries, services
from .forms import CommentEditForm, CommentForm, ReadingForm, ResponseForm

bp = Blueprint("posts", __name__, url_prefix="/c/<slug>")
RESPONSES_PAGE_SIZE = 50  # a reading's responses page by this many, newest first


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str) -> access.CourseContext:
    return access.course_context(current_user, slug)


def _reading_fields(form: ReadingForm) -> dict:
    return {
        "source": form.source.data,
        "prompt": form.prompt.data,
        "week": form.week.data,
        "due_at": form.due_at_utc(),
        "pinned": form.pinned.data,
        "responses_hidden_until_posted": form.responses_hidden_until_posted.data,
        "unlock_min_words": form.unlock_min_words.data or 0,
    }


@bp.route("/readings/new", methods=["GET", "POST"])
def new_reading(slug):
    ctx = _context(slug)
    ctx.require("reading:write")
    form = ReadingForm()
    if form.validate_on_submit():
        post = services.create_reading(
            ctx, title=form.title.data, body=form.body.data, publish=form.publish.data, **_reading_fields(form)
        )
        flash("Reading published." if post.is_published else "Draft saved. Only you can see it.", "success")
        return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template("posts/edit_reading.html", ctx=ctx, form=form, post=None)


@bp.route("/readings/<int:reading_id>/respond", methods=["GET", "POST"])
@bp.route("/posts/new", methods=["GET", "POST"], defaults={"reading_id": None})
@rate_limits.posting
def new_response(slug, reading_id):
    ctx = _context(slug)
    reading = access.get_post(ctx, reading_id) if reading_id is not None else None
    if reading is not None and not reading.is_reading:
        abort(404)
    if reading is None and not (ctx.course.allow_free_posts or ctx.is_staff):
        abort(404)
    form = ResponseForm()
    if form.validate_on_submit():
        try:
            post = services.create_response(
                ctx,
                reading,
                title=form.title.data,
                body=form.body.data,
                publish=form.publish.data,
                anonymous=form.anonymous.data,
            )
        except services.PostError as error:
            flash(str(error), "error")
        else:
            flash(_saved_message(post), "success")
            return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template("posts/edit_response.html", ctx=ctx, form=form, reading=reading, post=None)


def _saved_message(post: Post) -> str:
    if not post.is_published:
        return "Draft saved. Only you can see it."
    if post.visibility == "held":
        return "Published. It is awaiting approval by an instructor before classmates see it."
    return "Published."


@bp.get("/posts/<int:post_id>")
def show(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    return _render_post(ctx, post, CommentForm(anonymous=_writes_anonymously(ctx, post)))


def _writes_anonymously(ctx: access.CourseContext, post: Post) -> bool:
    """Comment forms start ticked "anonymous" for the anonymous author of the post: replying to comments on your own
    anonymous post under your name would give you away."""
    return post.anonymous and post.author_id == ctx.user.id and ctx.course.allow_anonymous


def _render_post(ctx: access.CourseContext, post: Post, comment_form: CommentForm, status: int = 200):
    page = queries.post_page(ctx, post)
    responses, unlocked, locked_count = [], True, 0
    if post.is_reading:
        unlocked = access.has_unlocked(ctx, post)
        if unlocked:
            window = Window.from_request(RESPONSES_PAGE_SIZE)
            responses = queries.latest_responses(ctx, window, reading=post, include_deleted=True)
        else:
            locked_count = queries.response_count(ctx, post)
    award_types = moderation_queries.award_types(ctx) if ctx.can("post:award") else []
    return render_template(
        "posts/show.html",
        ctx=ctx,
        post=post,
        page=page,
        comment_form=comment_form,
        responses=responses,
        unlocked=unlocked,
        locked_count=locked_count,
        anonymous_by_default=_writes_anonymously(ctx, post),
        reading_visible=post.reading is not None and access.can_see_reading(ctx, post.reading),
        award_types=award_types,
    ), status


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    if not ctx.may_edit_post(post):
        abort(403)
    if post.is_reading:
        form = ReadingForm(obj=post, body=post.body_md)
        extra = _reading_fields(form) if form.is_submitted() else {}
        template = "posts/edit_reading.html"
    else:
        form = ResponseForm(obj=post, body=post.body_md)
        extra = {"anonymous": form.anonymous.data}
        template = "posts/edit_response.html"
    if form.validate_on_submit():
        try:
            services.update_post(
                ctx, post, title=form.title.data, body=form.body.data, publish=form.publish.data, **extra
            )
        except services.PostError as error:
            flash(str(error), "error")
        else:
            flash(_saved_message(post), "success")
            return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template(template, ctx=ctx, form=form, post=post, reading=post.reading)


@bp.post("/posts/<int:post_id>/delete")
def delete(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    try:
        services.delete_post(ctx, post)
    except services.PostError:
        abort(403)
    flash("Post deleted.", "success")
    return redirect(url_for("courses.home", slug=slug))


@bp.post("/posts/<int:post_id>/comments")
@rate_limits.posting
def comment(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_post(ctx, post, form, status=422)
    parent = _parent_comment(ctx, form.parent_id.data)
    try:
        new = services.add_comment(ctx, post, form.body.data, parent=parent, anonymous=form.anonymous.data)
    except services.PostError as error:
        form.body.errors.append(str(error))
        return _render_post(ctx, post, form, status=422)
    if new.visibility == "held":
        flash("Your comment is awaiting approval by an instructor before classmates see it.", "info")
    return redirect(url_for("posts.show", slug=slug, post_id=post.id, _anchor=f"comment-{new.id}"))


def _parent_comment(ctx: access.CourseContext, parent_id: str | None):
    """The comment a reply answers; a parent_id that is not a number is as unknown as a missing comment (404)."""
    if not parent_id:
        return None
    try:
        comment_id = database_id(parent_id)
    except ValueError:
        abort(404)
    return access.get_comment(ctx, comment_id)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(slug, comment_id):
    ctx = _context(slug)
    comment = access.get_comment(ctx, comment_id, check_author=True)
    form = CommentEditForm(body=comment.body_md)
    if form.validate_on_submit():
        services.edit_comment(ctx, comment, form.body.data)
        flash("Comment saved.", "success")
        return redirect(url_for("posts.show", slug=slug, post_id=comment.post_id, _anchor=f"comment-{comment.id}"))
    return render_template("posts/edit_comment.html", ctx=ctx, form=form, comment=comment)


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(slug, comment_id):
    ctx = _context(slug)
    comment = access.get_comment(ctx, comment_id, check_author=True)
    services.delete_comment(ctx, comment)
    flash("Comment deleted.", "success")
    return redirect(url_for("posts.show", slug=slug, post_id=comment.post_id, _anchor="comments"))
