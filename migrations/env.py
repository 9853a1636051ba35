import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import event

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Loggers that exist already (the app's, Flask-Limiter's) keep working: `flask --app board demo` migrates in the
# process that then serves, and a disabled logger would swallow their warnings.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection, sqlite_migration_settings(connection):
        # One transaction for the whole upgrade on SQLite too (sqlite_migration_settings): a failed one changes nothing.
        context.configure(connection=connection, target_metadata=get_metadata(), transactional_ddl=True, **conf_args)

        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)


@contextmanager
def sqlite_migration_settings(connection):
    """On SQLite: foreign keys off while migrating, and the whole upgrade in one transaction.

    The app turns foreign keys on for every connection (board/extensions.py), but batch mode recreates a table by
    copying it, dropping the old one and renaming the copy: with foreign keys on, the DROP TABLE deletes every row
    that refers to the table (ON DELETE CASCADE) or empties its column (SET NULL). Alembic's batch documentation
    asks for the pragma to be off ("Dealing with Referencing Foreign Keys"); check_foreign_keys then checks what
    the upgrade left. SQLite ignores the pragma inside a transaction, so it is set before the first BEGIN.

    Python's sqlite3 begins a transaction only before INSERT, UPDATE or DELETE, so DDL would commit as it goes and a
    failed upgrade would leave half a schema behind. Here the driver begins nothing by itself (autocommit) and BEGIN
    is sent when Alembic begins, with transactional DDL, which SQLite has: one transaction for the whole upgrade.
    The connection goes back to the pool with foreign keys on and the driver's own transaction handling."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.execution_options(isolation_level="AUTOCOMMIT")  # reset when the connection returns to the pool
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    event.listen(connection, "begin", _sqlite_begin)
    try:
        yield
    finally:
        event.remove(connection, "begin", _sqlite_begin)
        if connection.in_transaction():
            connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # outside any transaction, so it takes
        connection.commit()


def _sqlite_begin(connection):
    connection.exec_driver_sql("BEGIN")


def check_foreign_keys(connection):
    """On SQLite, before the upgrade commits: every foreign key still finds its row, or the upgrade fails (and is
    rolled back) naming the rows that do not."""
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL checks every foreign key as it goes, in migrations too
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        rows = ", ".join(f"{table} row {rowid} (no row in {parent})" for table, rowid, parent, _ in broken[:20])
        raise RuntimeError(
            f"The upgrade was rolled back: {len(broken)} rows would refer to rows that do not exist: {rows}. "
            "Fix or delete them, then upgrade again."
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
