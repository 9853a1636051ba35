"""/lti: Board's JWKS, the OIDC login and launch, the "open in a new window" step and an instructor's first launch.

The login and launch are posted by the LMS (no CSRF token can come with them); what guards them is the signed
state, the nonce bound to this browser's cookie and the id_token's signature. Their pages may be framed by the
registered platforms only."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from ..auth import sessions
from ..courses import services as courses_services
from ..extensions import csrf, db
from ..forms import EmptyForm
from ..models import Course
from ..urls import safe_next
from . import deep_linking as dl
from . import dynamic_registration, keys, pending, people, registration, roster
from . import launch as lti_launch
from .forms import CourseSetupForm, DeepLinkForm, IdentityForm
from .models import LtiContext, LtiPlatform

bp = Blueprint("lti", __name__, url_prefix="/lti")
PENDING = "lti_pending_context"
DEEP_LINK = "lti_deep_link_request"
RACED = "Board was already setting this up from another launch. Open Board from your LMS again."
STATE_COOKIE_PATH = "/lti/"
# Board's cookies on the launch path: sent with the platform's cross-site post, and kept apart per top-level site.
_LTI_COOKIE = {"path": STATE_COOKIE_PATH, "secure": True, "httponly": True, "samesite": "None", "partitioned": True}


# The pages the LMS shows in its iframe, during a launch. Every other page (linking an account, confirming a dynamic
# registration…) keeps frame-ancestors 'none': framed, it could be clickjacked.
FRAMED = {"lti.login", "lti.launch", "lti.identity", "lti.signed_in", "lti.course_setup", "lti.deep_link"}
FRAMED_TARGETS = ("lti.course_setup", "lti.deep_link")  # where a launch may send the browser, framed still


@bp.after_request
def _framed_by_platforms(response):
    # Only the registered platforms may frame the launch pages (no other site, nor any other page of Board).
    if request.endpoint in FRAMED:
        g.frame_ancestors = " ".join(["'self'", *registration.platform_origins()])
    return response


def _deep_link_course(request_data: dict):
    """The course an instructor's pending deep linking request is about, if they may choose for it (else 404)."""
    platform = db.session.get(LtiPlatform, request_data.get("platform_id"))
    context_id = request_data.get("context_id")
    context = (
        platform and context_id and people.context_of(platform, {lti_launch.CLAIM + "context": {"id": context_id}})
    )
    if context is None:
        abort(404)
    course = db.session.get(Course, context.course_id)
    membership = courses_services.membership_of(current_user, course)
    if membership is None or membership.role not in (people.Role.INSTRUCTOR, people.Role.ASSISTANT):
        abort(404)
    return course


@bp.get("/jwks.json")
def jwks():
    """Board's public keys (the current one and those retired lately), for platforms to check what Board signs."""
    response = jsonify(keys.published_keys())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    """Third-party initiated login: send the browser to the platform with a state and a nonce."""
    params = request.values.to_dict()
    try:
        started = lti_launch.begin_login(params, launch_url=url_for("lti.launch", _external=True), host=request.host)
    except lti_launch.LaunchRefused as refused:
        return _refused(refused)
    response = redirect(started.redirect_url, code=302)
    response.set_cookie(
        started.cookie_name,
        started.cookie_value,
        max_age=lti_launch.STATE_MAX_AGE,
        path=STATE_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
    )
    return response


