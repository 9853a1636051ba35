"""Readings, responses and comments: thin views over access, queries and services."""

from __future__ import annotations

import posixpath
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from .. import access, rate_limits, timezones
from ..desk import routes as desk_routes
from ..desk.grading import released_grade
from ..desk.next_step import unlock_message
from ..feeds.tokens import token_for as feed_token_for
from ..inputs import database_id
from ..keyset import Window
from ..markdown import word_count
from ..models import Comment, Post
from ..moderation import queries as moderation_queries
from ..moderation.queries import comment_awards
from ..notifications import services as notification_services
from ..notifications import unread
from ..notifications.forms import watch_form
from ..templating import author_name
from . import attachments, queries, services, submissions
from .forms import CommentEditForm, CommentForm, PreviewForm, ReadingForm, ResponseForm, new_submission_key

bp = Blueprint("posts", __name__, url_prefix="/c/<slug>")
bp.add_app_template_global(new_submission_key)
bp.add_app_template_global(submissions.confirmed_keys, "confirmed_submissions")
bp.add_app_template_global(word_count)  # the composer's word count (posts/_composer.html)
bp.add_app_template_global(attachments.upload_settings)  # the composers' upload control (posts/_composer.html)
RESPONSES_PAGE_SIZE = 50  # a reading's responses page by this many, newest first


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str) -> access.CourseContext:
    # The user itself, not Flask-Login's proxy: a long thread asks ctx.user.id thousands of times.
    return access.course_context(current_user._get_current_object(), slug)


def _reading_fields(form: ReadingForm) -> dict:
    return {
        "source": form.source.data,
        "prompt": form.prompt.data,
        "week": form.week.data,
        "due_at": form.due_at_utc(),
        "pinned": form.pinned.data,
        "responses_hidden_until_posted": form.responses_hidden_until_posted.data,
        "unlock_min_words": form.unlock_min_words.data or 0,
        "reply_due_at": form.reply_due_at_utc(),
        "required_replies": form.required_replies.data or 0,
        "max_points": form.max_points.data,
    }


@bp.route("/readings/new", methods=["GET", "POST"])
@rate_limits.preview_button
def new_reading(slug):
    ctx = _context(slug)
    ctx.require("reading:write")
    form = ReadingForm(zone=timezones.zone_name(current_user, ctx.course))
    attached = attachments.attach(ctx, form, publishing=form.publish.data)
    preview = _preview(form)
    if preview is None and attached.validate(form):
        try:
            post = services.create_reading(
                ctx, title=form.title.data, body=form.body.data, publish=form.publish.data, **_reading_fields(form)
            )
        except services.PostError as error:
            flash(str(error), "error")
            return render_template("posts/edit_reading.html", ctx=ctx, form=form, post=None, preview=None), 422
        flash("Reading published." if post.is_published else "Draft saved. Only you can see it.", "success")
        return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template("posts/edit_reading.html", ctx=ctx, form=form, post=None, preview=preview), _status(
        attached, preview
    )


@bp.route("/readings/<int:reading_id>/respond", methods=["GET", "POST"])
@bp.route("/posts/new", methods=["GET", "POST"], defaults={"reading_id": None})
@rate_limits.posting
@rate_limits.preview_button
def new_response(slug, reading_id):
    ctx = _context(slug)
    reading = access.get_post(ctx, reading_id) if reading_id is not None else None
    if reading is not None and not reading.is_reading:
        abort(404)
    if reading is None and not (ctx.course.allow_free_posts or ctx.is_staff):
        abort(404)
    form = ResponseForm()
    attached = attachments.attach(ctx, form, publishing=form.publish.data)
    preview = _preview(form)
    if preview is None and attached.validate(form):
        try:
            post = services.create_response(
                ctx,
                reading,
                title=form.title.data,
                body=form.body.data,
                publish=form.publish.data,
                anonymous=form.anonymous.data,
                submission_key=form.submission_key.data,
            )
        except services.PostError as error:
            flash(str(error), "error")
            return render_template(
                "posts/edit_response.html", ctx=ctx, form=form, reading=reading, post=None, preview=None
            ), 422
        flash(_saved_message(post), "success")
        submissions.confirm(form.submission_key.data)
        return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template(
        "posts/edit_response.html", ctx=ctx, form=form, reading=reading, post=None, preview=preview
    ), _status(attached, preview)


