"""LTI grades: the LMS line item of each graded reading, and which version of each grade the LMS has

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 18:34:52.207424

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "lti_line_items",
        sa.Column("id", _id(), nullable=False),
        sa.Column("context_id", _id(), nullable=False),
        sa.Column("reading_id", _id(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["lti_contexts.id"],
            name=op.f("fk_lti_line_items_context_id_lti_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"], ["posts.id"], name=op.f("fk_lti_line_items_reading_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_line_items")),
        sa.UniqueConstraint("context_id", "reading_id", name=op.f("uq_lti_line_items_context_id_reading_id")),
    )
    with op.batch_alter_table("lti_line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_line_items_reading_id"), ["reading_id"], unique=False)

    op.create_table(
        "lti_scores",
        sa.Column("id", _id(), nullable=False),
        sa.Column("grade_id", _id(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grades.id"], name=op.f("fk_lti_scores_grade_id_grades"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_scores")),
        sa.UniqueConstraint("grade_id", name=op.f("uq_lti_scores_grade_id")),
    )


def downgrade():
    op.drop_table("lti_scores")
    with op.batch_alter_table("lti_line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_line_items_reading_id"))

    op.drop_table("lti_line_items")
