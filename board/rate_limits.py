"""Limits on writing: registrations and reset requests per address, and comments, responses and reports per account.

Flask-Limiter counts in RATELIMIT_STORAGE_URI (per process with memory://, shared by every worker with redis://)
and refuses with a 429 TooManyRequests carrying Retry-After. Login throttling is board/auth/throttle.py.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .extensions import limiter


def _account_key() -> str:
    # The views behind this limit require a login; an address is only a fallback so the key is never empty.
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{get_remote_address()}"


#: Shared by every route that posts something (one budget per account, whichever form is used).
posting = limiter.shared_limit(
    lambda: current_app.config["POSTING_RATE_LIMIT"], scope="posting", key_func=_account_key, methods=["POST"]
)

#: Registrations and "forgot password" requests per client address: one budget for both, since each sends an email.
registration = limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="registration", methods=["POST"]
)
