"""Fixtures: one app per test session whose schema comes from the migrations, emptied after every test.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another (CI runs the suite on
PostgreSQL that way). CSRF protection stays on: tests post real forms with the token a page gave them.
"""

from __future__ import annotations

import os
import re
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from board import create_app
from board.extensions import db
from board.search.schema import FTS_TABLES

from . import factories


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _drop_everything() -> None:
    """Start from an empty database, so the migrations build the whole schema."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            for index in FTS_TABLES:  # the search index's FTS5 tables are not models (migration 0008)
                conn.execute(text(f"DROP TABLE IF EXISTS {index}"))


class IsolatedClient(FlaskClient):
    """A test client whose every request gets a fresh app context, as in production.

    Tests run inside an app context (for factories); without this, Flask would reuse it for requests and share
    `g` (Flask-Login's cached user) and the database session between the test and its requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
    # The job queue is one per process (board/extensions.py): every app a test builds runs jobs at once, unless told.
    os.environ.setdefault("QUEUE_URL", "immediate")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            # Limits stay on, set high; the rate-limit tests lower them for themselves (the `limits` fixture).
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "LOGIN_ACCOUNT_LIMIT": "10000 per minute",
            "LOGIN_DEVICE_LIMIT": "10000 per minute",
            "REGISTER_RATE_LIMIT": "10000 per minute",
            "POSTING_RATE_LIMIT": "10000 per minute",
            "PREVIEW_RATE_LIMIT": "10000 per minute",
            "UPLOAD_RATE_LIMIT": "10000 per minute",
            "ACCOUNT_EMAIL_LIMIT": "10000 per minute",
            "SERVER_NAME": None,
            # Jobs run at once inside their caller, and mail goes to the outbox unless a test names a server.
            "QUEUE_URL": "immediate",
            "SMTP_URL": None,
        }
    )
    app.instance_path = str(instance)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs inside an app context and leaves every table empty behind it."""
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


class ReceivedMail:
    """What the loopback SMTP server was sent: one (envelope sender, recipients, parsed message) per message, and
    each message's bytes as they arrived (`raw`)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        self.raw.append(envelope.original_content)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port; yields (url, ReceivedMail)."""
    from aiosmtpd.controller import Controller

    received = ReceivedMail()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", received
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The messages Board wrote to its outbox folder during one test (jobs run at once; SMTP_URL is unset)."""

    def __init__(self, folder, base_url: str):
        self.folder = folder
        self.base_url = base_url

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        """Every message so far, oldest first; only those to the address `to` when it is given."""
        if not self.folder.exists():
            return []
        parsed = [
            BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            for path in sorted(self.folder.glob("*.eml"))
        ]
        return [m for m in parsed if to is None or m["To"].addresses[0].addr_spec == to]

    def link(self, to: str, path_prefix: str) -> str:
        """The path of the one link to `path_prefix…` in the latest message to `to` (same in both parts)."""
        message = self.messages(to)[-1]
        pattern = re.compile(re.escape(self.base_url) + "(" + re.escape(path_prefix) + r"[^\s\"<>]*)")
        text_links = pattern.findall(message.get_body(("plain",)).get_content())
        html_links = pattern.findall(message.get_body(("html",)).get_content())
        assert len(set(text_links)) == 1 and set(text_links) == set(html_links), (text_links, html_links)
        return text_links[0]


@pytest.fixture
def inbox(app, tmp_path, monkeypatch) -> Inbox:
    """Messages sent during this test, read from a fresh outbox folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return Inbox(tmp_path / "outbox", app.config["BASE_URL"])


@pytest.fixture
def limits(app):
    """Set rate limits for one test (`limits(POSTING_RATE_LIMIT="3 per minute")`), from empty counters."""
    from board.extensions import limiter

    saved = {}

    def set_limits(**settings):
        for name, value in settings.items():
            saved.setdefault(name, app.config[name])
            app.config[name] = value
        limiter.reset()

    yield set_limits
    app.config.update(saved)
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Visitor:
    """A person using the site through the test client: logs in through the real form and posts with CSRF tokens."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def csrf_token(self, url: str = "/login") -> str:
        if self._token is None:
            page = self.client.get(url).get_data(as_text=True)
            match = _TOKEN.search(page)
            assert match, f"no CSRF token on {url}"
            self._token = match.group(1)
        return self._token

    def login(self, email: str, password: str = factories.PASSWORD, **extra):
        self._token = None
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf_token(), **extra}
        )
        self._token = None
        return response

    def register(self, inbox: Inbox, email: str, display_name: str = "Ada", password: str = "long enough pw"):
        """Give the address on the form, follow the emailed link and choose the name and password there; returns the
        response to that last form."""
        response = self.post("/register", {"email": email})
        assert response.status_code == 302, response.status_code
        link = inbox.link(email.lower(), "/register/confirm/")
        self.csrf_token(link)
        return self.post(link, {"display_name": display_name, "password": password, "confirm": password})

    def logout(self):
        response = self.client.post("/logout", data={"csrf_token": self.csrf_token("/courses")})
        self._token = None
        return response

    def get(self, url: str, **kwargs):
        # Buffered: a file the app streams (an upload) is read whole and closed, as a browser would.
        kwargs.setdefault("buffered", True)
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        """Post a form with this visitor's CSRF token, as the browser would."""
        token_page = "/courses" if self._logged_in() else "/login"
        return self.client.post(url, data={"csrf_token": self.csrf_token(token_page), **(data or {})}, **kwargs)

    def _logged_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session


@pytest.fixture
def visitor(client) -> Visitor:
    return Visitor(client)


@pytest.fixture
def make_visitor(app):
    """A factory of independent visitors, each with its own cookies."""

    def make(user=None) -> Visitor:
        person = Visitor(app.test_client())
        if user is not None:
            response = person.login(user.email)
            assert response.status_code == 302, "login failed"
        return person

    return make
