"""Count the SQL a block of code runs, to prove a page's query count does not grow with its content."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app
from sqlalchemy import event

from board.extensions import STATEMENT_OBSERVERS, db


class QueryLog(list):
    """The statements run; str() lists them, so a failed count assertion shows the SQL."""

    def __str__(self) -> str:
        return "\n".join(f"{n}. {statement}" for n, statement in enumerate(self, start=1))


@contextmanager
def watching(record):
    """Call record(connection, statement) for each SQL statement run inside the block (on every connection of the
    app's engine); the page cache stays as it is."""

    def listener(conn, cursor, statement, parameters, context, executemany):
        record(conn, statement)

    def observer(statement):  # extensions.first_row, which goes around the engine's events
        record(None, statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    STATEMENT_OBSERVERS.append(observer)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        STATEMENT_OBSERVERS.remove(observer)


@contextmanager
def count_queries():
    """Collect the SQL statements run inside the block (on every connection of the app's engine).

    The page cache is off inside it: a count measures what building the page costs (a page served from the cache
    runs the user loader's one query; tests/test_page_cache.py counts that)."""
    statements = QueryLog()
    config = current_app.config
    kept = config.get("PAGE_CACHE_BYTES")
    config["PAGE_CACHE_BYTES"] = 0

    try:
        with watching(lambda conn, statement: statements.append(" ".join(statement.split()))):
            yield statements
    finally:
        config["PAGE_CACHE_BYTES"] = kept
