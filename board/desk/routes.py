"""The instructor's desk: a reading's responses view and nudge, the course's participation dashboard, the CSVs."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..forms import EmptyForm
from ..models import Post
from . import csv, grading, nudges, participation
from .chart import weekly_chart
from .grading_forms import WALK_PREFIX, GradeForm
from .models import Grade
from .next_step import REPLY, next_step, short_response

bp = Blueprint("desk", __name__, url_prefix="/c/<slug>/desk")
bp.add_app_template_global(short_response)  # the course home's progress lines (courses/home.html)


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str, permission: str = "desk:view") -> access.CourseContext:
    ctx = access.course_context(current_user._get_current_object(), slug)
    ctx.require(permission)
    return ctx


def _reading(ctx: access.CourseContext, reading_id: int) -> Post:
    reading = access.get_post(ctx, reading_id)
    if not reading.is_reading or reading.deleted_at is not None:
        abort(404)
    return reading


@bp.get("/")
def dashboard(slug):
    ctx = _context(slug)
    data = participation.for_course(ctx)
    return render_template(
        "desk/dashboard.html", ctx=ctx, data=data, chart=weekly_chart(data.weeks) if data.weeks else None
    )


@bp.get("/gradebook.csv")
def gradebook_csv(slug):
    ctx = _context(slug)
    return _csv(csv.gradebook(participation.for_course(ctx)), f"{ctx.course.slug}-gradebook.csv")


@bp.get("/readings/<int:reading_id>/")
def responses(slug, reading_id):
    ctx = _context(slug)
    reading = _reading(ctx, reading_id)
    order = participation.ViewOrder.from_args(request.args)
    cells = participation.for_reading(ctx, reading).column(reading)
    return render_template(
        "desk/responses.html",
        ctx=ctx,
        reading=reading,
        order=order,
        cells=order.apply(cells),
        everyone=cells,
        uncommented=[c for c in cells if c.responded and c.received == 0],
        missing=sum(1 for c in cells if not c.responded),
        sorts=participation.SORTS,
        filters=participation.FILTERS,
        button=EmptyForm(),
    )


@bp.get("/readings/<int:reading_id>/responses.csv")
def reading_csv(slug, reading_id):
    ctx = _context(slug)
    reading = _reading(ctx, reading_id)
    return _csv(csv.reading_csv(participation.for_reading(ctx, reading)), f"{ctx.course.slug}-reading-{reading.id}.csv")


@bp.post("/readings/<int:reading_id>/nudge")
def nudge(slug, reading_id):
    ctx = _context(slug, "desk:nudge")
    reading = _reading(ctx, reading_id)
    order = participation.ViewOrder.from_args(request.args)
    back = redirect(url_for("desk.responses", slug=slug, reading_id=reading.id, **order.args()))
    try:
        result = nudges.send_nudges(ctx, reading)
    except nudges.NudgeError as error:
        flash(str(error), "error")
        return back
    if result.sent:
        flash(f"Reminder sent to {len(result.sent)} {'student' if len(result.sent) == 1 else 'students'}.", "success")
    if result.already:
        flash(f"{len(result.already)} already reminded today for this reading: not sent again.", "info")
    if not result.sent and not result.already:
        flash("Everyone has responded: nobody to remind.", "info")
    return back


def _csv(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _own_response_to(ctx: access.CourseContext, post: Post) -> Post | None:
    """The reading `post` answers, when `post` is the student viewer's own published response to it: the page they
    land on after publishing leads with their next step on that reading too."""
    reading = post.reading
    if ctx.is_staff or post.is_reading or reading is None or post.author_id != ctx.user.id:
        return None
    if not post.is_published or post.deleted_at is not None or not reading.is_published:
        return None
    return reading


def viewer_columns(ctx: access.CourseContext, post: Post, walk_order: participation.ViewOrder | None = None) -> tuple:
    """Scalar columns the post page reads with the viewer's other facts (notifications.services.viewer_state): on a
    reading that asks for replies (or the student's own response to one), the student's replies toward it; on a
    response in the responses walk (`walk_order`, else the page's `from`), for graders, its author's grade.
    post_page_extras takes their values."""
    if (
        (walk_order or _walk_order()) is not None
        and not post.is_reading
        and post.reading_id is not None
        and ctx.can("grade:write")
    ):
        return grading.walk_grade_columns(ctx, post)
    reading = post if post.is_reading else _own_response_to(ctx, post)
    if reading is not None and reading.is_published and reading.required_replies and not ctx.is_staff:
        return participation.my_replies_columns(ctx, reading)
    return ()


def _walk_order() -> participation.ViewOrder | None:
    """The responses view's order a response page was opened from (`from`, in the query or the grade form)."""
    return participation.ViewOrder.from_param(request.values.get("from"))


@dataclass
class WalkGrade:
    """The grade form beside a response in the responses walk: the form (fresh, or as refused), the grade it started
    from, and a newer grade saved meanwhile (`conflict`)."""

    form: GradeForm
    grade: grading.WalkGradeState | None
    nav: participation.Neighbours
    conflict: Grade | None = None


def walk_grade(
    ctx: access.CourseContext,
    nav: participation.Neighbours | None,
    values: tuple,
    refused: GradeForm | None = None,
    conflict: Grade | None = None,
) -> WalkGrade | None:
    """The grade form for the response the walk stands on, for graders (None for anyone else); `values` are those of
    viewer_columns."""
    if nav is None or nav.current is None or not ctx.can("grade:write") or len(values) != 5:
        return None
    grade = grading.walk_grade_state(values)
    form = refused or GradeForm(
        formdata=None,
        prefix=WALK_PREFIX,
        points=grade.points if grade else None,
        feedback=grade.feedback_md if grade else "",
        version=str(grade.version if grade else 0),
    )
    return WalkGrade(form=form, grade=grade, nav=nav, conflict=conflict)


def post_page_extras(
    ctx: access.CourseContext,
    post: Post,
    *,
    unlocked: bool,
    mine: Post | None = None,
    viewer: tuple = (),
    grade_form: GradeForm | None = None,
    grade_conflict: Grade | None = None,
    walk_order: participation.ViewOrder | None = None,
) -> dict:
    """What the desk adds to a post's page: on a reading, the student's next step, checkpoints and reply
    suggestions (and the next step again on their own response, where publishing lands); on a response opened from
    the responses view (`?from=`), next and previous in that view's order and, for graders, the grade form
    (`grade_form`: one refused by grading_routes.grade_in_walk, in its order `walk_order`). `viewer` holds the
    values of viewer_columns()."""
    extras = {"desk_progress": None, "desk_suggestions": [], "desk_nav": None, "desk_next": None, "desk_grade": None}
    if post.is_reading and post.is_published:
        own = {post.id: mine} if mine is not None else {}
        replies = {post.id: viewer} if viewer else None
        extras["desk_progress"] = participation.student_progress(ctx, [post], own, replies).get(post.id)
        if unlocked and not ctx.is_staff and ctx.can("comment:create"):
            extras["desk_suggestions"] = participation.suggest_responses(ctx, post)
        if not ctx.is_staff:
            extras["desk_next"] = next_step(
                post, mine, unlocked=unlocked, progress=extras["desk_progress"], suggestions=extras["desk_suggestions"]
            )
        return extras
    order = walk_order or _walk_order()
    if order is not None:
        extras["desk_nav"] = participation.neighbours(ctx, post, order)
        extras["desk_grade"] = walk_grade(ctx, extras["desk_nav"], viewer, grade_form, grade_conflict)
    reading = _own_response_to(ctx, post)
    if reading is not None:
        replies = {reading.id: viewer} if viewer else None
        progress = participation.student_progress(ctx, [reading], {reading.id: post}, replies).get(reading.id)
        step = next_step(reading, post, unlocked=access.has_unlocked(ctx, reading), progress=progress, suggestions=[])
        if step.state == REPLY and ctx.can("comment:create"):  # suggestions show in that state only
            step.suggestions = participation.suggest_responses(ctx, reading)
        extras["desk_next"] = step
    return extras