@bp.post("/launch")
@csrf.exempt
def launch():
    """The platform posts the id_token here: check it, find or make the account, course and membership, sign in.
    An LMS user Board has not seen goes on to the identity page first (the launch is a cross-site post, which
    carries no Board session: whether they already have an account is asked on Board's own site)."""
    try:
        accepted = lti_launch.check_launch(
            request.form.to_dict(), request.cookies, host=request.host, secure=request.is_secure
        )
        if people.linked_user(accepted.platform, str(accepted.claims["sub"])[:255]) is None:
            _check_admissible(accepted)
            public_id, secret = pending.keep(accepted.platform, accepted.claims, accepted.login_params)
            db.session.commit()
            response = redirect(url_for("lti.identity", public_id=public_id), code=303)
            response.set_cookie(
                pending.COOKIE_PREFIX + public_id,
                secret,
                max_age=int(pending.KEPT.total_seconds()),
                **_LTI_COOKIE,
            )
            return _without_state_cookie(accepted, response)
        user, target, kept = _admit(accepted)
        db.session.commit()
    except lti_launch.LaunchRefused as refused:
        db.session.rollback()
        return _refused(refused)
    except IntegrityError:
        # Another launch of the same person or LMS course (a double click) made the same rows first.
        db.session.rollback()
        return _refused(lti_launch.LaunchRefused(RACED, status=409))
    _sign_in(user, kept)
    return _without_state_cookie(
        accepted, redirect(url_for("lti.signed_in", next=target, **accepted.login_params), code=303)
    )


def _sign_in(user, kept: dict) -> None:
    """Sign `user` in. Nothing of whoever used this browser before survives; what the launch leaves for later is tied
    to the person it signs in (course_setup and deep_link check it)."""
    session.clear()
    sessions.log_in(user, remember=False, user_agent=request.user_agent.string, address=request.remote_addr)
    session.update({name: {**value, "user_id": user.id} for name, value in kept.items()})


def _without_state_cookie(accepted: lti_launch.Launch, response):
    """This launch's state cookie deleted (only its own: another tab's launch may be under way)."""
    response.delete_cookie(accepted.state_cookie, **_LTI_COOKIE)
    return response


def _check_admissible(accepted: lti_launch.Launch) -> people.Role:
    """The launch's Board role, if Board can admit it as it stands; raises LaunchRefused (nothing written)."""
    platform, claims = accepted.platform, accepted.claims
    role = people.board_role(claims.get(lti_launch.CLAIM + "roles"))
    if role is None:
        raise lti_launch.LaunchRefused(
            "Your role in this LMS course gives no access to Board (it admits instructors, teaching assistants and "
            "students; observers and mentors are not admitted).",
            status=403,
        )
    if dl.is_deep_linking(claims) and role not in (people.Role.INSTRUCTOR, people.Role.ASSISTANT):
        raise lti_launch.LaunchRefused("Only the course's staff may choose what an LMS link opens.", status=403)
    if people.context_of(platform, claims) is None:
        if people.pending_context(platform, claims) is None:
            raise lti_launch.LaunchRefused("Open Board from inside a course in your LMS.")
        if role != people.Role.INSTRUCTOR:
            raise lti_launch.LaunchRefused(
                "Your instructor has not set up Board for this course yet. Try again after they open it from the LMS.",
                status=409,
            )
    return role


def _admit(accepted: lti_launch.Launch, *, link_to=None):
    """The launch's account (`link_to`: a signed-in person who chose it, for an LMS user Board has not seen), where
    it goes, and what to keep in the session for the next page (a pending course setup, a deep linking request);
    raises LaunchRefused for a role or course Board cannot admit."""
    platform, claims = accepted.platform, accepted.claims
    role = _check_admissible(accepted)
    context = people.context_of(platform, claims)
    deep_linking = dl.is_deep_linking(claims)
    kept = {}
    if deep_linking:
        kept[DEEP_LINK] = dl.pending_request(platform, claims)
    if context is None:
        user = people.account_for(platform, claims, link_to=link_to)
        kept[PENDING] = people.pending_context(platform, claims)
        return user, url_for("lti.course_setup"), kept
    people.note_services(context, claims)
    user = people.account_for(platform, claims, link_to=link_to)
    course = db.session.get(Course, context.course_id)
    people.enrol(context, course, user, role)
    if role == people.Role.INSTRUCTOR:
        roster.queue_sync(context)  # after this launch commits: who is in the LMS course now
    if deep_linking:
        return user, url_for("lti.deep_link"), kept
    if (reading := dl.target_reading(claims, course)) is not None:
        dl.note_line_item(context, reading, claims)
        return user, url_for("posts.show", slug=course.slug, post_id=reading.id), kept
    return user, url_for("courses.home", slug=course.slug), kept


