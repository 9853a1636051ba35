"""/admin/lti: the site admin registers platforms and reads the values to paste into each LMS."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from . import registration
from .forms import PlatformForm

bp = Blueprint("lti_admin", __name__, url_prefix="/admin/lti")


def tool_urls() -> dict:
    """What an LMS asks for when Board is added to it (shown on the admin page and in the CLI's output)."""
    return {
        "Login (OIDC initiation) URL": url_for("lti.login", _external=True),
        "Launch (target link and redirect) URL": url_for("lti.launch", _external=True),
        "Deep linking URL": url_for("lti.launch", _external=True),
        "Public keyset (JWKS) URL": url_for("lti.jwks", _external=True),
        "Redirect URIs": url_for("lti.launch", _external=True),
        "Domain": url_for("courses.index", _external=True).split("//", 1)[1].rstrip("/"),
        "Dynamic Registration URL (Moodle, Canvas)": url_for("lti.dynamic_register", _external=True),
    }


def _page(form: PlatformForm, status: int = 200):
    return render_template("lti/admin.html", form=form, platforms=registration.platforms(), urls=tool_urls()), status


@bp.get("/")
@login_required
def overview():
    """Registered platforms, and Board's URLs for an LMS's tool registration form."""
    if not current_user.is_admin:
        abort(404)
    return _page(PlatformForm())


@bp.post("/platforms")
@login_required
def add_platform():
    """Register a platform (or add deployment ids to one registered before)."""
    if not current_user.is_admin:
        abort(404)
    form = PlatformForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        platform = registration.add_platform(
            name=form.name.data,
            issuer=form.issuer.data,
            client_id=form.client_id.data,
            deployment_ids=form.deployment_ids.data.splitlines(),
            auth_login_url=form.auth_login_url.data,
            auth_token_url=form.auth_token_url.data,
            key_set_url=form.key_set_url.data,
            auth_audience=form.auth_audience.data,
            frame_origins=(form.frame_origins.data or "").split(),
        )
    except registration.RegistrationError as error:
        form.issuer.errors = [str(error)]
        return _page(form, 400)
    flash(f"{platform.name} is registered.", "success")
    return redirect(url_for("lti_admin.overview"))
