"""Login throttling per account and per address, with device cookies so an attacker cannot lock the owner out.

Failed logins are counted with the `limits` library in Flask-Limiter's store (RATELIMIT_STORAGE_URI), so the
counts are per process with memory:// and shared by every worker with redis://. Following OWASP's "device cookies":
a browser that has signed in to an account holds a signed cookie naming it; with that cookie, logins to that
account are limited only by the cookie's own failures (LOGIN_DEVICE_LIMIT), not by the account's or the address's,
so guesses from elsewhere cannot block the owner. Without a valid cookie, both LOGIN_ACCOUNT_LIMIT and
LOGIN_RATE_LIMIT (per address) apply.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Response, current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many

from ..models import User
from ..rate_limits import client_network, counted
from . import services

DEVICE_COOKIE = "board_device"
DEVICE_COOKIE_AGE = timedelta(days=365)
_NAMESPACE = "login-failures"


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused for now, and until when."""

    reason: str
    until: datetime

    @property
    def retry_after(self) -> int:
        """Seconds until the refusal ends (for the Retry-After header)."""
        return max(1, math.ceil((self.until - datetime.now(UTC)).total_seconds()))

    @property
    def minutes(self) -> int:
        """Whole minutes until the refusal ends, rounded up."""
        return max(1, math.ceil(self.retry_after / 60))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="board-device-cookie")


def set_device_cookie(response: Response, user: User) -> None:
    """Mark this browser as one that has signed in to `user` (a fresh nonce each time, as OWASP advises)."""
    value = _serializer().dumps({"user": user.id, "nonce": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def _device_nonce(cookie: str | None, user: User | None) -> str | None:
    """The nonce of a valid device cookie naming `user`; None for a missing, forged, expired or foreign one."""
    if not cookie or user is None:
        return None
    try:
        payload = _serializer().loads(cookie, max_age=int(DEVICE_COOKIE_AGE.total_seconds()))
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("user") != user.id or not isinstance(payload.get("nonce"), str):
        return None
    return payload["nonce"]


def _digest(value: str) -> str:
    # Emails and addresses are stored in the limit store only as digests.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class LoginGuard:
    """The throttling of one login attempt: ask `refusal()` before checking the password, `failed()` after a miss."""

    def __init__(self, email: str, address: str | None, device_cookie: str | None):
        self.account = _digest(services.normalize_email(email))
        self.address = _digest(client_network(address))
        self.device = _device_nonce(device_cookie, services.find_user(email))

    def _counters(self) -> list[tuple[str, str, str]]:
        """(setting, kind, key) of each counter this attempt is checked against and charged to."""
        if self.device is not None and self._exhausted("LOGIN_DEVICE_LIMIT", "device", self.device) is None:
            return [("LOGIN_DEVICE_LIMIT", "device", self.device)]
        # No trusted device cookie (or one itself locked by its failures): the account's and address's limits apply.
        return [("LOGIN_ACCOUNT_LIMIT", "account", self.account), ("LOGIN_RATE_LIMIT", "address", self.address)]

    def refusal(self) -> Refusal | None:
        """Why this attempt is refused without checking the password, or None if it may go ahead."""
        refusals = []
        for setting, kind, key in self._counters():
            until = self._exhausted(setting, kind, key)
            if until is not None:
                refusals.append(Refusal(_REASONS[kind], until))
        return max(refusals, key=lambda refusal: refusal.until, default=None)

    def failed(self) -> None:
        """Count a wrong password against every counter this attempt was checked against."""
        counters = self._counters()

        def hit(strategy) -> None:
            for setting, kind, key in counters:
                for item in _limits(setting):
                    strategy.hit(item, _NAMESPACE, kind, key)

        counted(hit)

    @staticmethod
    def _exhausted(setting: str, kind: str, key: str) -> datetime | None:
        """When the latest exhausted limit of `setting` for this key resets; None if none is exhausted."""
        resets = counted(
            lambda strategy: [
                strategy.get_window_stats(item, _NAMESPACE, kind, key).reset_time
                for item in _limits(setting)
                if not strategy.test(item, _NAMESPACE, kind, key)
            ]
        )
        if not resets:
            return None
        return datetime.fromtimestamp(max(max(resets), time.time() + 1), UTC)


def _limits(setting: str) -> list[RateLimitItem]:
    return parse_many(current_app.config[setting])


_REASONS = {
    "account": (
        "Too many wrong passwords were tried for this account from browsers it has not signed in from. "
        "A browser you have signed in from before can still log in."
    ),
    "address": "Too many wrong passwords were tried from your network address.",
}
