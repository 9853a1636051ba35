"""Notifications, watching, per-course notification preferences, digests sent, and the all-email switch

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    # A plain ADD COLUMN (not batch mode): recreating `users` on SQLite would have to drop a table every other refers to.
    op.add_column(
        "users", sa.Column("email_notifications", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.create_table(
        "notifications",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("course_id", _id(), sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_id", _id(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("post_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=True),
        sa.Column("comment_id", _id(), sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"])
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])
    op.create_index("ix_notifications_created", "notifications", ["created_at"])
    op.create_index("ix_notifications_course_id", "notifications", ["course_id"])
    op.create_index("ix_notifications_post_id", "notifications", ["post_id"])
    op.create_index("ix_notifications_comment_id", "notifications", ["comment_id"])
    op.create_table(
        "watches",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("post_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "post_id"),
    )
    op.create_index("ix_watches_post_id", "watches", ["post_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("course_id", _id(), sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.UniqueConstraint("user_id", "course_id", "kind"),
    )
    op.create_index("ix_notification_preferences_course_id", "notification_preferences", ["course_id"])
    op.create_table(
        "digests_sent",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "frequency", "period_start"),
    )


def downgrade():
    op.drop_table("digests_sent")
    op.drop_index("ix_notification_preferences_course_id", table_name="notification_preferences")
    op.drop_table("notification_preferences")
    op.drop_index("ix_watches_post_id", table_name="watches")
    op.drop_table("watches")
    for name in ("comment_id", "post_id", "course_id"):
        op.drop_index(f"ix_notifications_{name}", table_name="notifications")
    op.drop_index("ix_notifications_created", table_name="notifications")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email_notifications")
