"""Dashboard, course creation and joining, the course home, people, roster and settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import access
from ..desk import participation
from ..extensions import db
from ..feeds.tokens import token_for as feed_token_for
from ..forms import EmptyForm
from ..keyset import Window
from ..models import utcnow
from ..moderation import queries as moderation_queries
from ..notifications import unread
from ..posts import queries
from ..uploads import usage as upload_usage
from . import services
from .forms import CourseForm, JoinForm, RoleForm, SettingsForm
from .weeks import current_week_first

bp = Blueprint("courses", __name__)
HOME_LIST_SIZE = 10  # latest responses and recent comments on the course home
PERSON_PAGE_SIZE = 20  # each of a person's lists (responses, comments, awards) pages by this many


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    return redirect(url_for("auth.login"))


@bp.get("/courses")
@login_required
def dashboard():
    rows = db.session.execute(services.courses_of(current_user)).all()
    return render_template(
        "courses/dashboard.html",
        rows=rows,
        news=unread.course_news(current_user, rows),
        join_form=JoinForm(),
        course_form=CourseForm(),
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():
    form = CourseForm()
    if form.validate_on_submit():
        course = services.create_course(
            current_user,
            title=form.title.data,
            code=form.code.data or "",
            term=form.term.data or "",
            description=form.description.data or "",
        )
        flash("Course created. Share the student join code so your class can join.", "success")
        return redirect(url_for("courses.roster", slug=course.slug))
    return render_template("courses/new.html", form=form)


@bp.post("/courses/join")
@login_required
def join():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            course, membership, joined = services.join_by_code(current_user, form.code.data)
        except services.CourseError as error:
            form.code.errors.append(str(error))
        else:
            if joined:
                flash(f"You joined {course.title} as {membership.role}.", "success")
            else:
                flash(f"You are already in {course.title}.", "info")
            return redirect(url_for("courses.home", slug=course.slug))
    rows = db.session.execute(services.courses_of(current_user)).all()
    news = unread.course_news(current_user, rows)
    return render_template(
        "courses/dashboard.html", rows=rows, news=news, join_form=form, course_form=CourseForm()
    ), 422


@bp.get("/c/<slug>/")
@login_required
def home(slug):
    ctx = access.course_context(current_user, slug)
    weeks = current_week_first(queries.course_readings(ctx), utcnow())
    readings = weeks.rows
    responses = queries.latest_responses(ctx, Window(size=HOME_LIST_SIZE))
    mine = {} if ctx.is_staff else queries.own_responses(ctx)  # the statuses and the checkpoints both show it
    return render_template(
        "courses/home.html",
        ctx=ctx,
        readings=readings,
        weeks=weeks,
        statuses=queries.reading_statuses(ctx, readings, mine),
        progress=participation.student_progress(ctx, [row.post for row in readings if row.post.is_published], mine),
        responses=responses,
        news=unread.list_news(ctx, [row.post for row in (*readings, *responses)]),
        comments=queries.recent_comments(ctx, Window(size=HOME_LIST_SIZE)),
        drafts=queries.own_drafts(ctx),
        queue_size=moderation_queries.queue_size(ctx) if ctx.can("queue:view") else 0,
        feed_token=feed_token_for(ctx.user),
    )


@bp.get("/c/<slug>/people/<int:user_id>")
@login_required
def person(slug, user_id):
    ctx = access.course_context(current_user, slug)
    person, person_membership = access.get_member(ctx, user_id)
    return render_template(
        "courses/person.html",
        ctx=ctx,
        person=person,
        person_role=person_membership.role,
        responses=queries.latest_responses(ctx, Window.from_request(PERSON_PAGE_SIZE, "responses_"), author_id=user_id),
        comments=queries.recent_comments(ctx, Window.from_request(PERSON_PAGE_SIZE, "comments_"), author_id=user_id),
        awards=queries.awarded_posts(ctx, Window.from_request(PERSON_PAGE_SIZE, "awards_"), author_id=user_id),
    )


@bp.get("/c/<slug>/roster")
@login_required
def roster(slug):
    ctx = access.course_context(current_user, slug)
    ctx.require("course:roster")
    rows = db.session.execute(services.roster(ctx.course)).all()
    return render_template("courses/roster.html", ctx=ctx, rows=rows, role_form=RoleForm(), button=EmptyForm())


@bp.post("/c/<slug>/roster/<int:membership_id>/role")
@login_required
def change_role(slug, membership_id):
    ctx = access.course_context(current_user, slug)
    ctx.require("course:roster")
    membership = access.get_membership(ctx, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(ctx.course, membership, form.role.data)
        except services.CourseError as error:
            flash(str(error), "error")
        else:
            flash(f"{membership.user.display_name} is now {membership.role}.", "success")
    return redirect(url_for("courses.roster", slug=slug))


@bp.post("/c/<slug>/roster/<int:membership_id>/remove")
@login_required
def remove_member(slug, membership_id):
    ctx = access.course_context(current_user, slug)
    ctx.require("course:roster")
    membership = access.get_membership(ctx, membership_id)
    name = membership.user.display_name
    try:
        services.remove_member(ctx.course, membership)
    except services.CourseError as error:
        flash(str(error), "error")
    else:
        flash(f"{name} was removed from the course.", "success")
    return redirect(url_for("courses.roster", slug=slug))


@bp.post("/c/<slug>/join-codes/<which>/regenerate")
@login_required
def regenerate_code(slug, which):
    ctx = access.course_context(current_user, slug)
    ctx.require("course:join_codes")
    try:
        services.regenerate_join_code(ctx.course, which)
    except services.CourseError:
        abort(404)
    flash(f"A new {which} join code is ready; the old one no longer works.", "success")
    return redirect(url_for("courses.roster", slug=slug))


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug):
    ctx = access.course_context(current_user, slug)
    ctx.require("course:settings")
    form = SettingsForm(obj=ctx.course)
    if form.validate_on_submit():
        services.update_course(
            ctx,
            **{name: getattr(form, name).data or "" for name in ("title", "code", "term", "description")},
            **{name: getattr(form, name).data for name in (*ctx.course.SETTINGS, *form.DATES)},
        )
        flash("Course settings saved.", "success")
        return redirect(url_for("courses.settings", slug=slug))
    return render_template(
        "courses/settings.html",
        ctx=ctx,
        form=form,
        upload_usage=upload_usage.of_course(ctx.course),
        largest_uploaders=upload_usage.largest_uploaders(ctx.course),
    ), 422 if form.is_submitted() else 200
