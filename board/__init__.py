"""Board: a classroom discussion board. create_app() builds the Flask app."""

from __future__ import annotations

import secrets
from importlib import import_module
from pathlib import Path

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config, rate_limits
from .auth.session_cookies import KeptCookieSessionInterface
from .extensions import configure_database, csrf, db, init_queue, login_manager, migrate, ping_idle_connections
from .inputs import register_input_cleaning
from .models import MAX_ID
from .paths import resource_dir
from .search import schema as search_schema
from .uploads import limits as upload_limits
from .uploads import storage as upload_storage


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; `test_config` overrides settings read from the environment."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder="static",
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N trusted reverse proxies, take the client's address and scheme from their X-Forwarded-* headers.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    app.session_interface = KeptCookieSessionInterface()
    configure_database(app)
    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(resource_dir("migrations")),
        render_as_batch=True,
        include_name=search_schema.include_name,
    )
    upload_limits.init_app(app)  # before the CSRF check, which reads the body
    csrf.init_app(app)
    rate_limits.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    register_input_cleaning(app)
    init_queue(app)

    from . import (
        models,  # noqa: F401  (registers the tables with the metadata)
        write_guard,
    )

    write_guard.install_for(app)
    from .admin.routes import bp as admin_bp
    from .auth import models as auth_models  # noqa: F401
    from .auth.routes import bp as auth_bp
    from .cli import register_commands
    from .courses.routes import bp as courses_bp
    from .desk import models as desk_models  # noqa: F401
    from .desk import nudge_models  # noqa: F401
    from .desk.grading_routes import bp as grading_bp
    from .desk.routes import bp as desk_bp
    from .errors import register_error_pages
    from .feeds.routes import bp as feeds_bp
    from .lti import grades as lti_grades
    from .lti import models as lti_models  # noqa: F401
    from .lti import roster as lti_roster
    from .lti.admin_routes import bp as lti_admin_bp
    from .lti.routes import bp as lti_bp
    from .moderation.routes import bp as moderation_bp
    from .notifications import models as notification_models  # noqa: F401
    from .notifications import read_models  # noqa: F401
    from .notifications import tasks as notification_tasks  # noqa: F401  (the mention fan-out and its hook)
    from .notifications.read_routes import bp as read_bp
    from .notifications.routes import bp as notifications_bp
    from .outbox import models as outbox_models  # noqa: F401
    from .posts.routes import bp as posts_bp
    from .search.routes import bp as search_bp
    from .templating import register_template_helpers
    from .uploads import models as upload_models  # noqa: F401
    from .uploads import refs as upload_refs
    from .uploads.routes import bp as uploads_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(grading_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(read_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(lti_admin_bp)
    upload_refs.register()
    register_template_helpers(app)
    app.jinja_env.globals["lti_grade_status"] = lti_grades.status_for  # the grading page's "In the LMS" column
    app.jinja_env.globals["lti_roster_status"] = lti_roster.status_of  # the roster page's last sync and error
    register_commands(app)
    for module in TASK_MODULES:
        import_module(module)  # each area's jobs and outbox handlers, on the one queue (web and worker alike)
    register_error_pages(app)
    _register_security_headers(app)
    return app


# Each area owns its jobs; the app (and so the worker, which is the app started by `flask --app board worker`) imports
# them here, and no area imports another's.
TASK_MODULES = (
    "board.outbox.tasks",
    "board.auth.tasks",
    "board.notifications.tasks",
    "board.desk.tasks",
    "board.uploads.tasks",
    "board.lti.tasks",
)


class DatabaseIdConverter(IntegerConverter):
    """<int:…> in URLs: ASCII digits only, capped at the largest database id, so a huge number is a 404 rather than an
    overflow. (Werkzeug's pattern and int() take any script's digits: "/posts/２" would be post 2 under a second URL.)"""

    regex = "[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def style_nonce() -> str:
    """This response's CSP nonce for the page's own inline <style> (the per-reader "new" marks); made on first use."""
    if "style_nonce" not in g:
        g.style_nonce = secrets.token_urlsafe(16)
    return g.style_nonce


def _register_security_headers(app: Flask) -> None:
    app.jinja_env.globals["style_nonce"] = style_nonce
    # Uploaded pictures come from Board itself, or from the S3-compatible store's host when uploads live there (the
    # app checks who may see one, then redirects to a short-lived signed URL: board/uploads/storage.py).
    store = upload_storage.from_config(app.config, Path(app.instance_path)).image_origin()
    images = f"'self' {store}" if store else "'self'"

    @app.after_request
    def security_headers(response):
        # Every asset is served by the app, so the policy can be strict. Pictures too: one from another site (or a
        # data: URI, which could hide one) is a tracking pixel, and it also keeps any stored third-party <img> unloaded.
        # A page that wrote an inline <style> of its own names it by nonce; nothing else inline is allowed. No plugins
        # (<object>, <embed>) at all: default-src 'self' alone would still let them load content from this site.
        styles = f"'self' 'nonce-{g.style_nonce}'" if "style_nonce" in g else "'self'"
        # Only the LTI launch pages may be framed, and by the registered platforms only (board/lti/routes.py).
        frames = g.get("frame_ancestors", "'none'")
        # Forms post to Board, except the deep linking answer, which posts to the LMS that asked (board/lti/).
        forms = f"'self' {g.form_action}" if "form_action" in g else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; img-src {images}; style-src {styles}; script-src 'self'; object-src 'none'; "
            f"frame-ancestors {frames}; form-action {forms}; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if frames == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Secure cookies mean Board is served over HTTPS; a year, renewed on every visit. Not includeSubDomains:
            # Board often shares a university's domain with sites it does not speak for.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


# Board uses none of these browser features, so no page (nor anything injected into one) may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
