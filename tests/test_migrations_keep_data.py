"""Upgrading keeps every row: a database filled at any earlier revision upgrades to head with the same rows and
values, no broken foreign key, and a schema that matches the models (`flask db check`) and a database built at head.

On the suite's own kind of database (a SQLite file, or a scratch PostgreSQL database created and dropped here),
emptied before each test:
- step by step from 0001 to head: at each revision, rows go into every table and column it added, and every row put
  in so far is compared after the next step, so each revision is a start whose rows go through every later
  migration. (A database built afresh for each start costs 0002's forty ALTER COLUMNs each time on PostgreSQL.)
- from 0001 to head in one run, as a deploy upgrades: from today's 0001 and from 0001 as first committed.

0001 was edited after it had run (its posts.reading_id foreign key: ON DELETE CASCADE, then SET NULL), so databases
built from either text exist. "0001-as-first-committed" builds from the first text: today's 0001 with that one clause
put back, checked to be the only change (`git show f50f0fd -- migrations/versions/0001_initial_schema.py`).

The revisions are read from the migrations, so a new one is covered as soon as it exists; a table it adds needs rows
in RECIPES, and the test fails saying so until it has them.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade

from board import create_app
from board.extensions import db
from board.paths import resource_dir
from board.search import schema as search_schema

MIGRATIONS = resource_dir("migrations")
FIRST_0001 = "0001-as-first-committed"
# The one clause of 0001 that was changed after it had run (commit f50f0fd), as first committed and as it is now.
_SET_NULL = re.compile(
    r'(\["reading_id"\], \["posts\.id"\], name=op\.f\("fk_posts_reading_id_posts"\), ondelete=)"SET NULL"'
)


def _revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()

# --- The rows put in ---------------------------------------------------------------------------------------------
#
# One recipe per table: its rows, each naming its key and every foreign key (the relations worth keeping: readings
# with responses, comments with replies, likes, awards on posts and on comments, reports, revisions…). Every other
# column gets a value of its type, distinct for each row (_value). A row that names a column its table does not have
# yet (at an older revision) is left out there. A table with no recipe fails the test: add one when a migration
# adds a table.
#
# Users 1 instructor, 2–4 students, 5 assistant of course 1; user 2 teaches course 2.
RECIPES: dict[str, list[dict]] = {
    "users": [{"id": n} for n in range(1, 6)],
    "courses": [
        {"id": 1},
        {"id": 2},
        {"id": 3, "starts_on": date(2027, 1, 18), "ends_on": None},  # from 0019 (rows 1 and 2 get both dates then)
        {"id": 4, "upload_person_quota_mb": None, "upload_course_quota_mb": 900},  # from 0021
    ],
    "memberships": [
        {"id": 1, "course_id": 1, "user_id": 1, "role": "instructor"},
        {"id": 2, "course_id": 1, "user_id": 2, "role": "student"},
        {"id": 3, "course_id": 1, "user_id": 3, "role": "student"},
        {"id": 4, "course_id": 1, "user_id": 4, "role": "student"},
        {"id": 5, "course_id": 1, "user_id": 5, "role": "assistant"},
        {"id": 6, "course_id": 2, "user_id": 2, "role": "instructor"},
    ],
    "posts": [
        {"id": 1, "course_id": 1, "author_id": 1, "kind": "reading", "reading_id": None},
        {"id": 2, "course_id": 1, "author_id": 1, "kind": "reading", "reading_id": None},
        {"id": 3, "course_id": 1, "author_id": 2, "kind": "response", "reading_id": 1},
        {"id": 4, "course_id": 1, "author_id": 3, "kind": "response", "reading_id": 1},
        {"id": 5, "course_id": 1, "author_id": 2, "kind": "response", "reading_id": 2},
        {"id": 6, "course_id": 1, "author_id": 5, "kind": "response", "reading_id": None},
        {"id": 7, "course_id": 2, "author_id": 2, "kind": "reading", "reading_id": None},
        {"id": 8, "course_id": 2, "author_id": 2, "kind": "response", "reading_id": 7},
    ],
    "comments": [
        {"id": 1, "course_id": 1, "post_id": 3, "author_id": 3, "parent_id": None, "depth": 0},
        {"id": 2, "course_id": 1, "post_id": 3, "author_id": 2, "parent_id": 1, "depth": 1},
        {"id": 3, "course_id": 1, "post_id": 3, "author_id": 3, "parent_id": 2, "depth": 2},
        {"id": 4, "course_id": 1, "post_id": 1, "author_id": 4, "parent_id": None, "depth": 0},
        {"id": 5, "course_id": 1, "post_id": 4, "author_id": 2, "parent_id": None, "depth": 0},
        {"id": 6, "course_id": 1, "post_id": 4, "author_id": 1, "parent_id": 5, "depth": 1},
        {"id": 7, "course_id": 2, "post_id": 8, "author_id": 2, "parent_id": None, "depth": 0},
    ],
    "post_likes": [
        {"post_id": 3, "user_id": 3},
        {"post_id": 3, "user_id": 1},
        {"post_id": 4, "user_id": 2},
        {"post_id": 1, "user_id": 4},
    ],
    "comment_likes": [
        {"comment_id": 1, "user_id": 2},
        {"comment_id": 2, "user_id": 3},
        {"comment_id": 3, "user_id": 1},
        {"comment_id": 5, "user_id": 4},
    ],
    "post_revisions": [
        {"id": 1, "post_id": 3, "editor_id": 2},
        {"id": 2, "post_id": 3, "editor_id": 2},
        {"id": 3, "post_id": 1, "editor_id": 1},
    ],
    "comment_revisions": [
        {"id": 1, "comment_id": 2, "editor_id": 2},
        {"id": 2, "comment_id": 2, "editor_id": 2},
        {"id": 3, "comment_id": 4, "editor_id": 4},
    ],
    "award_types": [{"id": 1, "course_id": 1}, {"id": 2, "course_id": 1}, {"id": 3, "course_id": 2}],
    "awards": [
        {"id": 1, "post_id": 3, "award_type_id": 1, "given_by_id": 1},
        {"id": 2, "post_id": 4, "award_type_id": 2, "given_by_id": 5},
        {"id": 3, "post_id": 8, "award_type_id": 3, "given_by_id": 2},
        {"id": 4, "post_id": None, "comment_id": 2, "award_type_id": 1, "given_by_id": 1},  # from 0005
    ],
    "reports": [
        {"id": 1, "course_id": 1, "reporter_id": 3, "post_id": 5, "comment_id": None, "resolved_by_id": None},
        {"id": 2, "course_id": 1, "reporter_id": 4, "post_id": None, "comment_id": 2, "resolved_by_id": 1},
    ],
    "audit_entries": [
        {"id": 1, "course_id": 1, "actor_id": 1, "subject_id": 5},
        {"id": 2, "course_id": 1, "actor_id": 5, "subject_id": 2},
    ],
    "user_sessions": [{"id": 1, "user_id": 1}, {"id": 2, "user_id": 2}],  # from 0002
    "grades": [  # from 0004
        {"id": 1, "course_id": 1, "reading_id": 1, "student_id": 2, "grader_id": 1},
        {"id": 2, "course_id": 1, "reading_id": 1, "student_id": 3, "grader_id": 5},
    ],
    "notifications": [  # from 0006
        {"id": 1, "user_id": 2, "course_id": 1, "actor_id": 3, "post_id": 3, "comment_id": 1},
        {"id": 2, "user_id": 1, "course_id": 1, "actor_id": None, "post_id": 5, "comment_id": None},
        {"id": 3, "user_id": 3, "course_id": 1, "actor_id": 2, "post_id": 3, "comment_id": 2},
    ],
    "watches": [{"id": 1, "user_id": 2, "post_id": 3}, {"id": 2, "user_id": 1, "post_id": 1}],
    "notification_preferences": [{"id": 1, "user_id": 2, "course_id": 1}, {"id": 2, "user_id": 1, "course_id": 1}],
    "digests_sent": [{"id": 1, "user_id": 2}, {"id": 2, "user_id": 3}],
    "nudges": [{"id": 1, "course_id": 1, "reading_id": 2, "student_id": 4, "sent_by_id": 1}],  # from 0009
    "post_reads": [{"user_id": 2, "post_id": 1}, {"user_id": 3, "post_id": 3}],  # from 0010
    "page_cache_version": [],  # its one row comes from migration 0011
    "outbox": [{"id": 1, "key": "first"}, {"id": 2, "key": None}],  # from 0014
    "mention_notices": [  # from 0015: a post or a comment, never both
        {"id": 1, "user_id": 2, "post_id": 3, "comment_id": None},
        {"id": 2, "user_id": 3, "post_id": None, "comment_id": 1},
    ],
    "pending_registrations": [{"id": 1}, {"id": 2}],  # from 0016
    "uploads": [  # from 0020
        {"id": 1, "course_id": 1, "uploader_id": 2},
        {"id": 2, "course_id": 1, "uploader_id": 3},
        {"id": 3, "course_id": 2, "uploader_id": 2},
    ],
    "upload_refs": [
        {"id": 1, "upload_id": 1, "post_id": 3, "comment_id": None},
        {"id": 2, "upload_id": 2, "post_id": 3, "comment_id": 1},
        {"id": 3, "upload_id": 3, "post_id": 8, "comment_id": None},
    ],
    # LTI (from 0023 and 0024): two platforms, Board's keys (one retired), LMS people and courses, grades sent.
    "lti_platforms": [{"id": 1, "auth_audience": None}, {"id": 2, "frame_origins": "https://school.example"}],
    "lti_deployments": [{"id": 1, "platform_id": 1}, {"id": 2, "platform_id": 1}, {"id": 3, "platform_id": 2}],
    "lti_keys": [{"id": 1, "retired_at": None}, {"id": 2}],
    "lti_used_nonces": [{"id": 1, "platform_id": 1}, {"id": 2, "platform_id": 2}],
    "lti_accounts": [
        {"id": 1, "platform_id": 1, "user_id": 1},
        {"id": 2, "platform_id": 1, "user_id": 2},
        {"id": 3, "platform_id": 2, "user_id": 2},
    ],
    "lti_contexts": [{"id": 1, "platform_id": 1, "course_id": 1}, {"id": 2, "platform_id": 2, "course_id": 2}],
    "lti_line_items": [{"id": 1, "context_id": 1, "reading_id": 1}, {"id": 2, "context_id": 2, "reading_id": 7}],
    "lti_scores": [{"id": 1, "grade_id": 1}],
    # From 0027 (whose upgrade marks memberships 1 and 2 itself: made at their LMS account's time).
    "lti_memberships": [{"membership_id": 3, "context_id": 1}],
    "lti_pending_identities": [{"id": 1, "platform_id": 1}],
}

_T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _value(table: sa.Table, column: sa.Column, n: int):
    """A value of `column`'s type for row number `n` (from 1), different in every row and column."""
    kind = column.type.python_type
    salt = sum(map(ord, column.name)) % 97
    if kind is bool:
        return n % 2 == 0
    if kind is int:
        return 100 * n + salt
    if kind is float:
        return n + salt / 100 + 0.25
    if kind is datetime:
        return _T0 + timedelta(days=n, minutes=salt, microseconds=n)
    if kind is date:
        return _T0.date() + timedelta(days=n + salt)
    if isinstance(column.type, sa.JSON):
        return {"row": n, "column": column.name, "text": "it's ✓", "list": [n, None, True]}
    if kind is str:
        text = f"{column.name} {n} «{table.name}» it's ✓"
        length = getattr(column.type, "length", None)
        return text if length is None else f"{column.name}:{n}"[-length:]
    raise AssertionError(f"no test value for {table.name}.{column.name} ({column.type}): teach _value this type")


