"""Account jobs: sending account email (an outbox row, board/outbox/), and clearing out the rows of expired sessions
and registration links."""

from __future__ import annotations

from huey import crontab

from .. import outbox
from ..extensions import huey, in_app_context
from . import email_flows, sessions


@outbox.handler(email_flows.ACCOUNT_EMAIL)
def send_account_email(payload: dict) -> None:
    """Send one account message (a reset or registration link, minted now, or a notice)."""
    email_flows.send_account_email(payload)


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