def _status(attached: attachments.Attached, preview: str | None) -> int:
    """A form shown again because of its file (refused, or a picture to describe) is a refusal (422); a preview, or
    the form's own errors, keep 200 as before."""
    return 422 if attached.problem is not None and preview is None else 200


def _preview(form) -> str | None:
    """The body as it will be published, when the form's Preview button sent it (then nothing is saved)."""
    if form.is_submitted() and form.preview.data:
        return services.body_html(form.body.data or "")
    return None


@bp.route("/formatting", methods=["GET", "POST"])
@rate_limits.previewing
def formatting(slug):
    """Formatting help with a box to try it in. Its preview is also the composers' live one (JSON, for board.js)."""
    ctx = _context(slug)
    form = PreviewForm()
    preview = services.body_html(form.body.data or "") if form.validate_on_submit() else None
    if request.method == "POST" and request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        if preview is None:
            return {"error": " ".join(form.body.errors) or "The preview could not be made."}, 422
        return {"html": preview}
    return render_template("posts/formatting.html", ctx=ctx, form=form, preview=preview)


def _saved_message(post: Post) -> str:
    if not post.is_published:
        return "Draft saved. Only you can see it."
    if post.visibility == "held":
        return "Published. It is awaiting approval by an instructor before classmates see it."
    # Accepted, but too short to open the reading's gate: say so here too (the page without JavaScript relies on it).
    short = unlock_message(post.reading, post) if post.reading is not None else None
    return f"Published. {short}" if short else "Published."


