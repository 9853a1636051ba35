"""Read state: post_reads (one row per person and post), a "mark all read" watermark per membership, and indexes
for the comments after the last one read

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 20:50:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "post_reads",
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("post_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("last_comment_id", _id(), server_default="0", nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "post_id"),
    )
    op.create_index("ix_post_reads_post_id", "post_reads", ["post_id"])
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.add_column(sa.Column("read_comment_id", _id(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("read_posts_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_comments_post_after", "comments", ["post_id", "id"])
    op.create_index("ix_comments_course_after", "comments", ["course_id", "id"])
    # Everything written before read tracking existed counts as read: otherwise, on the day this is deployed, every
    # member of every course would find the whole term marked new.
    memberships = sa.table(
        "memberships",
        sa.column("course_id", _id()),
        sa.column("read_comment_id", _id()),
        sa.column("read_posts_at", sa.DateTime(timezone=True)),
    )
    comments = sa.table("comments", sa.column("id", _id()), sa.column("course_id", _id()))
    latest = (
        sa.select(sa.func.coalesce(sa.func.max(comments.c.id), 0))
        .where(comments.c.course_id == memberships.c.course_id)
        .scalar_subquery()
    )
    op.execute(memberships.update().values(read_comment_id=latest, read_posts_at=datetime.now(UTC)))


def downgrade():
    op.drop_index("ix_comments_course_after", table_name="comments")
    op.drop_index("ix_comments_post_after", table_name="comments")
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.drop_column("read_posts_at")
        batch_op.drop_column("read_comment_id")
    op.drop_index("ix_post_reads_post_id", table_name="post_reads")
    op.drop_table("post_reads")
