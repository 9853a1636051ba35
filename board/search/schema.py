"""The search schema that migration 0008 builds outside the models (a generated tsvector column and GIN index
on PostgreSQL; FTS5 tables and their shadow tables on SQLite), so that Alembic's autogenerate leaves it alone."""

from __future__ import annotations

FTS_TABLES = ("search_posts", "search_comments")
VECTOR_COLUMN = "search_vector"
VECTOR_INDEXES = ("ix_posts_search_vector", "ix_comments_search_vector")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter: everything but the search schema (FTS5 keeps each index in tables named search_*_…)."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLES)
    if type_ == "column":
        return name != VECTOR_COLUMN
    if type_ == "index":
        return name not in VECTOR_INDEXES
    return True
