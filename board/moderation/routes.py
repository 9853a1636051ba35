"""Likes, awards, the moderation queue, hide/unhide, lock, pin, reports, revisions and the audit log."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import access, rate_limits
from ..extensions import db
from ..forms import EmptyForm
from ..inputs import database_id
from ..keyset import Window
from ..models import Comment, Post, PostRevision, User
from ..urls import safe_next
from . import queries, services
from .forms import AwardForm, AwardTypeForm, ReasonForm, ReportForm

bp = Blueprint("moderation", __name__, url_prefix="/c/<slug>")
TARGET = "/<any(posts, comments):kind>/<int:item_id>"
AWARDS_PAGE_SIZE = 50  # awards on the awards page, newest first
AUDIT_PAGE_SIZE = 100  # audit entries per page, newest first
QUEUE_PAGE_SIZE = 50  # each of the queue's lists (held posts, held comments, reports), oldest first


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str) -> access.CourseContext:
    return access.course_context(current_user, slug)


def _page_of(slug: str, target: Post | Comment) -> str:
    if isinstance(target, Post):
        return url_for("posts.show", slug=slug, post_id=target.id, _anchor="post")
    return url_for("posts.show", slug=slug, post_id=target.post_id, _anchor=f"comment-{target.id}")


def _back(slug: str, target: Post | Comment | None = None):
    """Return to where the form was (its `next` field), else to the thing acted on."""
    fallback = _page_of(slug, target) if target is not None else url_for("courses.home", slug=slug)
    return redirect(safe_next(request.form.get("next")) or fallback)


# Likes ---------------------------------------------------------------------------------------------------------


@bp.post(TARGET + "/like")
def like(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    wanted = request.form.get("liked", "1") == "1"
    try:
        liked, count = services.set_like(ctx, target, wanted)
    except services.ModerationError as error:
        # The page offers no like button where liking is refused, so only a crafted request gets here.
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=str(error)), 403
        abort(403)
    if request.accept_mimetypes.best == "application/json":
        from ..templating import liked_by

        return jsonify(liked=liked, count=count, label=liked_by(count))
    return _back(slug, target)


@bp.get(TARGET + "/likes")
def likes(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    people = db.session.scalars(services.likers(target)).all()
    return render_template("moderation/likes.html", ctx=ctx, target=target, people=people, back=_page_of(slug, target))


# Awards --------------------------------------------------------------------------------------------------------


@bp.get("/awards")
def awards(slug):
    ctx = _context(slug)
    from ..posts.queries import awarded_posts

    types = queries.award_types(ctx)
    selected = request.args.get("type", type=int)
    if selected is not None and selected not in {t.id for t in types}:
        abort(404)
    return render_template(
        "moderation/awards.html",
        ctx=ctx,
        types=types,
        selected=selected,
        awarded=awarded_posts(ctx, Window.from_request(AWARDS_PAGE_SIZE), selected),
    )


@bp.route("/awards/types", methods=["GET", "POST"])
@bp.route("/awards/types/<int:type_id>", methods=["GET", "POST"])
def award_type(slug, type_id=None):
    ctx = _context(slug)
    ctx.require("award_type:manage")
    existing = access.get_award_type(ctx, type_id) if type_id is not None else None
    form = AwardTypeForm(obj=existing)
    if form.validate_on_submit():
        try:
            services.save_award_type(
                ctx,
                existing,
                name=form.name.data,
                description=form.description.data or "",
                badge=form.badge.data,
                per_reading_limit=form.per_reading_limit.data,
            )
        except services.ModerationError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"Award “{form.name.data.strip()}” saved.", "success")
            return redirect(url_for("moderation.award_type", slug=slug))
    return render_template(
        "moderation/award_types.html",
        ctx=ctx,
        form=form,
        editing=existing,
        types=queries.award_types(ctx),
        button=EmptyForm(),
    )


@bp.post("/awards/types/<int:type_id>/delete")
def delete_award_type(slug, type_id):
    ctx = _context(slug)
    ctx.require("award_type:manage")
    services.delete_award_type(ctx, access.get_award_type(ctx, type_id))
    flash("Award type deleted.", "success")
    return redirect(url_for("moderation.award_type", slug=slug))


@bp.post(TARGET + "/awards")
def give_award(slug, kind, item_id):
    ctx = _context(slug)
    ctx.require("post:award")
    target = access.get_target(ctx, kind, item_id)
    form = AwardForm()
    form.award_type_id.choices = [(t.id, t.name) for t in queries.award_types(ctx)]
    if not form.validate_on_submit():
        flash("Choose an award.", "error")
        return _back(slug, target)
    try:
        services.give_award(ctx, target, access.get_award_type(ctx, form.award_type_id.data), form.note.data or "")
    except services.ModerationError as error:
        flash(str(error), "error")
    else:
        flash("Award given.", "success")
    return _back(slug, target)


@bp.post("/awards/<int:award_id>/revoke")
def revoke_award(slug, award_id):
    ctx = _context(slug)
    ctx.require("post:award")
    award = access.get_award(ctx, award_id)
    target = services.award_target(award)
    services.revoke_award(ctx, award)
    flash("Award taken back.", "success")
    return _back(slug, target)


# Moderation ----------------------------------------------------------------------------------------------------


@bp.post("/roster/<int:membership_id>/hold")
def hold_member(slug, membership_id):
    ctx = _context(slug)
    ctx.require("member:hold")
    membership = access.get_membership(ctx, membership_id)
    hold = request.form.get("hold", "1") == "1"
    name = membership.user.display_name
    message = (
        f"{name}'s new responses and comments now wait for approval."
        if hold
        else f"{name}'s contributions follow the course's policy again."
    )
    _act(lambda: services.set_hold(ctx, membership, hold), message)
    return redirect(url_for("courses.roster", slug=slug))


@bp.get("/moderation")
def queue(slug):
    ctx = _context(slug)
    ctx.require("queue:view")
    return render_template(
        "moderation/queue.html",
        ctx=ctx,
        posts=queries.held_posts(ctx, Window.from_request(QUEUE_PAGE_SIZE, "posts_", descending=False)),
        comments=queries.held_comments(ctx, Window.from_request(QUEUE_PAGE_SIZE, "comments_", descending=False)),
        reports=queries.open_reports(ctx, Window.from_request(QUEUE_PAGE_SIZE, "reports_", descending=False)),
        counts=queries.queue_counts(ctx),
        reason_form=ReasonForm(),
    )


@bp.post(TARGET + "/approve")
def approve(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    _act(lambda: services.approve(ctx, target), "Approved: the class can see it now.")
    return _back(slug, target)


@bp.route(TARGET + "/hide", methods=["GET", "POST"])
def hide(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    ctx.require("post:moderate" if kind == "posts" else "comment:moderate")
    form = ReasonForm()
    hidden_message = "Hidden from the class. The author sees why."
    if form.validate_on_submit() and _act(lambda: services.hide(ctx, target, form.reason.data), hidden_message):
        return _back(slug, target)
    return render_template(
        "moderation/hide.html",
        ctx=ctx,
        target=target,
        form=form,
        next=safe_next(request.values.get("next")) or _page_of(slug, target),
    ), (422 if form.is_submitted() else 200)


@bp.post(TARGET + "/unhide")
def unhide(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    _act(lambda: services.unhide(ctx, target), "Visible to the class again.")
    return _back(slug, target)


@bp.post(TARGET + "/remove")
def remove(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    ctx.require("post:moderate" if kind == "posts" else "comment:moderate")
    back = url_for("courses.home", slug=slug) if kind == "posts" else _page_of(slug, target)
    here = _page_of(slug, target)
    if not _act(
        lambda: services.delete_permanently(ctx, target, request.form.get("reason", "")), "Deleted permanently."
    ):
        return redirect(safe_next(request.form.get("next")) or here)
    return redirect(safe_next(request.form.get("next")) or back)


@bp.post("/posts/<int:post_id>/lock")
def lock(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    locked = request.form.get("locked", "1") == "1"
    _act(lambda: services.set_locked(ctx, post, locked), "Comments closed." if locked else "Comments reopened.")
    return _back(slug, post)


@bp.post("/posts/<int:post_id>/pin")
def pin(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    pinned = request.form.get("pinned", "1") == "1"
    _act(lambda: services.set_pinned(ctx, post, pinned), "Pinned." if pinned else "Unpinned.")
    return _back(slug, post)


def _act(action, success: str) -> bool:
    """Run a service action; flash its refusal (a ModerationError) or the success message."""
    try:
        action()
    except services.ModerationError as error:
        flash(str(error), "error")
        return False
    flash(success, "success")
    return True


# Reports -------------------------------------------------------------------------------------------------------


@bp.route(TARGET + "/report", methods=["GET", "POST"])
@rate_limits.posting
def report(slug, kind, item_id):
    ctx = _context(slug)
    target = access.get_target(ctx, kind, item_id)
    ctx.require("report:create")
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report(ctx, target, form.reason.data)
        except services.ModerationError as error:
            form.reason.errors.append(str(error))
        else:
            flash("Thank you. The instructors will look at it.", "success")
            return redirect(_page_of(slug, target))
    return render_template("moderation/report.html", ctx=ctx, target=target, form=form, back=_page_of(slug, target)), (
        422 if form.is_submitted() else 200
    )


@bp.post("/reports/<int:report_id>/dismiss")
def dismiss_report(slug, report_id):
    ctx = _context(slug)
    ctx.require("queue:view")
    item = access.get_report(ctx, report_id)
    _act(lambda: services.dismiss_report(ctx, item), "Report dismissed.")
    return redirect(url_for("moderation.queue", slug=slug))


# Revisions and the audit log -----------------------------------------------------------------------------------


@bp.get("/posts/<int:post_id>/revisions")
def revisions(slug, post_id):
    ctx = _context(slug)
    post = access.get_post(ctx, post_id)
    if not ctx.may_read_revisions(post):
        abort(403)
    rows = db.session.execute(
        select(PostRevision, User)
        .join(User, User.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
    ).all()
    return render_template("moderation/revisions.html", ctx=ctx, post=post, rows=rows)


@bp.get("/comments/<int:comment_id>/revisions")
def comment_revisions(slug, comment_id):
    """A comment's earlier texts, for its author and staff (classmates: 403; a comment they cannot read: 404). Staff
    also read those of a deleted comment (its author, as everyone else, no longer finds it)."""
    ctx = _context(slug)
    comment = access.get_comment(ctx, comment_id, include_deleted=True)
    if not ctx.may_read_revisions(comment):
        abort(403)
    return render_template(
        "moderation/comment_revisions.html",
        ctx=ctx,
        comment=comment,
        post=comment.post,
        revisions=queries.comment_revisions(comment),
    )


@bp.get("/audit")
def audit(slug):
    ctx = _context(slug)
    ctx.require("audit:read")
    action = request.args.get("action") or None
    if action is not None and action not in queries.AUDIT_ACTIONS:
        abort(404)
    # The form only sends members' ids; anything no id can be (not a number, or too large) is ignored like "abc".
    actor_id = request.args.get("actor", type=database_id)
    from ..courses.services import roster

    members = db.session.execute(roster(ctx.course)).all()
    return render_template(
        "moderation/audit.html",
        ctx=ctx,
        entries=queries.audit_log(ctx, Window.from_request(AUDIT_PAGE_SIZE), action=action, actor_id=actor_id),
        actions=queries.AUDIT_ACTIONS,
        action=action,
        actor_id=actor_id,
        members=members,
    )
