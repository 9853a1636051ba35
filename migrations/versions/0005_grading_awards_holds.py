"""Awards on comments as well as posts (awards.comment_id; post_id may be empty), and a per-reading limit on each
award type

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("award_types") as batch_op:
        batch_op.add_column(sa.Column("per_reading_limit", sa.Integer(), nullable=True))
    with op.batch_alter_table("awards") as batch_op:
        batch_op.alter_column("post_id", existing_type=_id(), nullable=True)
        batch_op.add_column(sa.Column("comment_id", _id(), nullable=True))
        batch_op.create_foreign_key(
            "fk_awards_comment_id_comments", "comments", ["comment_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_awards_comment_id", ["comment_id"], unique=False)
        batch_op.create_unique_constraint("uq_awards_comment_id_award_type_id", ["comment_id", "award_type_id"])
        batch_op.create_check_constraint("ck_awards_one_target", "(post_id IS NULL) <> (comment_id IS NULL)")


def downgrade():
    op.execute("DELETE FROM awards WHERE comment_id IS NOT NULL")
    with op.batch_alter_table("awards") as batch_op:
        batch_op.drop_constraint("ck_awards_one_target", type_="check")
        batch_op.drop_constraint("uq_awards_comment_id_award_type_id", type_="unique")
        batch_op.drop_index("ix_awards_comment_id")
        batch_op.drop_constraint("fk_awards_comment_id_comments", type_="foreignkey")
        batch_op.drop_column("comment_id")
        batch_op.alter_column("post_id", existing_type=_id(), nullable=False)
    with op.batch_alter_table("award_types") as batch_op:
        batch_op.drop_column("per_reading_limit")
