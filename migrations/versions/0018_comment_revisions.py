"""Comment revisions: a comment's earlier text, kept at each edit (as post_revisions keeps a post's)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "comment_revisions",
        sa.Column("id", _id(), nullable=False),
        sa.Column("comment_id", _id(), nullable=False),
        sa.Column("editor_id", _id(), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_revisions_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["editor_id"], ["users.id"], name=op.f("fk_comment_revisions_editor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
    )
    with op.batch_alter_table("comment_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_revisions_comment_id"), ["comment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("comment_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_revisions_comment_id"))
    op.drop_table("comment_revisions")