class Filler:
    """Puts RECIPES' rows into the database at each revision it is given: each row once, as soon as its table has
    every column it names; and in rows put in earlier, a value in every column added since (as the app would)."""

    def __init__(self):
        self.columns: dict[str, set[str]] = {}  # each table's columns at the last fill
        self.inserted: dict[str, set[int]] = {}  # each table's recipe rows put in (by number)

    def fill(self, revision: str) -> list[sa.Table]:
        """Fill the tables at `revision`; returns them (reflected), in foreign-key order."""
        with db.engine.begin() as connection:
            tables = _reflect(connection)
            for table in tables:
                self._fill(connection, table, revision)
        return tables

    def _fill(self, connection, table: sa.Table, revision: str) -> None:
        if table.name not in RECIPES:
            raise AssertionError(
                f"table {table.name!r} (at revision {revision}) has no data recipe: add its rows to RECIPES in "
                f"{__file__}"
            )
        columns = {column.name: column for column in _data_columns(table)}
        added = columns.keys() - self.columns.get(table.name, set())
        inserted = self.inserted.setdefault(table.name, set())
        rows = []
        for n, recipe in enumerate(RECIPES[table.name], start=1):
            if not recipe.keys() <= columns.keys():
                continue  # a row of a later schema
            values = {name: _value_for(table, columns[name], recipe, n) for name in added}
            if n not in inserted:
                rows.append({name: _value_for(table, column, recipe, n) for name, column in columns.items()})
                inserted.add(n)
            elif values:
                key = [column == recipe[column.name] for column in table.primary_key.columns]
                connection.execute(table.update().where(*key).values(values))
        if rows:
            connection.execute(table.insert(), rows)
        self.columns[table.name] = set(columns)


