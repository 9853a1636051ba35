"""Grading in context (staff), releasing a reading's grades, and each student's My work page and its export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import access
from ..forms import EmptyForm
from ..models import Post
from ..posts import routes as posts_routes
from . import grading, mywork, participation
from .grading_forms import WALK_PREFIX, GradeForm

bp = Blueprint("grading", __name__, url_prefix="/c/<slug>")


@bp.before_request
@login_required
def require_login():
    """Everything in a course is for signed-in members."""


def _context(slug: str) -> access.CourseContext:
    return access.course_context(current_user._get_current_object(), slug)


def _reading(ctx: access.CourseContext, reading_id: int) -> Post:
    reading = access.get_post(ctx, reading_id)
    if not reading.is_reading:
        abort(404)
    return reading


@bp.get("/readings/<int:reading_id>/grades")
def grades(slug, reading_id):
    ctx = _context(slug)
    ctx.require("grade:write")
    reading = _reading(ctx, reading_id)
    return render_template("desk/grading_list.html", ctx=ctx, reading=reading, rows=grading.grade_list(ctx, reading))


@bp.route("/readings/<int:reading_id>/grades/<int:student_id>", methods=["GET", "POST"])
def grade(slug, reading_id, student_id):
    ctx = _context(slug)
    ctx.require("grade:write")
    reading = _reading(ctx, reading_id)
    student = access.get_student(ctx, student_id)
    page = grading.grading_page(ctx, reading, student)
    current = page.grade
    form = GradeForm(
        formdata=request.form if request.method == "POST" else None,
        points=current.points if current else None,
        feedback=current.feedback_md if current else "",
        version=str(current.version if current else 0),
    )
    saved, conflict = _save(ctx, reading, student, form)
    if saved:
        return redirect(url_for("grading.grade", slug=slug, reading_id=reading.id, student_id=student.id))
    page = grading.grading_page(ctx, reading, student) if conflict is not None else page
    status = 409 if conflict is not None else 422 if form.is_submitted() else 200
    return render_template("desk/grading.html", ctx=ctx, page=page, form=form, conflict=conflict), status


def _save(ctx, reading, student, form: GradeForm) -> tuple[bool, object]:
    """Save a sent grade form: (saved, None), or (False, the other grader's newer grade) on a conflict, or
    (False, None) with the form's errors set. On a conflict theirs is shown beside the form, which keeps what this
    grader typed and now carries the newer version, so saving again replaces theirs on purpose."""
    if not form.validate_on_submit():
        return False, None
    try:
        grading.save_grade(
            ctx,
            reading,
            student,
            points=form.points.data,
            feedback=form.feedback.data or "",
            version=form.version_number(),
        )
    except grading.GradeConflict as error:
        form.version.data = str(error.current.version)
        return False, error.current
    except grading.GradeError as error:
        form.points.errors = [*form.points.errors, str(error)]
        return False, None
    flash(f"Grade saved for {student.display_name}.", "success")
    return True, None


@bp.post("/posts/<int:post_id>/grade")
def grade_in_walk(slug, post_id):
    """The grade form beside a response in the responses walk: "Save" comes back here, "Save and next" goes on to
    the next ungraded response in the view's order (`from`). A refused form is shown again with what was typed."""
    ctx = _context(slug)
    ctx.require("grade:write")
    response = access.get_post(ctx, post_id)
    if response.is_reading or response.reading_id is None:
        abort(404)
    reading = _reading(ctx, response.reading_id)
    student = access.get_student(ctx, response.author_id)
    # A stale or crafted form without a valid `from` walks the default order: its refusal is still shown.
    order = participation.ViewOrder.from_param(request.form.get("from")) or participation.ViewOrder()
    nav = participation.neighbours(ctx, response, order)  # before saving: where "next" goes is decided now
    form = GradeForm(prefix=WALK_PREFIX)
    saved, conflict = _save(ctx, reading, student, form)
    if saved:
        return redirect(_after_walk_save(ctx, response, nav, order, onward="next" in request.form))
    status = 409 if conflict is not None else 422
    return posts_routes.render_with_grade_form(ctx, response, form, conflict, status, order)


def _after_walk_save(ctx, response, nav, order, *, onward: bool) -> str:
    slug = ctx.course.slug
    if not onward or nav is None:
        return url_for("posts.show", slug=slug, post_id=response.id, **{"from": order.param()})
    target = nav.next_ungraded
    if target is None:
        flash("Every response in this view is graded.", "info")
        return url_for("desk.responses", slug=slug, reading_id=nav.reading.id, **order.args())
    return url_for("posts.show", slug=slug, post_id=target.response_id, **{"from": order.param()})


@bp.get("/readings/<int:reading_id>/grades/release")
def confirm_release(slug, reading_id):
    ctx = _context(slug)
    ctx.require("grade:release")
    reading = _reading(ctx, reading_id)
    return render_template(
        "desk/release.html", ctx=ctx, reading=reading, check=grading.release_check(ctx, reading), form=EmptyForm()
    )


@bp.post("/readings/<int:reading_id>/grades/release")
def release(slug, reading_id):
    ctx = _context(slug)
    ctx.require("grade:release")
    reading = _reading(ctx, reading_id)
    released = request.form.get("released", "1") == "1"
    try:
        grading.set_released(ctx, reading, released, confirmed=request.form.get("confirmed") == "1")
    except grading.ReleaseNeedsConfirmation:
        return redirect(url_for("grading.confirm_release", slug=slug, reading_id=reading.id), 303)
    flash(
        "Grades released: each student now sees their own grade and feedback."
        if released
        else "Grades withdrawn: students no longer see them.",
        "success",
    )
    return redirect(url_for("grading.grades", slug=slug, reading_id=reading.id))


@bp.get("/my-work")
def my_work(slug):
    ctx = _context(slug)
    ctx.require("work:view")
    # Stored HTML was sanitised when saved (board/markdown.py): shown as it is here; the export keeps only the
    # student's own pictures, embedded (mywork.export_pictures).
    return render_template("desk/mywork.html", ctx=ctx, work=mywork.my_work(ctx), clean=Markup)


@bp.get("/my-work/export")
def export_my_work(slug):
    ctx = _context(slug)
    ctx.require("work:view")
    pictures = mywork.export_pictures(mywork.own_pictures(ctx), ctx.course.slug)
    page = render_template("desk/mywork_export.html", ctx=ctx, work=mywork.my_work(ctx), pictures=pictures)
    response = make_response(page)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    filename = f"my-work-{ctx.course.slug}.html"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
