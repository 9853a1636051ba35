"""Account jobs: clearing out the rows of expired sessions and registration links."""

from __future__ import annotations

from huey import crontab

from ..extensions import huey, in_app_context
from . import email_flows, sessions


# Expired sessions are refused when loaded; this only keeps their rows from piling up.
@huey.periodic_task(crontab(minute="17"))
@in_app_context
def delete_expired_sessions() -> None:
    """Delete the rows of sessions that have outlived both cookies (hourly)."""
    sessions.delete_expired()


# Expired registration links are refused when followed; this only keeps their rows from piling up.
@huey.periodic_task(crontab(minute="23"))
@in_app_context
def delete_expired_registrations() -> None:
    """Delete the pending registrations whose link has expired (hourly)."""
    email_flows.delete_expired_registrations()