def _value_for(table: sa.Table, column: sa.Column, recipe: dict, n: int):
    if column.name in recipe:
        return recipe[column.name]
    foreign = bool(column.foreign_keys)
    if column.primary_key or (foreign and not column.nullable):
        raise AssertionError(f"the recipe for {table.name} must name {column.name} (a key or a required foreign key)")
    return None if foreign else _value(table, column, n)


def _data_columns(table: sa.Table) -> list[sa.Column]:
    """Columns that hold data (not PostgreSQL's generated search vector)."""
    return [c for c in table.columns if c.computed is None and search_schema.include_name(c.name, "column", {})]


def _reflect(connection) -> list[sa.Table]:
    """The tables a migration made (not alembic's own, not the FTS5 index), in foreign-key order."""
    metadata = sa.MetaData()
    metadata.reflect(
        connection,
        only=lambda name, _: name != "alembic_version" and search_schema.include_name(name, "table", {}),
    )
    return metadata.sorted_tables


# Tables a revision drops on purpose, with the reason: their rows go with them.
DROPPED = {
    "page_cache_version": "0022: the page cache is gone; its one row was a counter, no one's data",
}


def _contents(tables: list[sa.Table]) -> dict[str, list[tuple]]:
    """Each table's rows, raw from the driver (columns as they were named before the upgrade), in key order. A table
    dropped on purpose (DROPPED) that is gone is left out."""
    contents = {}
    with db.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        for table in tables:
            if table.name in DROPPED and table.name not in present:
                continue
            columns = [sa.column(c.name) for c in _data_columns(table)]
            order = [sa.column(c.name) for c in table.primary_key.columns] or columns
            query = sa.select(*columns).select_from(sa.table(table.name)).order_by(*order)
            contents[table.name] = [tuple(row) for row in connection.execute(query)]
    return contents