GONE = (
    "This sign-in from your LMS has expired, was already used, or began in another browser. Open Board from your "
    "LMS again."
)


@bp.route("/identity/<public_id>", methods=["GET", "POST"])
def identity(public_id: str):
    """An LMS user Board has not seen: link them to the account signed in here, or make them a new one (a POST).
    Once per LMS identity and per account on that LMS; never by matching email."""
    waiting = pending.find(public_id, request.cookies.get(pending.COOKIE_PREFIX + public_id))
    if waiting is None:
        return render_template("lti/refused.html", reason=GONE), 410
    signed_in = current_user._get_current_object() if current_user.is_authenticated else None
    can_link = signed_in is not None and not people.has_link(waiting.platform, signed_in)
    form = IdentityForm()
    if form.validate_on_submit():
        link_to = None
        if form.choice.data == "link":
            if not can_link:
                form.choice.errors = ["Sign in to the Board account to link first (one LMS identity per account)."]
                return _identity_page(waiting, form, signed_in, can_link), 400
            link_to = signed_in
        if not pending.use(waiting):
            db.session.rollback()
            return render_template("lti/refused.html", reason=GONE), 410
        accepted = lti_launch.Launch(waiting.platform, waiting.claims, waiting.login_params)
        try:
            user, target, kept = _admit(accepted, link_to=link_to)
            db.session.commit()
        except lti_launch.LaunchRefused as refused:
            db.session.rollback()
            return _refused(refused)
        except IntegrityError:
            db.session.rollback()
            return _refused(lti_launch.LaunchRefused(RACED, status=409))
        _sign_in(user, kept)
        response = redirect(url_for("lti.signed_in", next=target, **waiting.login_params), code=303)
        response.delete_cookie(pending.COOKIE_PREFIX + public_id, **_LTI_COOKIE)
        return response
    status = 400 if request.method == "POST" else 200
    return _identity_page(waiting, form, signed_in, can_link), status


def _identity_page(waiting: pending.Pending, form, signed_in, can_link: bool) -> str:
    claims = waiting.claims
    return render_template(
        "lti/identity.html",
        form=form,
        signed_in=signed_in,
        can_link=can_link,
        lms_name=waiting.platform.name or waiting.platform.issuer,
        lms_person=people.display_name(waiting.platform, claims),
        lms_email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        framed=request.headers.get("Sec-Fetch-Dest") == "iframe",
        retry=waiting.login_params,
    )


@bp.get("/signed-in")
def signed_in():
    """After a launch: on to Board if this browser kept the sign-in, else offer to open Board in a new window."""
    target = safe_next(request.args.get("next")) or url_for("courses.dashboard")
    if current_user.is_authenticated:
        framed_page = urlsplit(target).path in {url_for(endpoint) for endpoint in FRAMED_TARGETS}
        if request.headers.get("Sec-Fetch-Dest") == "iframe" and not framed_page:
            # Signed in inside the LMS's frame (Board shares its site), but Board's other pages refuse to be
            # framed: redirecting would leave a blank frame, so offer the page in a tab of its own.
            return render_template("lti/open_board.html", target=target)
        return redirect(target)
    retry = {name: request.args[name] for name in lti_launch.LOGIN_PARAMS if request.args.get(name)}
    return render_template("lti/new_window.html", retry=retry, reason=None), 200


def _refused(refused: lti_launch.LaunchRefused):
    template = "lti/new_window.html" if refused.retry else "lti/refused.html"
    return render_template(template, reason=refused.reason, retry=refused.retry), refused.status


def _kept_for_me(name: str) -> dict:
    """What a launch kept in the session under `name` for the person it signed in; 404 for anyone else."""
    kept = session.get(name)
    if not isinstance(kept, dict) or kept.get("user_id") != current_user.id:
        abort(404)
    return kept


