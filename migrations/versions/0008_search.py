"""Full-text search: on PostgreSQL a generated, weighted tsvector column on posts and comments with GIN indexes; on
SQLite FTS5 indexes over the same text (external content, kept in sync by triggers on every insert, update, delete)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 21:00:00

Titles weigh A and bodies B (the Markdown source, whose punctuation the tokenizers skip), with English stemming on
both databases (PostgreSQL's 'english' configuration; FTS5's porter tokenizer, diacritics kept as PostgreSQL does).
board/search/ reads these; board/search/schema.py names them so Alembic's autogenerate leaves them alone.

SQLite caution: a later migration that makes Alembic *recreate* posts or comments (batch mode with a change SQLite's
ALTER TABLE cannot do) drops these triggers with the old table: such a migration must create them again.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_PG_VECTOR = {
    "posts": "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body_md, '')), 'B')",
    "comments": "setweight(to_tsvector('english'::regconfig, coalesce(body_md, '')), 'B')",
}
_FTS_COLUMNS = {"posts": ("title", "body_md"), "comments": ("body_md",)}
_TOKENIZE = "porter unicode61 remove_diacritics 0"


def _sqlite_statements(table: str) -> list[str]:
    fts = f"search_{table}"
    columns = _FTS_COLUMNS[table]
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        (
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
            f"tokenize='{_TOKENIZE}')"
        ),
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {remove} {add} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, vector in _PG_VECTOR.items():
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
            op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")
    else:
        for table in _FTS_COLUMNS:
            for statement in _sqlite_statements(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in _PG_VECTOR:
            op.execute(f"DROP INDEX ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
    else:
        for table in _FTS_COLUMNS:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER search_{table}_{suffix}")
            op.execute(f"DROP TABLE search_{table}")
