"""Grades per student and reading; reading checkpoints (reply due date, required replies), points and release;
holding one member's contributions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("reply_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("required_replies", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("max_points", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("grades_released_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.add_column(
            sa.Column("hold_contributions", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "grades",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("course_id", _id(), sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reading_id", _id(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("student_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("feedback_md", sa.Text(), nullable=False),
        sa.Column("feedback_html", sa.Text(), nullable=False),
        sa.Column("grader_id", _id(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("reading_id", "student_id"),
    )
    op.create_index("ix_grades_course_id", "grades", ["course_id"])
    op.create_index("ix_grades_student_id", "grades", ["student_id"])


def downgrade():
    op.drop_index("ix_grades_student_id", table_name="grades")
    op.drop_index("ix_grades_course_id", table_name="grades")
    op.drop_table("grades")
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.drop_column("hold_contributions")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("grades_released_at")
        batch_op.drop_column("max_points")
        batch_op.drop_column("required_replies")
        batch_op.drop_column("reply_due_at")
