"""The database's write version: one row, bumped in the same transaction as every write.

The engine's own events see every statement, whatever sent it (the ORM's flushes, bulk UPDATEs and DELETEs, Core,
raw SQL); a transaction that wrote anything adds `UPDATE page_cache_version SET version = version + 1` just before it
commits. Writes that no page shows (the sessions table: logging in) do not count.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

from flask import current_app, has_app_context
from sqlalchemy import String, cast, event, func, select
from sqlalchemy.engine import Engine

from ..extensions import db
from ..notifications.read_models import PostRead
from .models import PageCacheVersion

_TABLE = PageCacheVersion.__tablename__
# Not counted: the version itself; sessions and pending registrations (logging in, registering: no page shows them);
# read state, which only the reader's own pages show, and whose every write sets read_at, so the reader's key carries
# reader_version() instead: a post page's "mark as read" beacon does not retire every kept page of the class; the
# outbox (mail being delivered).
_IGNORED = (_TABLE, "user_sessions", "post_reads", "pending_registrations", "outbox")
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE")
_WRITE_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_FLAG = "board_page_cache_wrote"
_SKIP = "board_page_cache_not_counting"
_BUMP = f"UPDATE {_TABLE} SET version = version + 1"
logger = logging.getLogger(__name__)


def reader_version(user_id):
    """The latest time `user_id` marked a post read, as a scalar subquery (their key's share of read state). As text:
    a key's parts are what the driver returns, the same through the ORM and through extensions.first_row."""
    return select(cast(func.max(PostRead.read_at), String)).where(PostRead.user_id == user_id).scalar_subquery()


def current_version():
    """The version as a scalar subquery, to ride along in another query (NULL if the row is missing: no caching)."""
    return select(PageCacheVersion.version).where(PageCacheVersion.id == 1).scalar_subquery()


def _wrote(statement: str) -> bool:
    head = statement.lstrip()[:8].upper()
    if head.startswith("WITH"):  # a write inside a common table expression, or a SELECT that merely uses one
        return _WRITE_IN_WITH.search(statement) is not None
    if not head.startswith(_WRITES):
        return False
    # The table follows INSERT INTO / UPDATE / DELETE FROM; an ignored table's name is near the start.
    start = statement[:80]
    return not any(name in start for name in _IGNORED)


def install(engine: Engine) -> None:
    """Listen on `engine` (once per engine)."""
    if event.contains(engine, "before_cursor_execute", _note_write):
        return
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _bump_on_commit)
    event.listen(engine, "rollback", _forget)


@contextmanager
def not_counting(conn):
    """Writes on `conn` inside the block bump nothing: migrations run before the version's table exists (a
    deploy restarts the app's processes, and with them their caches)."""
    conn.info[_SKIP] = True
    try:
        yield conn
    finally:
        conn.info.pop(_SKIP, None)
        conn.info.pop(_FLAG, None)


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if _SKIP in conn.info or not _wrote(statement):
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        _write_without_transaction(statement)
    conn.info[_FLAG] = True


def _write_without_transaction(statement: str) -> None:
    """A GET reads in autocommit on PostgreSQL (extensions.BoardSession), because nothing writes on GET; a write there
    would commit on its own, outside any transaction and ahead of the version's bump. A bug: tests fail on it, and
    production logs it."""
    message = f"a GET request wrote to the database: {statement[:200]}"
    if has_app_context() and current_app.testing:
        raise RuntimeError(message)
    logger.error(message)


def _bump_on_commit(conn) -> None:
    # Runs inside the transaction, just before COMMIT is sent: the bump commits with the writes, or not at all. On
    # PostgreSQL the UPDATE locks the one row until COMMIT, so every write transaction takes it, and takes it last,
    # after all its other row locks (a post's, recount_comments): whoever holds it is only committing and waits on
    # nothing, so it can never close a cycle of waits; writers queue on it for the length of a COMMIT.
    if conn.info.pop(_FLAG, False):
        conn.exec_driver_sql(_BUMP)


def _forget(conn) -> None:
    # An invalidated connection (the server went away) has no info to reach, and its replacement starts with none.
    if not conn.invalidated:
        conn.info.pop(_FLAG, None)


def install_for(app) -> None:
    with app.app_context():
        install(db.engine)
