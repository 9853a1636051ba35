"""How requests use their database connections (board/extensions.py).

- On PostgreSQL a GET or HEAD reads in autocommit: no BEGIN and ROLLBACK round trips around its queries. A request
  that may write (POST) keeps its transaction, and a connection a GET used goes back to the pool transactional.
- A pooled connection is pinged before use only after sitting idle for PING_AFTER_IDLE seconds, so a connection the
  server dropped while it was idle is replaced; one in steady use costs no ping.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from board import extensions
from board.extensions import db
from board.models import Comment
from tests import factories
from tests.sql import watching

postgresql_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="a PostgreSQL server's connections (CI runs the suite on PostgreSQL too); SQLite's pool never pings",
)


@contextmanager
def modes():
    """Each statement run inside the block, as (its first word, the isolation_level execution option, whether the
    driver's connection was in autocommit)."""
    log = []

    def record(conn, statement):
        dbapi = conn.connection.dbapi_connection
        autocommit = dbapi.autocommit if conn.dialect.name == "postgresql" else not dbapi.in_transaction
        log.append(
            (statement.split(None, 1)[0].upper(), conn.get_execution_options().get("isolation_level"), autocommit)
        )

    with watching(record):
        yield log


@pytest.fixture
def thread():
    course = factories.course()
    student = factories.member(course, name="Student Sam")
    response = factories.response(course, student, factories.reading(course))
    return course, student, f"/c/{course.slug}/posts/{response.id}"


def test_a_get_reads_without_a_transaction_on_postgresql_and_a_post_writes_in_one(thread, make_visitor):
    _course, student, url = thread
    sam = make_visitor(student)
    postgresql = db.engine.dialect.name == "postgresql"

    with modes() as reads:
        assert sam.get(url).status_code == 200
    assert reads and all(word == "SELECT" for word, _, _ in reads)
    if postgresql:
        assert all(option == "AUTOCOMMIT" and autocommit for _, option, autocommit in reads), reads
    else:  # SQLite keeps its default (pysqlite begins a transaction only before a write anyway)
        assert all(option is None for _, option, _ in reads), reads

    # The same pooled connection, next used by a request that writes: one transaction, committed once.
    sam.csrf_token("/courses")  # fetched (by a GET) before the statements are watched
    with modes() as writes:
        assert sam.post(f"{url}/comments", {"body": "Written in one transaction"}).status_code == 302
    written = [mode for mode in writes if mode[0] in ("INSERT", "UPDATE", "DELETE")]
    assert written, writes
    assert all(option is None for _, option, _ in writes), writes
    if postgresql:
        assert not any(autocommit for _, _, autocommit in writes), writes
    assert db.session.scalar(select(Comment.body_md)) == "Written in one transaction"


def test_a_head_request_reads_like_a_get(thread, make_visitor):
    _course, student, url = thread
    sam = make_visitor(student)
    with modes() as reads:
        assert sam.client.head(url).status_code == 200
    assert reads
    expected = "AUTOCOMMIT" if db.engine.dialect.name == "postgresql" else None
    assert all(option == expected for _, option, _ in reads), reads


def test_only_a_database_server_s_pool_pings():
    # A SQLite file does not go away under an open connection, so its pool has no checkout listener at all; a
    # PostgreSQL pool gets one (made here without connecting).
    sqlite, postgresql = create_engine("sqlite://"), create_engine("postgresql+psycopg://nobody@127.0.0.1/none")
    for engine in (sqlite, postgresql):
        extensions.ping_idle_connections(engine)
    assert not sqlite.pool.dispatch.checkout
    assert len(postgresql.pool.dispatch.checkout) == 1
    extensions.ping_idle_connections(postgresql)  # once per engine
    assert len(postgresql.pool.dispatch.checkout) == 1


def _drop_other_connections() -> int:
    """What a server restart (or a proxy dropping idle connections) does to the pool: end every other session on
    this database, from a connection of its own."""
    outside = create_engine(db.engine.url, poolclass=NullPool)
    with outside.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    outside.dispose()
    return ended


@postgresql_only
def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_if_the_server_dropped_it(
    thread, make_visitor, monkeypatch
):
    _course, student, url = thread
    sam = make_visitor(student)
    assert sam.get(url).status_code == 200
    db.session.remove()  # the test's own session gives its connection back too
    assert _drop_other_connections() >= 1

    monkeypatch.setattr(extensions, "PING_AFTER_IDLE", 0.0)  # every pooled connection has now been idle long enough
    pings = []
    dialect = db.engine.dialect
    monkeypatch.setattr(
        dialect, "do_ping", lambda connection, ping=dialect.do_ping: pings.append(1) or ping(connection)
    )
    assert sam.get(url).status_code == 200  # the dead connection was found by its ping and replaced
    assert pings


@postgresql_only
def test_a_connection_in_steady_use_is_not_pinged(thread, make_visitor, monkeypatch):
    _course, student, url = thread
    sam = make_visitor(student)
    pings = []
    dialect = db.engine.dialect
    monkeypatch.setattr(
        dialect, "do_ping", lambda connection, ping=dialect.do_ping: pings.append(1) or ping(connection)
    )
    for _ in range(5):
        assert sam.get(url).status_code == 200
    assert pings == []

    # Which is the price: a connection dropped while in steady use fails the one request that finds it dead, and
    # that failure replaces the whole pool, so the next request works.
    db.session.remove()
    assert _drop_other_connections() >= 1
    with pytest.raises(OperationalError):
        sam.get(url)
    assert sam.get(url).status_code == 200


def test_a_request_context_that_a_job_pushes_keeps_its_transaction(app):
    # Jobs push a request context to render email (notifications/services.py); it runs no before_request hook, so
    # it is no GET request, and its queries stay in the job's transaction.
    with app.test_request_context("/"), modes() as log:
        db.session.execute(select(1))
        db.session.rollback()
    assert log and all(option is None for _, option, _ in log), log


def test_a_write_during_a_get_is_refused_in_tests(app):
    # Nothing writes on GET (tests/test_site_walk.py walks the pages); on PostgreSQL such a write would commit on
    # its own, so it is caught where it happens. SQLite keeps its transaction and needs no such guard.
    with app.test_request_context("/courses", method="GET"):
        app.preprocess_request()
        statement = text("UPDATE users SET display_name = display_name")
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(RuntimeError, match="a GET request wrote to the database"):
                db.session.execute(statement)
        else:
            db.session.execute(statement)
        db.session.rollback()


@postgresql_only
def test_transactions_are_read_committed_whatever_the_server_default(app):
    # Reading a GET in autocommit reads what a READ COMMITTED transaction would; the level is named, not assumed.
    strict = create_app_on(app, connect_args={"options": "-c default_transaction_isolation=serializable"})
    with strict.app_context():
        assert db.session.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
        db.session.rollback()
        db.engine.dispose()


def create_app_on(app, **engine_options):
    from board import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        }
    )
