"""The per-session page cache is gone (issue #23's class mix: it saved little in real use and every writing
transaction updated its one row): its write-version table, and the index on each person's latest read mark that
every request asked for, are dropped

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 18:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_post_reads_user_read", table_name="post_reads")
    op.drop_table("page_cache_version")


def downgrade():
    table = op.create_table(
        "page_cache_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_cache_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])
    op.create_index("ix_post_reads_user_read", "post_reads", ["user_id", "read_at"])
