"""Queue jobs of the accounts area."""

from __future__ import annotations

from huey import crontab

from ..jobs import _in_app_context, huey
from . import email_flows


# Expired registration links are refused when followed; this only keeps their rows from piling up.
@huey.periodic_task(crontab(minute="23"))
@_in_app_context
def delete_expired_registrations() -> None:
    """Delete the pending registrations whose link has expired (hourly)."""
    email_flows.delete_expired_registrations()