@bp.get("/posts/<int:post_id>")
def show(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    return _render_post(ctx, post, CommentForm(anonymous=_writes_anonymously(ctx, post)))


def _writes_anonymously(ctx: access.CourseContext, post: Post) -> bool:
    """Comment forms start ticked "anonymous" for the anonymous author of the post: replying to comments on your own
    anonymous post under your name would give you away."""
    return post.anonymous and post.author_id == ctx.user.id and ctx.course.allow_anonymous


def render_with_grade_form(ctx: access.CourseContext, post: Post, grade_form, conflict, status: int, walk_order):
    """The post page with the responses walk's grade form as refused (board/desk/grading_routes.py), in the walk's
    order `walk_order` (the sent one, or the default when none came)."""
    form = CommentForm(formdata=None, anonymous=_writes_anonymously(ctx, post))
    return _render_post(ctx, post, form, status, grade_form=grade_form, grade_conflict=conflict, walk_order=walk_order)


def _render_post(
    ctx: access.CourseContext,
    post: Post,
    comment_form: CommentForm,
    status: int = 200,
    *,
    reply_form: CommentForm | None = None,
    preview: str | None = None,
    grade_form=None,
    grade_conflict=None,
    walk_order=None,
):
    """The post page. A refused reply is shown in the reply composer under its comment (`reply_form`), never in the
    comment form at the bottom."""
    watching, read_state, likes, desk_values = notification_services.viewer_state(
        ctx, post, *desk_routes.viewer_columns(ctx, post, walk_order)
    )
    responses, unlocked, locked_count, mine = [], True, 0, None
    if post.is_reading:
        mine = queries.own_responses(ctx, post).get(post.id)
        unlocked = access.has_unlocked(ctx, post)
        if unlocked:
            window = Window.from_request(RESPONSES_PAGE_SIZE)
            responses = queries.latest_responses(
                ctx, window, reading=post, include_deleted=True, news=True, awards=False
            )
        else:
            locked_count = queries.response_count(ctx, post)
    # The listed responses' awards come with the comments' (one query for all the page's awards).
    page = queries.post_page(ctx, post, likes, listed=[row.post for row in responses])
    award_types = moderation_queries.award_types(ctx) if ctx.can("post:award") else []
    return render_template(
        "posts/show.html",
        ctx=ctx,
        post=post,
        page=page,
        comment_form=comment_form,
        reply_form=reply_form,
        blank_reply=CommentForm(formdata=None, anonymous=_writes_anonymously(ctx, post)),
        **_thread_urls(ctx),
        responses=responses,
        unlocked=unlocked,
        locked_count=locked_count,
        reading_visible=post.reading is not None and access.can_see_reading(ctx, post.reading),
        award_types=award_types,
        my_grade=released_grade(ctx, post) if post.is_reading and not ctx.can("grade:write") else None,
        watch_form=watch_form(ctx, post, level=watching),
        feed_token=feed_token_for(ctx.user),
        my_response=mine,
        preview=preview,
        **desk_routes.post_page_extras(
            ctx,
            post,
            unlocked=unlocked,
            mine=mine,
            viewer=desk_values,
            grade_form=grade_form,
            grade_conflict=grade_conflict,
            walk_order=walk_order,
        ),
        unread=unread.thread_marks(
            ctx, post, page.thread, {row.post.id: row.news for row in responses}, read=read_state
        ),
    ), status


def _thread_urls(ctx: access.CourseContext) -> dict[str, str]:
    """URL bases the comment loop appends ids to. A url_for per link was a fifth of the time of a long thread, and
    the bases are relative to this page ("../comments/"): the course's path would otherwise repeat in every link."""
    slug, here = ctx.course.slug, posixpath.dirname(request.path)
    comments = url_for("posts.edit_comment", slug=slug, comment_id=1).removesuffix("/1/edit")
    people = url_for("courses.person", slug=slug, user_id=1).removesuffix("/1")
    return {
        "comment_base": posixpath.relpath(comments, here) + "/",
        "people_base": posixpath.relpath(people, here) + "/",
    }


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_timestamp(value: datetime) -> Markup:
    """A comment's <time>, to the minute, from the date's fields (strftime was a tenth of a long thread's time), in
    the viewer's zone (board/timezones.py, known once per request); board.js shows it in that zone too."""
    name = _page_zone()
    v = value.astimezone(UTC)
    iso = f"{v.year}-{v.month:02}-{v.day:02}T{v.hour:02}:{v.minute:02}Z"
    if name is None:
        return Markup(
            f'<time datetime="{iso}">{_MONTHS[v.month - 1]} {v.day}, {v.year}, {v.hour:02}:{v.minute:02} UTC</time>'
        )
    t = timezones.local(value, name)
    hour = t.hour % 12 or 12
    return Markup(
        f'<time datetime="{iso}">{_MONTHS[t.month - 1]} {t.day}, {t.year}, '
        f"{hour}:{t.minute:02} {'AM' if t.hour < 12 else 'PM'} {escape(t.tzname() or '')}</time>"
    )


def _page_zone() -> str | None:
    """The request's zone for times, worked out once (a long thread shows hundreds)."""
    if "board_page_zone" not in g:
        g.board_page_zone = timezones.page_zone_name()
    return g.board_page_zone


bp.add_app_template_filter(short_timestamp)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@rate_limits.posting
@rate_limits.preview_button
def edit(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    if not ctx.may_edit_post(post):
        abort(403)
    if post.is_reading:
        form = ReadingForm(obj=post, body=post.body_md, zone=timezones.zone_name(current_user, ctx.course))
        extra = _reading_fields(form) if form.is_submitted() else {}
        template = "posts/edit_reading.html"
    else:
        form = ResponseForm(obj=post, body=post.body_md)
        extra = {"anonymous": form.anonymous.data}
        template = "posts/edit_response.html"
    attached = attachments.attach(ctx, form, publishing=form.publish.data)
    preview = _preview(form)
    if preview is None and attached.validate(form):
        try:
            services.update_post(
                ctx, post, title=form.title.data, body=form.body.data, publish=form.publish.data, **extra
            )
        except services.PostError as error:
            flash(str(error), "error")
            return render_template(template, ctx=ctx, form=form, post=post, reading=post.reading, preview=None), 422
        flash(_saved_message(post), "success")
        return redirect(url_for("posts.show", slug=slug, post_id=post.id))
    return render_template(template, ctx=ctx, form=form, post=post, reading=post.reading, preview=preview), _status(
        attached, preview
    )


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
@rate_limits.preview_button
def comment(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    form = CommentForm()
    parent, parent_gone = _parent_comment(ctx, post, form.parent_id.data)
    attached = attachments.attach(ctx, form, publishing=True)
    if (preview := _preview(form)) is not None:
        return _refused_comment(ctx, post, form, parent, preview=preview)
    if not attached.validate(form):
        return _refused_comment(ctx, post, form, parent)
    if parent_gone:
        return _refused_comment(
            ctx,
            post,
            form,
            None,
            "The comment you replied to was deleted or hidden meanwhile. Your text is below: you can post it as a "
            "comment on the post instead.",
        )
    try:
        new = services.add_comment(
            ctx,
            post,
            form.body.data,
            parent=parent,
            anonymous=form.anonymous.data,
            submission_key=form.submission_key.data,
        )
    except services.PostError as error:
        return _refused_comment(ctx, post, form, parent, str(error))
    submissions.confirm(form.submission_key.data)
    if new.visibility == "held":
        flash("Your comment is awaiting approval by an instructor before classmates see it.", "info")
    return redirect(url_for("posts.show", slug=slug, post_id=post.id, _anchor=f"comment-{new.id}"))


@bp.get("/comments/<int:comment_id>/reply")
def reply(slug, comment_id):
    """The reply form on a page of its own, for browsers without JavaScript (with it, the form opens in place)."""
    ctx = _context(slug)
    ctx.require("comment:create")
    parent = access.get_comment(ctx, comment_id)
    post = access.get_post(ctx, parent.post_id)
    return render_template(
        "posts/reply.html",
        ctx=ctx,
        post=post,
        parent=parent,
        to_name=author_name(ctx, parent),
        open=_open_for_comments(post),
        form=CommentForm(formdata=None, anonymous=_writes_anonymously(ctx, post)),
    )


@bp.get("/comments/<int:comment_id>/moderate")
def moderate_comment(slug, comment_id):
    """A comment's moderation buttons on a page of their own, so the thread carries one link per comment for them."""
    ctx = _context(slug)
    ctx.require("comment:moderate")
    comment = access.get_comment(ctx, comment_id)
    return render_template(
        "posts/moderate_comment.html",
        ctx=ctx,
        comment=comment,
        post=comment.post,
        awards=comment_awards(comment),
        award_types=moderation_queries.award_types(ctx) if ctx.can("post:award") else [],
    )


def _refused_comment(
    ctx: access.CourseContext,
    post: Post,
    form: CommentForm,
    parent: Comment | None,
    message: str | None = None,
    *,
    preview: str | None = None,
):
    """The post page again with the typed text in the composer that was used: the reply form of `parent` when that
    reply can still be posted, else the form at the bottom (as a comment on the post), with `message` on the text.
    With `preview` (its Preview button) nothing was refused: the page shows the text's preview under it."""
    if message is not None:
        form.body.errors = [*form.body.errors, message]
    status = 422 if preview is None else 200
    if parent is not None and parent.post_id == post.id and _open_for_comments(post):
        fresh = CommentForm(formdata=None, anonymous=_writes_anonymously(ctx, post))
        return _render_post(ctx, post, fresh, status=status, reply_form=form, preview=preview)
    form.parent_id.data = ""
    return _render_post(ctx, post, form, status=status, preview=preview)


def _open_for_comments(post: Post) -> bool:
    return post.is_published and not post.comments_locked and post.deleted_at is None


def _parent_comment(ctx: access.CourseContext, post: Post, parent_id: str | None) -> tuple[Comment | None, bool]:
    """The comment a reply answers, and whether it was on this post but is gone for this reader (deleted or hidden
    since the page was loaded). An id that is not a number, or of no comment on this post, is unknown (404)."""
    if not parent_id:
        return None, False
    try:
        comment_id = database_id(parent_id)
    except ValueError:
        abort(404)
    if queries.comment_gone_from(ctx, post, comment_id):
        return None, True
    return access.get_comment(ctx, comment_id), False


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@rate_limits.posting
@rate_limits.preview_button
def edit_comment(slug, comment_id):
    ctx = _context(slug)
    comment = access.get_comment(ctx, comment_id, check_author=True)
    form = CommentEditForm(body=comment.body_md)
    attached = attachments.attach(ctx, form, publishing=True)
    preview = _preview(form)
    if preview is None and attached.validate(form):
        try:
            services.edit_comment(ctx, comment, form.body.data)
        except services.PostError as error:
            form.body.errors = [*form.body.errors, str(error)]
            return render_template("posts/edit_comment.html", ctx=ctx, form=form, comment=comment, preview=None), 422
        flash("Comment saved.", "success")
        return redirect(url_for("posts.show", slug=slug, post_id=comment.post_id, _anchor=f"comment-{comment.id}"))
    return render_template("posts/edit_comment.html", ctx=ctx, form=form, comment=comment, preview=preview), _status(
        attached, preview
    )


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(slug, comment_id):
    ctx = _context(slug)
    comment = access.get_comment(ctx, comment_id, check_author=True)
    services.delete_comment(ctx, comment)
    flash("Comment deleted.", "success")
    return redirect(url_for("posts.show", slug=slug, post_id=comment.post_id, _anchor="comments"))
