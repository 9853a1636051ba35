"""Indexes that let every list stop after N rows; posts.comment_count kept on write

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, index name, columns): each composite starts with the column of the single-column index it replaces,
# so foreign-key lookups (and ON DELETE CASCADE) still find their rows by index.
NEW = [
    ("posts", "ix_posts_course_kind_published", ["course_id", "kind", "published_at", "id"]),
    ("posts", "ix_posts_reading_published", ["reading_id", "published_at", "id"]),
    ("posts", "ix_posts_author_published", ["author_id", "published_at", "id"]),
    ("comments", "ix_comments_post_counted", ["post_id", "deleted_at", "visibility", "author_id"]),
    ("comments", "ix_comments_course_created", ["course_id", "created_at", "id"]),
    ("comments", "ix_comments_course_visibility", ["course_id", "visibility", "created_at"]),
    ("comments", "ix_comments_author_created", ["author_id", "created_at", "id"]),
]
REPLACED = [
    ("posts", "ix_posts_reading_id", ["reading_id"]),
    ("posts", "ix_posts_author_id", ["author_id"]),
    ("comments", "ix_comments_post_id", ["post_id"]),
    ("comments", "ix_comments_course_id", ["course_id"]),
    ("comments", "ix_comments_author_id", ["author_id"]),
]


def upgrade():
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE posts SET comment_count = (SELECT count(*) FROM comments WHERE comments.post_id = posts.id"
        " AND comments.deleted_at IS NULL AND comments.visibility = 'visible')"
    )
    for table, name, columns in NEW:
        op.create_index(name, table, columns, unique=False)
    op.create_index(
        "ix_posts_gated_readings",
        "posts",
        ["id"],
        unique=False,
        postgresql_where=sa.text("responses_hidden_until_posted"),
        sqlite_where=sa.text("responses_hidden_until_posted"),
    )
    for table, name, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade():
    op.drop_index("ix_posts_gated_readings", table_name="posts")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("comment_count")
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _ in reversed(NEW):
        op.drop_index(name, table_name=table)
