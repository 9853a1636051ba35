"""LTI roster: the LMS link (resource link id) each course was set up from, for the roster sync's `rlid`

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 19:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and left empty: courses set up before this keep syncing the whole LMS course.
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_link_id", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.drop_column("resource_link_id")
