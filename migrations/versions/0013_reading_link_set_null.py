"""posts.reading_id: ON DELETE SET NULL on every database

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:40:00

0001 was changed after it had run: its first text made this foreign key ON DELETE CASCADE, today's makes it SET NULL
(the models' choice: deleting a reading keeps the responses written to it). A database built from the first text
still cascades, and `flask db check` reports the difference; this makes the key SET NULL wherever it is not already,
and changes nothing where it is.

On SQLite a foreign key cannot be altered, so batch mode recreates `posts` (copy, drop, rename; migrations run with
foreign keys off, migrations/env.py). The search index's triggers on `posts` (migration 0008) are dropped with the
old table: they are read before and created again after, as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NAME = "fk_posts_reading_id_posts"  # named by 0001 (both texts); batch mode keeps the name on SQLite
TRIGGERS = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts' ORDER BY name"


def _on_delete(bind) -> str:
    (key,) = [key for key in sa.inspect(bind).get_foreign_keys("posts") if key["name"] == NAME]
    return (key.get("options") or {}).get("ondelete", "").upper()


def upgrade():
    bind = op.get_bind()
    if _on_delete(bind) == "SET NULL":
        return
    if bind.dialect.name == "sqlite":
        triggers = bind.exec_driver_sql(TRIGGERS).scalars().all()
        with op.batch_alter_table("posts", recreate="always") as batch_op:
            batch_op.drop_constraint(NAME, type_="foreignkey")
            batch_op.create_foreign_key(NAME, "posts", ["reading_id"], ["id"], ondelete="SET NULL")
        for trigger in triggers:
            op.execute(trigger)
    else:
        op.drop_constraint(NAME, "posts", type_="foreignkey")
        op.create_foreign_key(NAME, "posts", "posts", ["reading_id"], ["id"], ondelete="SET NULL")


def downgrade():
    pass  # SET NULL is what 0001 as it stands creates; which of the two a database had before is not known
