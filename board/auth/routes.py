"""Register, log in and out, and the account page."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_url

from .. import rate_limits, timezones
from ..extensions import READ_METHODS, login_manager
from ..feeds import queries as feed_queries
from ..forms import EmptyForm
from ..models import User
from ..uploads import usage as upload_usage
from ..urls import referring_page, safe_next
from . import email_flows, services, sessions, throttle
from .forms import (
    BrowserTimeZoneForm,
    ConfirmRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TimeZoneForm,
)

bp = Blueprint("auth", __name__)
_SENT_TO = "registration_sent_to"  # the address the last registration link went to, for the "check your email" page
bp.add_app_template_global(sessions.browser_name, "browser_name")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return sessions.load(user_id)


@login_manager.unauthorized_handler
def send_to_log_in():
    """Flask-Login's answer (its message, then the login page with `next`), except that a form post comes back, once
    logged in, to the page the form was on: a redirect cannot send the post again (its URL may answer POST only), and
    that page is where the browser restores what was typed (board.js drafts)."""
    flash(login_manager.login_message, login_manager.login_message_category)
    back = request.url if request.method in READ_METHODS else referring_page()
    return redirect(login_url(login_manager.login_view, next_url=back))


def _start_session(user: User, remember: bool = False) -> None:
    sessions.log_in(user, remember=remember, user_agent=request.user_agent.string, address=request.remote_addr)


@bp.route("/register", methods=["GET", "POST"])
@rate_limits.registration
def register():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        email_flows.request_registration(form.email.data)
        # The same page whether or not the address has an account: only its mailbox learns which.
        session[_SENT_TO] = services.normalize_email(form.email.data)
        return redirect(url_for("auth.registration_sent"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/sent")
def registration_sent():
    """ "Check your email": what to do next, a button to send the link again, and a way to give another address. No
    login form: no account exists until the link is followed."""
    return render_template("auth/registration_sent.html", address=session.get(_SENT_TO), form=EmptyForm())


@bp.post("/register/resend")
@rate_limits.registration
def resend_registration():
    """Send the link again to the address this browser last registered (kept in its session), under the same limit
    as registering."""
    address = session.get(_SENT_TO)
    if address is None or not EmptyForm().validate_on_submit():
        flash("Enter your email address to get a link.", "info")
        return redirect(url_for("auth.register"))
    email_flows.request_registration(address)
    flash(f"We sent another link to {address}.", "success")
    return redirect(url_for("auth.registration_sent"))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token):
    pending = email_flows.pending_registration(token)
    if pending is None:
        return render_template("auth/link_invalid.html", again=url_for("auth.register"), what="registration"), 410
    taken = services.find_user(pending.email) is not None
    form = ConfirmRegistrationForm()
    if not taken and form.validate_on_submit():
        try:
            user = email_flows.complete_registration(pending, form.display_name.data, form.password.data)
        except services.AccountError:
            taken = True  # registered by someone else between the check and the insert
        else:
            if current_user.is_authenticated:
                sessions.log_out(current_user)
            session.pop(_SENT_TO, None)
            _start_session(user)
            flash("Welcome to Board. Create a course, or join one with the code your instructor gave you.", "success")
            return redirect(url_for("courses.dashboard"))
    return render_template("auth/confirm_registration.html", form=form, email=pending.email, taken=taken)


@bp.route("/password/forgot", methods=["GET", "POST"])
@rate_limits.registration
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if form.validate_on_submit():
        email_flows.request_password_reset(form.email.data)
        flash(
            f"If {services.normalize_email(form.email.data)} belongs to an account, we sent it a link to set a new "
            "password. The link works once, for an hour.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = email_flows.user_for_reset(token)
    if user is None:
        return render_template("auth/link_invalid.html", again=url_for("auth.forgot_password"), what="reset"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            sessions.log_out(current_user)  # whoever was signed in here, the browser now belongs to this account
        services.set_password(user, form.new_password.data)  # ends every session of the account
        _start_session(user)
        flash("Your new password is set, and every other session of your account is logged out.", "success")
        response = redirect(url_for("courses.dashboard"))
        throttle.set_device_cookie(response, user)
        return response
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        guard = throttle.LoginGuard(form.email.data, request.remote_addr, request.cookies.get(throttle.DEVICE_COOKIE))
        refusal = guard.refusal()
        if refusal is not None:
            page = render_template("auth/login.html", form=form, refusal=refusal)
            return page, 429, {"Retry-After": str(refusal.retry_after)}
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            guard.failed()
            form.password.errors.append("That email and password do not match an account.")
        else:
            _start_session(user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data) or url_for("courses.dashboard"))
            throttle.set_device_cookie(response, user)
            return response
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    sessions.log_out(current_user)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    which = request.form.get("which") if request.method == "POST" else None
    # Only the submitted form reads the request; the other keeps its defaults.
    profile = ProfileForm(prefix="profile", obj=current_user, formdata=None if which != "profile" else request.form)
    password = PasswordChangeForm(prefix="password", formdata=None if which != "password" else request.form)
    zone = TimeZoneForm(prefix="zone", formdata=None if which != "zone" else request.form)
    zone.time_zone.choices = timezones.choices(current_user.time_zone, course_default=True)
    if which != "zone":
        zone.time_zone.data = timezones.chosen(current_user.time_zone)  # "": the course's zone, the first choice
    if which == "zone" and zone.validate_on_submit():
        # Following the course is stored as such, so that the browser is not asked for its zone again.
        services.set_time_zone(current_user, zone.time_zone.data or timezones.FOLLOW_COURSE)
        if zone.time_zone.data:
            flash(f"Times are now shown in {zone.time_zone.data.replace('_', ' ')}.", "success")
        else:
            flash("Times are now shown in each course's time zone.", "success")
        return redirect(url_for("auth.account"))
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
            flash("Your password is changed, and every other session of your account is logged out.", "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        profile=profile,
        password=password,
        zone=zone,
        signed_in=sessions.list_for(current_user),
        feeds=feed_queries.links_for(current_user),
        uploads=upload_usage.mine_by_course(current_user),
    )


@bp.post("/account/time-zone")
@login_required
@rate_limits.posting  # one report a session: a loop of them spends the account's writing budget
def time_zone():
    """The browser's time zone, reported once by board.js while the account has none: stored only then (a zone
    chosen on the account page is never overridden). No page: 204, or 400 for a name that is not a zone."""
    form = BrowserTimeZoneForm()
    if not form.validate_on_submit():
        return "", 400
    services.set_time_zone(current_user, form.time_zone.data, only_if_unset=True)
    return "", 204


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    if not sessions.end(current_user, session_id):
        abort(404)
    if not current_user.is_authenticated:
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"))
    flash("That session is logged out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    ended = sessions.end_others(current_user)
    flash(f"Logged out everywhere else ({ended} {'session' if ended == 1 else 'sessions'}).", "success")
    return redirect(url_for("auth.account"))
