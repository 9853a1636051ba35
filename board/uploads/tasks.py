"""Uploads' jobs: removing, every hour, the uploads nothing alive refers to once their grace has passed."""

from __future__ import annotations

from huey import crontab

from ..extensions import huey, in_app_context
from . import cleanup


@huey.periodic_task(crontab(minute="41"))
@in_app_context
def delete_orphaned_uploads() -> None:
    """Delete uploads no post or comment has referred to for UPLOADS_GRACE_HOURS, and their bytes (hourly, a
    batch at a time: a backlog goes over the next runs)."""
    cleanup.delete_orphans()
