"""Time zones: each person's (asked once from the browser, editable on the account page) and each course's (its
settings; the zone of members who have none)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:00:00

Batched comment email needs no schema: an outbox row per person, thread and hour (board/notifications/batches.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("courses") as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="America/New_York", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("courses") as batch_op:
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("time_zone")
