"""Mention notices: each person is told of a mention in a post or comment once, however often it is edited

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "mention_notices",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("post_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=True),
        sa.Column("comment_id", _id(), sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("post_id", "user_id"),
        sa.UniqueConstraint("comment_id", "user_id"),
        sa.CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="one_item"),
    )
    op.create_index("ix_mention_notices_user_id", "mention_notices", ["user_id"])


def downgrade():
    op.drop_index("ix_mention_notices_user_id", table_name="mention_notices")
    op.drop_table("mention_notices")