def _losses(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """Each table whose rows changed: how many it had and has, and the rows lost or changed (their first values)."""
    losses = []
    for table, rows in before.items():
        if table in DROPPED and table not in after:
            continue
        lost = [row[:3] for row in rows if row not in after[table]]
        if lost or len(after[table]) != len(rows):
            losses.append(f"{table}: {len(rows)} rows, now {len(after[table])}; lost or changed: {lost}")
    return losses


def _schema_differences() -> list:
    """What `flask db check` would report: the models against the database, with Flask-Migrate's options."""
    options = {k: v for k, v in current_app.extensions["migrate"].configure_args.items() if k.startswith("include_")}
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts=options), db.metadata)


def _described(difference) -> str:
    """One of compare_metadata's differences, short: ("remove_fk", <constraint>) as "remove_fk posts.fk_…"."""
    if isinstance(difference, list):  # a column's changes
        return "; ".join(_described(change) for change in difference)
    action, *things = difference
    named = [f"{getattr(getattr(t, 'table', None), 'name', '')}.{getattr(t, 'name', t)}" for t in things]
    return f"{action} {' '.join(named)}"


def _foreign_key_problems() -> list[tuple]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return [tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]
        return []  # PostgreSQL enforces foreign keys in every session, migrations' too


def _outside_the_models() -> dict[str, list]:
    """Schema that `flask db check` does not see: every foreign key's ON DELETE, the search index (its triggers on
    SQLite; its generated column and indexes on PostgreSQL), partial indexes' conditions."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            schema = connection.exec_driver_sql(
                "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            ).all()
            tables = [name for kind, name, _ in schema if kind == "table"]
            keys = [
                (table, *row[2:4], row[6])  # to table, from column, ON DELETE
                for table in tables
                for row in connection.exec_driver_sql(f"PRAGMA foreign_key_list('{table}')")
            ]
            conditions = connection.exec_driver_sql(
                "SELECT name, substr(sql, instr(upper(sql), ' WHERE ')) FROM sqlite_master "
                "WHERE type = 'index' AND instr(upper(sql), ' WHERE ') > 0 ORDER BY name"
            ).all()
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            ).all()
            return {
                "objects": schema,
                "foreign keys": sorted(keys),
                "partial indexes": conditions,
                "triggers": triggers,
            }
        keys = connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, confdeltype FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).all()
        indexes = connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        ).all()
        generated = connection.exec_driver_sql(
            "SELECT table_name, column_name, generation_expression FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_generated = 'ALWAYS' ORDER BY 1, 2"
        ).all()
        return {"foreign keys": keys, "indexes": indexes, "generated columns": generated}


def _drift(upgraded: dict[str, list], fresh: dict[str, list]) -> list[str]:
    drift = []
    for kind, expected in fresh.items():
        missing = [item for item in expected if item not in upgraded[kind]]
        unexpected = [item for item in upgraded[kind] if item not in expected]
        if missing or unexpected:
            drift.append(f"{kind}: missing {missing}, not in a fresh database {unexpected}")
    return drift


def _check_search_index() -> None:
    """SQLite: each FTS5 index agrees with the table it indexes (FTS5 raises an error if not)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as connection:
            for index in search_schema.FTS_TABLES:
                connection.exec_driver_sql(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")


# --- The database ------------------------------------------------------------------------------------------------


class ScratchDatabase:
    """One app on a database of the suite's kind, emptied before each build."""

    def __init__(self, tmp_path: Path):
        self.first_0001 = self._first_0001_migrations(tmp_path / "first-0001")
        url = os.environ.get("TEST_DATABASE_URL", "")
        self.server = None
        if url.startswith("postgresql"):
            server = sa.make_url(url).set(drivername="postgresql+psycopg")
            self.name = f"board_mig_{uuid.uuid4().hex[:12]}"
            self.server = sa.create_engine(
                server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
            )
            with self.server.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {self.name}")
            url = server.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.file = tmp_path / "migrated.sqlite3"
            url = f"sqlite:///{self.file}"
        self.app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})

    @staticmethod
    def _first_0001_migrations(folder: Path) -> Path:
        """A copy of the migrations folder holding only 0001, with the clause it first had."""
        shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("versions", "__pycache__"))
        (folder / "versions").mkdir()
        today = (MIGRATIONS / "versions" / "0001_initial_schema.py").read_text()
        first, changes = _SET_NULL.subn(r'\1"CASCADE"', today)
        assert changes == 1, "0001 no longer has the clause that was changed after it had run"
        (folder / "versions" / "0001_initial_schema.py").write_text(first)
        return folder

    def empty(self) -> None:
        with self.app.app_context():
            if self.server is not None:
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                    connection.exec_driver_sql("CREATE SCHEMA public")
            else:
                db.engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.file}{suffix}").unlink(missing_ok=True)

    def build(self, revision: str) -> None:
        if revision == FIRST_0001:
            upgrade(directory=str(self.first_0001), revision="0001")
        else:
            upgrade(directory=str(MIGRATIONS), revision=revision)

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()
        if self.server is not None:
            with self.server.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE {self.name} WITH (FORCE)")
            self.server.dispose()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    database = ScratchDatabase(tmp_path_factory.mktemp("migrations"))
    try:
        with database.app.app_context():
            upgrade(directory=str(MIGRATIONS))
            database.fresh_head = _outside_the_models()
        yield database
    finally:
        database.close()


