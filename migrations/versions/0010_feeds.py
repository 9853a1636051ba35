"""Feed keys: the per-person secret behind private Atom feed links

Revision ID: 0010_feeds
Revises: 0004
Create Date: 2026-11-23 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_feeds"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "feed_keys",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id"),
    )


def downgrade():
    op.drop_table("feed_keys")
