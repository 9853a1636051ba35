"""64-bit ids on PostgreSQL, server-side sessions, submission keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every id and id-holding column; on PostgreSQL they were 32-bit (an id above 2^31-1 in a URL was a 500).
ID_COLUMNS = {
    "courses": ["id"],
    "users": ["id"],
    "audit_entries": ["id", "course_id", "actor_id", "subject_id"],
    "award_types": ["id", "course_id"],
    "memberships": ["id", "course_id", "user_id"],
    "posts": ["id", "course_id", "author_id", "reading_id"],
    "awards": ["id", "post_id", "award_type_id", "given_by_id"],
    "comments": ["id", "course_id", "post_id", "author_id", "parent_id"],
    "post_likes": ["post_id", "user_id"],
    "post_revisions": ["id", "post_id", "editor_id"],
    "comment_likes": ["comment_id", "user_id"],
    "reports": ["id", "course_id", "reporter_id", "post_id", "comment_id", "resolved_by_id"],
}


def _widen_ids(new_type, sequence_type: str) -> None:
    for table, columns in ID_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new_type, existing_nullable=column in _NULLABLE.get(table, ()))
        if "id" in columns:
            # SERIAL's sequence is typed too; it must count past 2^31-1 as well.
            op.execute(f"ALTER SEQUENCE IF EXISTS {table}_id_seq AS {sequence_type}")


_NULLABLE = {
    "posts": ("reading_id",),
    "comments": ("parent_id",),
    "reports": ("post_id", "comment_id", "resolved_by_id"),
}


def _id_type():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _widen_ids(sa.BigInteger(), "bigint")

    op.create_table(
        "user_sessions",
        sa.Column("id", _id_type(), nullable=False),
        sa.Column("user_id", _id_type(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    for table in ("posts", "comments"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(
                batch_op.f(f"uq_{table}_author_id_submission_key"), ["author_id", "submission_key"]
            )


def downgrade():
    for table in ("comments", "posts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_author_id_submission_key"), type_="unique")
            batch_op.drop_column("submission_key")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
    if op.get_bind().dialect.name == "postgresql":
        _widen_ids(sa.Integer(), "integer")