# --- The tests ---------------------------------------------------------------------------------------------------


def test_every_step_keeps_every_row(scratch):
    """From 0001 to head one revision at a time; at each, rows in every table and column it added, and every row put
    in so far checked after the next step. So every revision is a start: its rows go through each later step."""
    scratch.empty()
    filler = Filler()
    with scratch.app.app_context():
        scratch.build(REVISIONS[0])
        for revision, following in pairwise(REVISIONS):
            tables = filler.fill(revision)
            before = _contents(tables)
            _assert_every_table_has_rows(before, revision)
            upgrade(directory=str(MIGRATIONS), revision=following)
            losses = _losses(before, _contents(tables))
            assert not losses, f"upgrading {revision} to {following} lost rows or values:\n" + "\n".join(losses)
        filler.fill(REVISIONS[-1])  # a table head adds needs its recipe before the next migration is written
        _assert_like_a_fresh_head(scratch, f"stepping from {REVISIONS[0]}")


@pytest.mark.parametrize("start", [FIRST_0001, REVISIONS[0]])
def test_upgrading_0001_to_head_in_one_run_keeps_every_row(scratch, start):
    """Both texts of 0001 (databases exist built from each), filled, then `flask db upgrade` as a deploy runs it."""
    scratch.empty()
    with scratch.app.app_context():
        scratch.build(start)
        tables = Filler().fill(start)
        before = _contents(tables)
        _assert_every_table_has_rows(before, start)
        upgrade(directory=str(MIGRATIONS))
        losses = _losses(before, _contents(tables))
        assert not losses, f"upgrading from {start} lost rows or values:\n" + "\n".join(losses)
        _assert_like_a_fresh_head(scratch, f"upgraded from {start}")


