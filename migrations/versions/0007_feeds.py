"""users.feed_secret: the per-person secret behind private Atom feed links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (not batch mode): recreating `users` on SQLite would have to drop a table every other refers to.
    op.add_column("users", sa.Column("feed_secret", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("feed_secret")
