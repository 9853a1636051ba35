"""The job queue (Huey) and its tasks: work that never happens inside a web request, such as sending email.

QUEUE_URL chooses where jobs wait: unset, a SQLite file `instance/queue.sqlite3`; `redis://…`, Redis (production,
several machines); `immediate`, no queue at all: each job runs at once inside its caller (the tests).
`flask --app board worker` consumes the queue. Tasks stay thin: they take ids or plain values and call a service.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage

from . import mail

# One queue per process, like the app; init_app() points it at its storage. Results are not kept: nobody waits for
# a job's return value, and unread results would pile up in Redis.
huey = Huey("board", immediate=True, results=False)

_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Configure the queue from the app's QUEUE_URL and remember the app the worker's tasks run in."""
    global _app
    configure(app.config.get("QUEUE_URL"), Path(app.instance_path))
    _app = app
    app.extensions["huey"] = huey


def configure(url: str | None, instance_path: Path) -> None:
    """Point the queue at SQLite in the instance folder (url None), Redis (redis://…) or immediate mode."""
    if url == "immediate":
        huey.immediate = True  # Huey swaps in its in-memory storage
        return
    if url is None:
        storage_class, kwargs = SqliteStorage, {"filename": str(instance_path / "queue.sqlite3")}
    elif urlsplit(url).scheme in ("redis", "rediss", "unix"):
        storage_class, kwargs = RedisStorage, {"url": url}
    else:
        raise ValueError("QUEUE_URL must be unset (SQLite in instance/), redis://host:port/db or immediate.")
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    if huey.immediate:
        huey.immediate = False  # the setter builds the storage from the class and arguments above
    else:
        huey.storage = huey.create_storage()


def describe_queue() -> str:
    """Say where jobs wait (for the worker and the demo), without any password."""
    storage = huey.storage
    if huey.immediate:
        return "no queue: each job runs inside its caller (QUEUE_URL=immediate)"
    if isinstance(storage, SqliteStorage):
        return f"the SQLite queue {storage.filename}"
    parts = urlsplit(huey.storage_kwargs["url"])
    return f"the Redis queue at {parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


def _in_app_context(func):
    """Run a task inside an app context: the caller's app when there is one (immediate mode), else this process's."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _app
        if app is None:
            raise RuntimeError("Board's app was never created in this process; start the worker with flask.")
        with app.app_context():
            return func(*args, **kwargs)

    return run


# A refused or unreachable SMTP server is usually brief: three more tries, a minute apart, before giving up.
@huey.task(retries=3, retry_delay=60)
@_in_app_context
def send_email(
    to: str | tuple[str, str],
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one message through board.mail (SMTP, or the outbox folder when SMTP_URL is unset)."""
    mail.send_message(to, subject, text, html, unsubscribe_url=unsubscribe_url, headers=headers)


# Expired sessions are refused when loaded; this only keeps their rows from piling up.
@huey.periodic_task(crontab(minute="17"))
@_in_app_context
def delete_expired_sessions() -> None:
    """Delete the rows of sessions that have outlived both cookies (hourly)."""
    from .auth import sessions

    sessions.delete_expired()


@huey.task()
@_in_app_context
def send_notification_email(notification_id: int) -> None:
    """Email one notification at once, if it is still wanted and may still be seen (checked now)."""
    from .notifications import services

    services.email_notification(notification_id)


# Every hour, a few minutes past: each run sends the digests of the last whole day and week that are not sent yet
# (DigestSent records them), so a run missed while no worker was up is made good by the next one.
@huey.periodic_task(crontab(minute="5"))
@_in_app_context
def send_digests() -> None:
    """Send the daily and weekly digests that are due."""
    from .notifications import services

    services.send_digests("daily")
    services.send_digests("weekly")


@huey.task(retries=3, retry_delay=60)
@_in_app_context
def send_nudge(nudge_id: int) -> None:
    """Email one reminder to respond to a reading (board/desk/nudges.py decides what it says and whether it is due)."""
    from .desk import nudges

    nudges.deliver(nudge_id)
