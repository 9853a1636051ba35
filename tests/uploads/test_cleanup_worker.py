"""The orphan clean-up as it runs in production: the hourly task, taken from Redis by a real
`flask --app board worker` process, removes an old orphaned upload and its bytes and leaves a referenced one."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from board.extensions import configure_queue, db
from board.models import utcnow
from board.uploads import tasks
from board.uploads.models import Upload
from board.uploads.storage import get_storage
from tests import factories

from ..test_jobs import Process, database_of
from .test_cleanup import a_class, stored, uploaded
from .test_uploads import pdf, png

# Redis database 13 is this test's own (TEST_UPLOADS_QUEUE_URL overrides it); emptied before and after.
QUEUE_URL = os.environ.get("TEST_UPLOADS_QUEUE_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_queue(app):
    server = redis.Redis.from_url(QUEUE_URL)
    server.flushdb()
    configure_queue(QUEUE_URL, Path(app.instance_path))
    yield QUEUE_URL
    configure_queue("immediate", Path(app.instance_path))
    server.flushdb()
    server.close()


def _worker_environment(app) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "PORT", "SMTP_URL")}
    env.update(
        DATABASE_URL=database_of(app),
        QUEUE_URL=QUEUE_URL,
        # The storage this test's app writes to (instance/uploads), named for the worker.
        UPLOADS_URL=f"file://{Path(app.instance_path) / 'uploads'}",
        SECRET_KEY="test-secret-key-not-for-production",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_gone(upload_id: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each time
        if db.session.get(Upload, upload_id) is None:
            return True
        time.sleep(0.05)
    return False


def test_worker_process_deletes_an_old_orphan_and_its_file_and_keeps_a_referenced_upload(
    app, make_visitor, redis_queue
):
    course, people, reading = a_class()
    ada = make_visitor(people["ada"])
    orphan, _ = uploaded(ada, course, pdf(), "abandoned.pdf")
    kept, markdown = uploaded(ada, course, png(), "kept.png")
    factories.response(course, people["ada"], reading, body=f"See:\n\n{markdown}\n")
    # Both a day and more old: past the worker's grace (its default, 24 hours).
    for row in db.session.query(Upload):
        row.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert all(stored(orphan) + stored(kept))

    worker = Process(["worker", "--threads", "1"], _worker_environment(app))
    try:
        worker.wait_for("Worker: consuming")
        tasks.delete_orphaned_uploads()  # queued in Redis, as the hourly schedule does

        assert _wait_until_gone(orphan.id), worker.output
        assert not any(stored(orphan)), worker.output
        assert db.session.get(Upload, kept.id) is not None and all(stored(kept))
        assert get_storage().exists(kept.key)
    finally:
        code = worker.interrupt() if worker.popen.poll() is None else worker.popen.returncode
        worker.close()
    assert code == 0, worker.output