def _assert_every_table_has_rows(contents: dict[str, list[tuple]], revision: str) -> None:
    empty = [name for name, rows in contents.items() if not rows]
    assert not empty, f"no rows in {empty} at {revision}: give them a recipe"


def _assert_like_a_fresh_head(scratch, how: str) -> None:
    """No broken foreign key, nothing for `flask db check` to report, the same schema as a database built at head
    (what the models do not describe too), the search index whole, and the app's connections enforcing foreign
    keys again."""
    assert _foreign_key_problems() == [], how
    differences = _schema_differences()
    assert not differences, f"{how}, `flask db check` would report:\n" + "\n".join(map(_described, differences))
    drift = _drift(_outside_the_models(), scratch.fresh_head)
    assert not drift, f"{how}, unlike a database built at head:\n" + "\n".join(drift)
    _check_search_index()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_upgrade_that_would_leave_a_broken_foreign_key_fails_and_changes_nothing(tmp_path):
    """SQLite checks foreign keys only as rows are written, and migrations run with them off: the check at the end
    of the upgrade refuses to commit rows that refer to nothing (here, ones an older Board left behind)."""
    path = tmp_path / "broken.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=REVISIONS[0])
        Filler().fill(REVISIONS[0])
        db.engine.dispose()
    with closing(sqlite3.connect(path)) as raw:  # foreign keys off: SQLite's default
        raw.execute("DELETE FROM posts WHERE id = 8")  # course 2's response: a comment, a like and an award on it
        raw.commit()
        before = _raw_state(raw)

    with app.app_context():  # not the suite's app, whose context every test runs in
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 1, result.output
    assert "The upgrade was rolled back: 2 rows would refer to rows that do not exist" in result.output
    assert "comments row 7 (no row in posts)" in result.output
    with closing(sqlite3.connect(path)) as raw:
        assert _raw_state(raw) == before  # version, schema and rows
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.connection.driver_connection.isolation_level is not None
        db.engine.dispose()


def _raw_state(raw: sqlite3.Connection) -> list:
    schema = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    tables = [name for kind, name, _ in schema if kind == "table"]
    return schema + [(table, raw.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()) for table in tables]
