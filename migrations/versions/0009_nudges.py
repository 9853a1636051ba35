"""Nudges: one reminder to respond per reading, student and day

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 20:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "nudges",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("course_id", _id(), sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reading_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("student_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sent_by_id", _id(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("reading_id", "student_id", "day"),
    )
    op.create_index("ix_nudges_course_id", "nudges", ["course_id"])
    op.create_index("ix_nudges_student_id", "nudges", ["student_id"])


def downgrade():
    op.drop_index("ix_nudges_student_id", table_name="nudges")
    op.drop_index("ix_nudges_course_id", table_name="nudges")
    op.drop_table("nudges")