@bp.route("/course-setup", methods=["GET", "POST"])
@login_required
def course_setup():
    """An instructor's first launch from an LMS course: make a new Board course for it, or link one of theirs."""
    pending = _kept_for_me(PENDING)
    if db.session.get(LtiPlatform, pending.get("platform_id")) is None:
        abort(404)
    mine = people.my_courses(current_user)
    form = CourseSetupForm()
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in mine]
    if form.validate_on_submit():
        try:
            if form.choice.data == "existing":
                course = next((c for c in mine if c.id == form.course_id.data), None)
                if course is None:
                    form.course_id.errors = ["Choose one of your courses."]
                    return render_template("lti/course_setup.html", form=form, pending=pending, mine=mine), 400
                people.link_context(pending, course)
            else:
                course = people.new_course_for(current_user, pending)
        except IntegrityError:
            db.session.rollback()  # the LMS course was linked meanwhile (another instructor, another tab)
            session.pop(PENDING, None)
            return _refused(lti_launch.LaunchRefused(RACED, status=409))
        roster.queue_sync(db.session.scalar(select(LtiContext).where(LtiContext.course_id == course.id)))
        db.session.commit()
        session.pop(PENDING, None)
        flash(f"{pending['title']} in your LMS now opens {course.title} in Board.", "success")
        if session.get(DEEP_LINK):
            return redirect(url_for("lti.deep_link"))
        return redirect(url_for("courses.home", slug=course.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("lti/course_setup.html", form=form, pending=pending, mine=mine), status


@bp.get("/link")
@login_required
def link():
    """How to make the LMS open this account: open Board from the LMS while signed in here; Board then asks."""
    return render_template("lti/link.html")


@bp.route("/deep-link", methods=["GET", "POST"])
@login_required
def deep_link():
    """Choose what the LMS link opens (the course home or one reading); answers the LMS with a signed response."""
    request_data = _kept_for_me(DEEP_LINK)
    course = _deep_link_course(request_data)
    readings = dl.readings(course)
    form = DeepLinkForm()
    form.target.choices = [SelectChoice("home", f"The course home ({course.title})")] + [
        SelectChoice(str(r.id), r.title + (f" · graded out of {r.max_points:g}" if r.max_points else ""))
        for r in readings
    ]
    if form.validate_on_submit():
        reading = next((r for r in readings if str(r.id) == form.target.data), None)
        token = dl.response_jwt(request_data, course, reading, url_for("lti.launch", _external=True))
        return_url = request_data["settings"].get("deep_link_return_url", "")
        parts = urlsplit(return_url)  # from the platform's signed id_token
        if parts.scheme not in ("https", "http") or not parts.netloc:
            abort(400)
        session.pop(DEEP_LINK, None)
        g.form_action = f"{parts.scheme}://{parts.netloc}"
        return render_template("lti/deep_link_return.html", return_url=return_url, token=token, course=course)
    status = 400 if request.method == "POST" else 200
    return render_template("lti/deep_link.html", form=form, course=course), status


@bp.route("/register", methods=["GET", "POST"])
@login_required
def dynamic_register():
    """LTI Dynamic Registration, opened by the LMS: a site admin confirms, then Board and the LMS register each other."""
    if not current_user.is_admin:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    openid_configuration = source.get("openid_configuration", "")
    registration_token = source.get("registration_token", "")
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        try:
            platform = dynamic_registration.register(openid_configuration, registration_token)
        except dynamic_registration.DynamicRegistrationError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            keys.signing_key()
            return render_template("lti/registered.html", platform=platform)
    page = render_template(
        "lti/register.html",
        form=form,
        error=error,
        host=urlsplit(openid_configuration).netloc or "(no address given)",
        openid_configuration=openid_configuration,
        registration_token=registration_token,
    )
    return page, 400 if request.method == "POST" else 200
