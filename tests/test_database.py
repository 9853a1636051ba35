"""SQLite as Board runs it: write-ahead log, a patient busy timeout, and 503 "busy, try again" instead of a 500.

These tests build their own app on a SQLite file, so they run whatever TEST_DATABASE_URL the suite uses.
"""

from __future__ import annotations

import sqlite3

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from board import create_app
from board.extensions import SQLITE_BUSY_TIMEOUT, db
from board.models import Comment
from tests import factories
from tests.conftest import IsolatedClient, Visitor


@pytest.fixture
def sqlite_app(tmp_path):
    """Board on its own SQLite file, as `flask demo` would run it, with a short busy timeout unless a test says."""

    def make(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'board.sqlite3'}",
                "SESSION_COOKIE_SECURE": False,
                "REMEMBER_COOKIE_SECURE": False,
                **settings,
            }
        )
        app.test_client_class = IsolatedClient
        with app.app_context():
            upgrade()
        return app

    made = []
    yield lambda **settings: made.append(make(**settings)) or made[-1]
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _pragmas(app) -> dict:
    with app.app_context(), db.engine.connect() as connection:
        return {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }


def test_every_sqlite_connection_uses_wal_normal_sync_and_a_long_busy_timeout(sqlite_app):
    app = sqlite_app()
    assert _pragmas(app) == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "busy_timeout": int(SQLITE_BUSY_TIMEOUT * 1000),
        "foreign_keys": 1,
    }
    assert SQLITE_BUSY_TIMEOUT > 5  # longer than Python's default, which gave "database is locked" after 5 s


def test_busy_timeout_is_a_setting(sqlite_app):
    assert _pragmas(sqlite_app(SQLITE_BUSY_TIMEOUT=0.25))["busy_timeout"] == 250


def test_a_locked_database_gives_503_with_retry_after_and_pages_still_read(sqlite_app, tmp_path):
    app = sqlite_app(SQLITE_BUSY_TIMEOUT=0.2)
    with app.app_context():
        course = factories.course()
        reading = factories.reading(course, title="The reading")
        student = factories.member(course)
        slug, reading_id, email = course.slug, reading.id, student.email
        visitor = Visitor(app.test_client())
        assert visitor.login(email).status_code == 302
        visitor.csrf_token("/courses")

        # Another process (a long import, a backup) holds the write lock longer than the busy timeout.
        holder = sqlite3.connect(tmp_path / "board.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            page = visitor.get(f"/c/{slug}/posts/{reading_id}")
            refused = visitor.post(f"/c/{slug}/posts/{reading_id}/comments", {"body": "Typed while it was busy"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert page.status_code == 200  # write-ahead log: readers are not blocked by a writer
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"

        accepted = visitor.post(f"/c/{slug}/posts/{reading_id}/comments", {"body": "Typed while it was busy"})
        assert accepted.status_code == 302
        assert db.session.scalars(select(Comment.body_md)).all() == ["Typed while it was busy"]


def test_other_database_errors_are_not_mistaken_for_busy(sqlite_app):
    app = sqlite_app()
    app.add_url_rule("/broken", "broken", lambda: db.session.execute(text("SELECT * FROM no_such_table")))
    with app.app_context(), pytest.raises(OperationalError, match="no such table"):
        app.test_client().get("/broken")
