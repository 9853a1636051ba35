"""/admin: the site admin's read-only overview of courses and accounts.

Site admins (made with `flask --app board create-user --admin`) see each course's title, instructors and size,
never its content: a course's posts stay visible to its members only. Everyone else gets 404.
"""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from . import queries

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def overview():
    if not current_user.is_admin:
        abort(404)
    return render_template("admin/overview.html", courses=queries.course_rows(), accounts=queries.account_rows())
