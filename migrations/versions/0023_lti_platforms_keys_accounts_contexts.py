"""LTI 1.3: registered platforms and deployments, Board's signing keys, used launch nonces, and the links from LMS
users and courses to Board accounts and courses

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 18:19:22.465135

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "lti_keys",
        sa.Column("id", _id(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_lti_keys_kid")),
    )
    op.create_table(
        "lti_platforms",
        sa.Column("id", _id(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("auth_login_url", sa.String(length=500), nullable=False),
        sa.Column("auth_token_url", sa.String(length=500), nullable=False),
        sa.Column("key_set_url", sa.String(length=500), nullable=False),
        sa.Column("auth_audience", sa.String(length=500), nullable=True),
        sa.Column("frame_origins", sa.Text(), server_default="", nullable=False),
        sa.Column("key_set_json", sa.Text(), nullable=True),
        sa.Column("key_set_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_platforms")),
        sa.UniqueConstraint("issuer", "client_id", name=op.f("uq_lti_platforms_issuer_client_id")),
    )
    op.create_table(
        "lti_accounts",
        sa.Column("id", _id(), nullable=False),
        sa.Column("platform_id", _id(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_accounts_platform_id_lti_platforms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lti_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_accounts")),
        sa.UniqueConstraint("platform_id", "sub", name=op.f("uq_lti_accounts_platform_id_sub")),
        sa.UniqueConstraint("platform_id", "user_id", name=op.f("uq_lti_accounts_platform_id_user_id")),
    )
    with op.batch_alter_table("lti_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_accounts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lti_contexts",
        sa.Column("id", _id(), nullable=False),
        sa.Column("platform_id", _id(), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("course_id", _id(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("memberships_url", sa.String(length=500), nullable=True),
        sa.Column("lineitems_url", sa.String(length=500), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_lti_contexts_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_contexts_platform_id_lti_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_contexts")),
        sa.UniqueConstraint("platform_id", "context_id", name=op.f("uq_lti_contexts_platform_id_context_id")),
    )
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_contexts_course_id"), ["course_id"], unique=False)

    op.create_table(
        "lti_deployments",
        sa.Column("id", _id(), nullable=False),
        sa.Column("platform_id", _id(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_deployments_platform_id_lti_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_deployments")),
        sa.UniqueConstraint("platform_id", "deployment_id", name=op.f("uq_lti_deployments_platform_id_deployment_id")),
    )
    with op.batch_alter_table("lti_deployments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_deployments_platform_id"), ["platform_id"], unique=False)

    op.create_table(
        "lti_used_nonces",
        sa.Column("id", _id(), nullable=False),
        sa.Column("platform_id", _id(), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_used_nonces_platform_id_lti_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_used_nonces")),
        sa.UniqueConstraint("platform_id", "nonce", name=op.f("uq_lti_used_nonces_platform_id_nonce")),
    )
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_used_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_used_nonces_expires_at"))

    op.drop_table("lti_used_nonces")
    with op.batch_alter_table("lti_deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_deployments_platform_id"))

    op.drop_table("lti_deployments")
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_contexts_course_id"))

    op.drop_table("lti_contexts")
    with op.batch_alter_table("lti_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_accounts_user_id"))

    op.drop_table("lti_accounts")
    op.drop_table("lti_platforms")
    op.drop_table("lti_keys")
