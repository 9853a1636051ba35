"""Count the SQL a block of code runs, to prove a page's query count does not grow with its content."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from board.extensions import db


class QueryLog(list):
    """The statements run; str() lists them, so a failed count assertion shows the SQL."""

    def __str__(self) -> str:
        return "\n".join(f"{n}. {statement}" for n, statement in enumerate(self, start=1))


@contextmanager
def watching(record):
    """Call record(connection, statement) for each SQL statement run inside the block (on every connection of the
    app's engine)."""

    def listener(conn, cursor, statement, parameters, context, executemany):
        record(conn, statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


@contextmanager
def count_queries():
    """Collect the SQL statements run inside the block (on every connection of the app's engine)."""
    statements = QueryLog()
    with watching(lambda conn, statement: statements.append(" ".join(statement.split()))):
        yield statements
