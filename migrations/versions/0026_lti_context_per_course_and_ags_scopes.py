"""LTI: one LMS course (context) per Board course, and the AGS scopes the platform's launches granted

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 19:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    # Before the constraint, two racing course setups could link one Board course to two LMS courses: the later
    # link of such a pair (made seconds after the first; nothing else could make one) is dropped.
    op.execute("DELETE FROM lti_contexts WHERE id NOT IN (SELECT MIN(id) FROM lti_contexts GROUP BY course_id)")
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ags_scopes", sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_lti_contexts_course_id"))
        batch_op.create_index(batch_op.f("ix_lti_contexts_course_id"), ["course_id"], unique=True)


def downgrade():
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_contexts_course_id"))
        batch_op.create_index(batch_op.f("ix_lti_contexts_course_id"), ["course_id"], unique=False)
        batch_op.drop_column("ags_scopes")
