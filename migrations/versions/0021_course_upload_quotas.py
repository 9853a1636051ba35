"""Courses may have their own upload quotas, set by the site admin (None: the site's default from the settings)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses") as batch_op:
        batch_op.add_column(sa.Column("upload_person_quota_mb", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("upload_course_quota_mb", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("courses") as batch_op:
        batch_op.drop_column("upload_course_quota_mb")
        batch_op.drop_column("upload_person_quota_mb")
