"""Uploads: pictures and files in a course, and the posts and comments whose Markdown refers to them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:17:04

"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "uploads",
        sa.Column("id", _id(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("course_id", _id(), nullable=False),
        sa.Column("uploader_id", _id(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ext", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_uploads_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name=op.f("fk_uploads_uploader_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sa.UniqueConstraint("token", name=op.f("uq_uploads_token")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_uploader_id"), ["uploader_id"], unique=False)

    op.create_table(
        "upload_refs",
        sa.Column("id", _id(), nullable=False),
        sa.Column("upload_id", _id(), nullable=False),
        sa.Column("post_id", _id(), nullable=False),
        sa.Column("comment_id", _id(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_upload_refs_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_upload_refs_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_upload_refs_upload_id_uploads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_refs")),
    )
    with op.batch_alter_table("upload_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_refs_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_refs_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_refs_upload_id"), ["upload_id"], unique=False)


def downgrade():
    with op.batch_alter_table("upload_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_refs_upload_id"))
        batch_op.drop_index(batch_op.f("ix_upload_refs_post_id"))
        batch_op.drop_index(batch_op.f("ix_upload_refs_comment_id"))

    op.drop_table("upload_refs")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_uploader_id"))
        batch_op.drop_index(batch_op.f("ix_uploads_created_at"))
        batch_op.drop_index(batch_op.f("ix_uploads_course_id"))

    op.drop_table("uploads")
