"""Pending registrations: the emailed link carries a random token, kept here only as its SHA-256, with the address

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _id_type():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "pending_registrations",
        sa.Column("id", _id_type(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_registrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_registrations_token_hash")),
    )
    with op.batch_alter_table("pending_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_registrations_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_registrations_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_registrations_expires_at"))
        batch_op.drop_index(batch_op.f("ix_pending_registrations_email"))
    op.drop_table("pending_registrations")
