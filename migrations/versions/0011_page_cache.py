"""The page cache's write version: one row, bumped by every transaction that writes (board/pagecache/)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 23:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "page_cache_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_cache_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade():
    op.drop_table("page_cache_version")
