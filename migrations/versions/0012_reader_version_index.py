"""An index for each person's latest read mark, which every page asks for (the page cache's reader version)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 07:20:00

"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_post_reads_user_read", "post_reads", ["user_id", "read_at"])


def downgrade():
    op.drop_index("ix_post_reads_user_read", table_name="post_reads")
