"""Register, log in and out, and the account page."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter, login_manager
from ..models import User
from ..urls import safe_next
from . import services
from .forms import LoginForm, PasswordChangeForm, ProfileForm, RegisterForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    from ..extensions import db

    return db.session.get(User, int(user_id))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.display_name.data, form.password.data)
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            login_user(user)
            flash("Welcome to Board. Create a course, or join one with the code your instructor gave you.", "success")
            return redirect(url_for("courses.dashboard"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("That email and password do not match an account.")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or url_for("courses.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    which = request.form.get("which") if request.method == "POST" else None
    # Only the submitted form reads the request; the other keeps its defaults.
    profile = ProfileForm(prefix="profile", obj=current_user, formdata=None if which != "profile" else request.form)
    password = PasswordChangeForm(prefix="password", formdata=None if which != "password" else request.form)
    if which == "profile" and profile.validate_on_submit():
        services.update_profile(current_user, profile.display_name.data)
        flash("Your display name is saved.", "success")
        return redirect(url_for("auth.account"))
    if which == "password" and password.validate_on_submit():
        try:
            services.change_password(current_user, password.current_password.data, password.new_password.data)
        except services.AccountError as error:
            password.current_password.errors.append(str(error))
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", profile=profile, password=password)
