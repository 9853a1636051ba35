"""Flask extensions, created unbound and bound to the app in create_app()."""

import functools
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary, WeakSet

import redis
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf.csrf import CSRFProtect
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import BigInteger, Integer, MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, registry
from werkzeug.exceptions import ServiceUnavailable

# Named constraints so Alembic migrations are stable on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are 64-bit on PostgreSQL (so no id a URL can carry overflows a column); SQLite's INTEGER already is, and only
# INTEGER PRIMARY KEY is its auto-numbered rowid, so it keeps that name there.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION), type_annotation_map={int: ID_TYPE})


class BoardSession(Session):
    """db.session. On PostgreSQL a GET (or HEAD) request reads without a transaction: its statements run in
    autocommit, which spares the BEGIN and ROLLBACK round trips that each page otherwise pays (two round trips
    on every page). Nothing writes on GET (tests/test_site_walk.py), and under
    PostgreSQL's READ COMMITTED every statement takes its own snapshot either way, so a page reads exactly what it
    read inside a transaction. Requests that may write, and everything outside a request, keep their transaction."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and isinstance(engine, Engine) and _reads_only(engine):
            return _autocommit(engine)
        return engine


READ_METHODS = ("GET", "HEAD")  # nothing writes on these (tests/test_site_walk.py); the rate limits skip them too
_READS_ONLY = "board_reads_only"
_AUTOCOMMIT: WeakKeyDictionary = WeakKeyDictionary()


def _note_method() -> None:
    # Set by the app's first before_request hook (registered in configure_database, before any extension's), so
    # before anything loads the user. A request context a job pushes to render an email runs no such hook: it keeps
    # the job's transaction.
    setattr(g, _READS_ONLY, request.method in READ_METHODS)


def _reads_only(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql" and has_request_context() and g.get(_READS_ONLY, False)


def _autocommit(engine: Engine) -> Engine:
    """`engine` with autocommit isolation (same pool; SQLAlchemy restores a connection's level on its return)."""
    option_engine = _AUTOCOMMIT.get(engine)
    if option_engine is None:
        option_engine = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return option_engine


db = SQLAlchemy(model_class=Base, session_options={"class_": BoardSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# The job queue (Huey), one per process like the app; configure_queue() points it at its storage. Each area declares
# its own tasks on it (board/<area>/tasks.py). Results are not kept: nobody waits for a job's return value, and
# unread results would pile up in Redis.
huey = Huey("board", immediate=True, results=False)


# How long a request waits for another's write to finish on SQLite before it gives up with a 503. Writes take
# milliseconds; a lock held this long means a stuck job or a backup. Under half of gunicorn's 30 s worker timeout,
# so the person gets "busy, try again" rather than a killed worker.
SQLITE_BUSY_TIMEOUT = 15.0
RETRY_AFTER = 5  # seconds, told to the browser with a 503


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores ON DELETE CASCADE unless asked; PostgreSQL always honours it. Migrations turn it off on
        # their own connection and check the keys before they commit (migrations/env.py).
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging lets pages be read while someone writes; NORMAL sync is safe with WAL (a power cut
        # may lose the last commits, never corrupt the file) and spares an fsync per commit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def configure_database(app: Flask) -> None:
    """SQLite's busy timeout for every connection, PostgreSQL's isolation level, reads without a transaction on
    GET (BoardSession), and a 503 "busy, try again" when the database stays locked."""
    app.config.setdefault("SQLITE_BUSY_TIMEOUT", SQLITE_BUSY_TIMEOUT)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        # sqlite3's timeout is SQLite's busy timeout, set on each connection as it opens.
        options["connect_args"] = {**options.get("connect_args", {}), "timeout": app.config["SQLITE_BUSY_TIMEOUT"]}
    elif url.startswith("postgresql"):
        # Named, not left to the server's default: reading a GET in autocommit (BoardSession) reads what one
        # READ COMMITTED transaction would.
        options.setdefault("isolation_level", "READ COMMITTED")
    app.before_request(_note_method)
    app.register_error_handler(OperationalError, _database_busy)


# A pooled connection that sat unused this long is pinged before use ("SELECT 1"), and replaced if the server has
# gone away meanwhile (a restart, or a proxy or firewall that drops idle connections). SQLAlchemy's pool_pre_ping
# pings on every checkout: one more round trip on every request, a sixth of a small page's time on
# PostgreSQL. A connection in steady use is not pinged; if the server restarts under it, that request fails, the
# failure invalidates the whole pool, and the next requests connect afresh.
PING_AFTER_IDLE = 10.0  # seconds
_RETURNED = "board_returned_at"
_PINGING: WeakSet = WeakSet()


def ping_idle_connections(engine: Engine) -> None:
    """Ping `engine`'s pooled connections that have been idle for PING_AFTER_IDLE seconds when they are checked out."""
    if engine.dialect.name == "sqlite" or engine in _PINGING:
        return  # a SQLite file does not go away under an open connection
    _PINGING.add(engine)
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # new, or in steady use
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool replaces this connection and drops every older one, which the same outage closed too.
                raise exc.InvalidatePoolError() from error
            raise

    event.listen(engine, "checkin", _note_return)
    event.listen(engine, "checkout", ping_if_idle)


def _note_return(dbapi_connection, record) -> None:
    record.info[_RETURNED] = time.monotonic()


def _database_busy(error: OperationalError):
    if not _is_locked(error):
        raise error
    db.session.rollback()
    busy = ServiceUnavailable("The board is busy. Try again in a moment.", retry_after=RETRY_AFTER)
    # The app's own 503 handler, if it has one, renders the page (and shows a refused form again with its text).
    response = current_app.make_response(current_app.handle_http_exception(busy))
    response.headers.setdefault("Retry-After", str(RETRY_AFTER))
    return response


def _is_locked(error: OperationalError) -> bool:
    return isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig)


# The job queue ------------------------------------------------------------------------------------------------------
#
# QUEUE_URL chooses where jobs wait: unset, a SQLite file `instance/queue.sqlite3`; `redis://…`, Redis (production,
# several machines); `immediate`, no queue at all: each job runs at once inside its caller (the tests).
# `flask --app board worker` consumes the queue. Tasks stay thin: they take ids or plain values and call a service.

_queue_app: Flask | None = None


def init_queue(app: Flask) -> None:
    """Configure the queue from the app's QUEUE_URL and remember the app the worker's tasks run in."""
    global _queue_app
    configure_queue(app.config.get("QUEUE_URL"), Path(app.instance_path))
    _queue_app = app
    app.extensions["huey"] = huey


def configure_queue(url: str | None, instance_path: Path) -> None:
    """Point the queue at SQLite in the instance folder (url None), Redis (redis://…) or immediate mode."""
    if url == "immediate":
        huey.immediate = True  # Huey swaps in its in-memory storage
        return
    if url is None:
        storage_class, kwargs = SqliteStorage, {"filename": str(instance_path / "queue.sqlite3")}
    elif urlsplit(url).scheme in ("redis", "rediss", "unix"):
        # A down Redis answers a connection at once (refused); one that stopped answering fails a job's enqueue
        # within seconds rather than holding the request that queued it (board/outbox/ delivers it later).
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        storage_class, kwargs = RedisStorage, {"connection_pool": pool}
    else:
        raise ValueError("QUEUE_URL must be unset (SQLite in instance/), redis://host:port/db or immediate.")
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    if huey.immediate:
        huey.immediate = False  # the setter builds the storage from the class and arguments above
    else:
        huey.storage = huey.create_storage()


def describe_queue() -> str:
    """Say where jobs wait (for the worker and the demo), without any password."""
    storage = huey.storage
    if huey.immediate:
        return "no queue: each job runs inside its caller (QUEUE_URL=immediate)"
    if isinstance(storage, SqliteStorage):
        return f"the SQLite queue {storage.filename}"
    kwargs = huey.storage_kwargs["connection_pool"].connection_kwargs
    place = kwargs["path"] if "path" in kwargs else f"{kwargs.get('host')}:{kwargs.get('port', 6379)}"
    return f"the Redis queue at {place}/{kwargs.get('db', 0)}"


def in_app_context(func):
    """Run a task inside an app context of its own: the caller's app when there is one (immediate mode), else this
    process's. Its own context means its own database session, never its caller's half-finished one."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _queue_app
        if app is None:
            raise RuntimeError("Board's app was never created in this process; start the worker with flask.")
        with app.app_context():
            return func(*args, **kwargs)

    return run
