"""/admin: the site admin's overview of courses and accounts, and each course's upload quotas.

Site admins (made with `flask --app board create-user --admin`) see each course's title, instructors, size and
upload usage, never its content: a course's posts stay visible to its members only. Everyone else gets 404.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Course
from ..uploads import usage
from . import queries, services
from .forms import UploadQuotasForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(404)


def _prefix(course_id: int) -> str:
    return f"course-{course_id}"


def _overview(failed: UploadQuotasForm | None = None, failed_course_id: int | None = None, status: int = 200):
    courses = queries.course_rows()
    forms = {
        row.course.id: UploadQuotasForm(
            prefix=_prefix(row.course.id),
            formdata=None,
            data={"person_mb": row.course.upload_person_quota_mb, "course_mb": row.course.upload_course_quota_mb},
        )
        for row in courses
    }
    if failed is not None:
        forms[failed_course_id] = failed
    return render_template(
        "admin/overview.html",
        courses=courses,
        accounts=queries.account_rows(),
        usage=usage.by_course(),
        quota_forms=forms,
        site_limits=usage.site_defaults(),
    ), status


@bp.get("/")
@login_required
def overview():
    _require_admin()
    return _overview()


@bp.post("/courses/<int:course_id>/upload-quotas")
@login_required
def upload_quotas(course_id):
    """Set one course's upload quotas (blank: the site's default)."""
    _require_admin()
    course = db.session.get(Course, course_id) or abort(404)
    form = UploadQuotasForm(prefix=_prefix(course.id))
    if not form.validate_on_submit():
        return _overview(form, course.id, 422)
    if services.set_upload_quotas(current_user, course, person_mb=form.person_mb.data, course_mb=form.course_mb.data):
        flash(f"Upload quotas for {course.code or course.title} saved.", "success")
    return redirect(url_for("admin.overview", _anchor=f"course-{course.id}"))
