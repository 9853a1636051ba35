"""Flask extensions, created unbound and bound to the app in create_app()."""

import sqlite3

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import BigInteger, Integer, MetaData, event
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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# How long a request waits for another's write to finish on SQLite before it gives up with a 503. Writes take
# milliseconds; a lock held this long means a stuck job or a backup. Under half of gunicorn's 30 s worker timeout,
# so the person gets "busy, try again" rather than a killed worker.
SQLITE_BUSY_TIMEOUT = 15.0
RETRY_AFTER = 5  # seconds, told to the browser with a 503


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores ON DELETE CASCADE unless asked; PostgreSQL always honours it.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging lets pages be read while someone writes; NORMAL sync is safe with WAL (a power cut
        # may lose the last commits, never corrupt the file) and spares an fsync per commit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def configure_database(app: Flask) -> None:
    """SQLite's busy timeout for every connection, and a 503 "busy, try again" when the database stays locked."""
    app.config.setdefault("SQLITE_BUSY_TIMEOUT", SQLITE_BUSY_TIMEOUT)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        # sqlite3's timeout is SQLite's busy timeout, set on each connection as it opens.
        options["connect_args"] = {**options.get("connect_args", {}), "timeout": app.config["SQLITE_BUSY_TIMEOUT"]}
    app.register_error_handler(OperationalError, _database_busy)


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
