"""Notifications pages: the list, opening one, "mark all read", preferences per course, watching a post, the
members list behind @name completion, and one-click unsubscribe from email."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .. import access
from ..extensions import csrf, db
from ..forms import EmptyForm
from ..keyset import Window
from ..models import Course, Membership, User
from . import batches, services
from .forms import WatchForm, preferences_form
from .models import Notification

bp = Blueprint("notifications", __name__)
PAGE_SIZE = 30
MEMBERS_SHOWN = 8  # names offered by @name completion at a time


def _user() -> User:
    return current_user._get_current_object()


@bp.app_template_global()
def unread_notification_count() -> int | None:
    """The header's count (None when it cannot be had: an error page rendered while the database is unwell)."""
    try:
        return services.unread_count(_user())
    except SQLAlchemyError:
        db.session.rollback()
        return None


@bp.get("/notifications")
@login_required
def index():
    """The signed-in person's notifications, newest first, as they may see them now."""
    user = _user()
    window = Window.from_request(PAGE_SIZE)
    query = window.apply(services.notifications_of(user), Notification.created_at, Notification.id)
    page = window.page(list(db.session.scalars(query)), lambda n: (n.created_at, n.id))
    return render_template(
        "notifications/index.html",
        page=page,
        shown=services.present(user, page.items),
        courses=_courses(user),
        button=EmptyForm(),
    )


def _courses(user: User):
    """The courses whose notification settings the page links to."""
    return db.session.scalars(
        select(Course)
        .join(Membership, Membership.course_id == Course.id)
        .where(Membership.user_id == user.id)
        .order_by(Course.title)
    ).all()


@bp.post("/notifications/read-all")
@login_required
def read_all():
    """Mark every notification read: the header count is zero afterwards."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_all_read(_user())
    flash("All notifications marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id):
    """Mark one notification read and go to what it is about (if the reader may still see it)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    shown = services.open_notification(_user(), notification_id)
    if shown is None:
        abort(404)
    if not shown.visible or shown.path is None:
        flash("That is no longer available.", "info")
        return redirect(url_for("notifications.index"))
    return redirect(shown.path)


@bp.route("/c/<slug>/notifications", methods=["GET", "POST"])
@login_required
def preferences(slug):
    """How each kind of notification in this course reaches the viewer, and the switch for all email."""
    ctx = access.course_context(_user(), slug)
    kinds = services.kinds_for(ctx)
    form = preferences_form(kinds, services.preferences(ctx), ctx.user.email_notifications)
    if form.validate_on_submit():
        services.save_preferences(ctx, {kind: form[kind].data for kind in kinds}, form.email_notifications.data)
        flash("Notification settings saved.", "success")
        return redirect(url_for("notifications.preferences", slug=slug))
    return render_template("notifications/preferences.html", ctx=ctx, form=form, kinds=kinds)


@bp.post("/c/<slug>/posts/<int:post_id>/watch")
@login_required
def watch(slug, post_id):
    """Watch, stop watching or mute a post."""
    ctx = access.course_context(_user(), slug)
    post = access.get_post(ctx, post_id)
    form = WatchForm()
    if form.validate_on_submit():
        services.set_watch_level(ctx, post, form.level.data)
        flash("Notification setting for this post saved.", "success")
    else:
        flash("Choose watching, not watching or muted.", "error")
    return redirect(url_for("posts.show", slug=slug, post_id=post.id, _anchor="watch"))


@bp.get("/c/<slug>/members.json")
@login_required
def members(slug):
    """Names for @name completion: members of this course only, and only for its members."""
    ctx = access.course_context(_user(), slug)
    prefix = (request.args.get("q") or "").strip().lower()[:80]
    names = db.session.scalars(
        select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == ctx.course.id, User.id != ctx.user.id)
        .where(func.lower(User.display_name).startswith(prefix, autoescape=True))
        .order_by(User.display_name)
        .limit(MEMBERS_SHOWN)
    ).all()
    response = jsonify(members=[{"name": name} for name in names])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token):
    """The page an email's unsubscribe link opens: one button (a GET never changes anything)."""
    user = services.user_for_unsubscribe(token)
    if user is None:
        return render_template("notifications/unsubscribe.html", user=None), 404
    return render_template("notifications/unsubscribe.html", user=user, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail clients post "List-Unsubscribe=One-Click" without a session; the signed token is the proof
def unsubscribe(token):
    """Turn off all notification email for the account the signed token names (no login needed)."""
    user = services.user_for_unsubscribe(token)
    if user is None:
        return render_template("notifications/unsubscribe.html", user=None), 404
    services.unsubscribe(user)
    return render_template("notifications/unsubscribe.html", user=user, done=True)


@bp.get("/notifications/switch/<token>")
def switch_page(token):
    """The page a batched email's "email me at once / daily / stop" link opens: one button (a GET changes nothing).
    The signed token is the proof, as for unsubscribe: no login needed."""
    switch = batches.switch_for(token)
    if switch is None:
        return render_template("notifications/switch.html", switch=None), 404
    return render_template("notifications/switch.html", switch=switch, form=EmptyForm(), done=False)


@bp.post("/notifications/switch/<token>")
def switch(token):
    """Make the switch the signed token names: those kinds, in that course, come as it says from now on."""
    found = batches.switch_for(token)
    if found is None:
        return render_template("notifications/switch.html", switch=None), 404
    form = EmptyForm()
    if not form.validate_on_submit():
        expired = "That page had expired; press the button again."
        return render_template("notifications/switch.html", switch=found, form=form, done=False, error=expired), 400
    batches.apply_switch(found)
    return render_template("notifications/switch.html", switch=found, form=form, done=True)
