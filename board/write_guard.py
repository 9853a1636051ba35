"""Nothing writes on GET: a write sent while a GET reads in autocommit (extensions.BoardSession, PostgreSQL) is a bug.

Such a write would commit on its own, outside any transaction. The engine's own events see every statement, whoever
sends it (the ORM's flushes, bulk UPDATEs and DELETEs, Core, raw SQL), so the guard is one listener: tests fail on
such a write, production logs it. Only statements of a request on an autocommit connection are looked at.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE")
_WRITE_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def writes(statement: str) -> bool:
    """Whether an SQL statement writes (a write inside a common table expression included)."""
    head = statement.lstrip()[:8].upper()
    if head.startswith("WITH"):  # a write inside a common table expression, or a SELECT that merely uses one
        return _WRITE_IN_WITH.search(statement) is not None
    return head.startswith(_WRITES)


def install(engine: Engine) -> None:
    """Listen on `engine` (once per engine)."""
    if not event.contains(engine, "before_cursor_execute", _check):
        event.listen(engine, "before_cursor_execute", _check)


def install_for(app: Flask) -> None:
    from .extensions import db

    with app.app_context():
        install(db.engine)


def _check(conn, cursor, statement, parameters, context, executemany) -> None:
    if not has_request_context() or conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        return  # migrations run in autocommit too, managing their own transaction (migrations/env.py)
    if not writes(statement):
        return
    message = f"a GET request wrote to the database: {statement[:200]}"
    if has_app_context() and current_app.testing:
        raise RuntimeError(message)
    logger.error(message)
