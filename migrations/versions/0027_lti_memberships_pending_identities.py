"""Memberships the LMS made (a launch or a roster sync enrolled the person): roster sync removes only these, never a
member who joined by code; existing memberships are marked where the data shows the LMS made them. Pending LMS
identities: a first launch waits there for the person to link it to their account or make a new one

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 19:40:00.000000

Before this revision nothing recorded how a membership was made. The one case the rows still tell apart: the
membership was created within a few seconds of the person's LMS account on the platform of the LMS course linked to
that Board course. Both rows are then from one launch or one roster sync that saw this LMS user for the first time
and enrolled them (a person cannot launch, then find and type a join code, in that time). Every other membership,
including LMS members enrolled by a later launch or sync, and the instructor who made the course from their LMS
course, is left unmarked: the safe side, a sync never removes it (an instructor removes such a member by hand).
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SAME_LAUNCH = timedelta(seconds=5)


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "lti_memberships",
        sa.Column("membership_id", _id(), nullable=False),
        sa.Column("context_id", _id(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["lti_contexts.id"],
            name=op.f("fk_lti_memberships_context_id_lti_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_lti_memberships_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_lti_memberships")),
    )
    with op.batch_alter_table("lti_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_memberships_context_id"), ["context_id"], unique=False)
    mark_lms_memberships(op.get_bind())

    op.create_table(
        "lti_pending_identities",
        sa.Column("id", _id(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("platform_id", _id(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("login_params", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_pending_identities_platform_id_lti_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_pending_identities")),
        sa.UniqueConstraint("public_id", name=op.f("uq_lti_pending_identities_public_id")),
    )
    with op.batch_alter_table("lti_pending_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_pending_identities_expires_at"), ["expires_at"], unique=False)


def mark_lms_memberships(connection) -> int:
    """Record as the LMS's the existing memberships that the data shows a launch or sync made (see above)."""
    memberships = sa.table(
        "memberships",
        sa.column("id"),
        sa.column("course_id"),
        sa.column("user_id"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    contexts = sa.table("lti_contexts", sa.column("id"), sa.column("platform_id"), sa.column("course_id"))
    accounts = sa.table(
        "lti_accounts",
        sa.column("platform_id"),
        sa.column("user_id"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    marks = sa.table(
        "lti_memberships",
        sa.column("membership_id"),
        sa.column("context_id"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    already = sa.select(marks.c.membership_id)
    candidates = connection.execute(
        sa.select(memberships.c.id, contexts.c.id, memberships.c.created_at, accounts.c.created_at)
        .select_from(memberships)
        .join(contexts, contexts.c.course_id == memberships.c.course_id)
        .join(
            accounts,
            (accounts.c.user_id == memberships.c.user_id) & (accounts.c.platform_id == contexts.c.platform_id),
        )
        .where(memberships.c.id.not_in(already))
        .order_by(memberships.c.id, contexts.c.id)
    ).all()
    rows = {}
    for membership_id, context_id, joined_at, linked_at in candidates:
        if membership_id in rows or joined_at is None or linked_at is None:
            continue
        if abs(_naive(joined_at) - _naive(linked_at)) <= SAME_LAUNCH:
            rows[membership_id] = {"membership_id": membership_id, "context_id": context_id, "created_at": joined_at}
    if rows:
        connection.execute(marks.insert(), list(rows.values()))
    return len(rows)


def _naive(moment):
    """UTC without its zone (SQLite gives naive UTC, PostgreSQL aware), so the two compare."""
    return moment.replace(tzinfo=None) - (moment.utcoffset() or timedelta(0))


def downgrade():
    with op.batch_alter_table("lti_pending_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_pending_identities_expires_at"))

    op.drop_table("lti_pending_identities")
    with op.batch_alter_table("lti_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_memberships_context_id"))

    op.drop_table("lti_memberships")
