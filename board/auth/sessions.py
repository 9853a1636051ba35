"""Signed-in sessions kept on the server: one `UserSession` row per browser, so that ending it really ends it.

The browser holds a random token inside Flask-Login's user id ("<user id>:<token>"), in both the session cookie
and the remember-me cookie; the row keeps only its SHA-256. Loading the user needs the row, so a cookie copied
before logout, or from before a password change, finds nothing and is refused.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_login import login_user, logout_user
from flask_login.config import COOKIE_DURATION
from sqlalchemy import Delete, bindparam, delete, select

from ..extensions import db
from ..models import MAX_ID, User, UserSession, utcnow

_SEPARATOR = ":"
_USER_AGENT_LENGTH = UserSession.user_agent.type.length
_ADDRESS_LENGTH = UserSession.ip_address.type.length


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _oldest_live():
    """When the oldest session still honoured began: neither cookie outlives its own lifetime, and a copied remember-me
    cookie (which carries no date of its own) must not either."""
    lifetime = max(
        current_app.config.get("REMEMBER_COOKIE_DURATION") or COOKIE_DURATION,
        current_app.permanent_session_lifetime,
    )
    if not isinstance(lifetime, timedelta):
        lifetime = timedelta(seconds=lifetime)
    return utcnow() - lifetime


def log_in(user: User, *, remember: bool, user_agent: str, address: str | None) -> None:
    """Start a new server-side session for `user` in this browser and log it in."""
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        user_agent=(user_agent or "").replace("\x00", "")[:_USER_AGENT_LENGTH],
        ip_address=(address or "")[:_ADDRESS_LENGTH],
    )
    db.session.add(record)
    db.session.commit()
    user.session_token = token
    user.session_id = record.id
    login_user(user, remember=remember)


@functools.cache
def _load_statement():
    """The user loader's query, built once (every request runs it; building it cost more than running it): the user,
    their session and the header's notification count."""
    from ..notifications.services import unread_count_of

    user_id = bindparam("user_id")
    return (
        select(User, UserSession.id, unread_count_of(user_id))
        .join(UserSession, UserSession.user_id == User.id)
        .where(*_live_session(user_id))
    )


def _live_session(user_id) -> tuple:
    """What makes the session a browser names live: its token's hash, its user, and not older than any cookie may be
    (the parameters token_hash and oldest, filled by _parameters)."""
    return (
        UserSession.token_hash == bindparam("token_hash"),
        UserSession.user_id == user_id,
        UserSession.created_at > bindparam("oldest"),
    )


def _parameters(user_id: int, token: str) -> dict:
    return {"user_id": user_id, "token_hash": _hash(token), "oldest": _oldest_live()}


def _parse(session_user_id: str) -> tuple[int, str] | None:
    user_id, _, token = session_user_id.partition(_SEPARATOR)
    # The id comes from a signed cookie, but an id no column can hold must still be unknown rather than an error.
    if not token or not (user_id.isascii() and user_id.isdigit()) or int(user_id) > MAX_ID:
        return None
    return int(user_id), token


def load(session_user_id: str) -> User | None:
    """The user whose live session this id names ("<user id>:<token>"); None if the session was ended."""
    parsed = _parse(session_user_id)
    if parsed is None:
        return None
    user_id, token = parsed
    row = db.session.execute(_load_statement(), _parameters(user_id, token)).first()
    if row is None:
        return None
    user, session_id, unread = row
    user.session_token = token
    user.session_id = session_id
    user.unread_notifications = unread
    return user


def log_out(user: User) -> None:
    """End this browser's session (its row goes, so copies of its cookies stop working too)."""
    if user.is_authenticated and user.session_id is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == user.session_id))
        db.session.commit()
    logout_user()


def delete_expired() -> int:
    """Delete the rows of sessions no cookie can use any more (the periodic job runs this); returns how many."""
    result = db.session.execute(delete(UserSession).where(UserSession.created_at <= _oldest_live()))
    db.session.commit()
    return result.rowcount


def list_for(user: User) -> list[UserSession]:
    """The account's signed-in sessions, newest first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.created_at > _oldest_live())
            .order_by(UserSession.created_at.desc())
        )
    )


def end(user: User, session_id: int) -> bool:
    """End one of the account's own sessions; False if it has none with this id (or it is another's)."""
    if session_id == user.session_id:
        log_out(user)
        return True
    result = db.session.execute(delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id))
    db.session.commit()
    return result.rowcount > 0


def deletion(user: User, *, keep_current: bool) -> Delete:
    """The statement that ends the account's sessions, all of them or all but this browser's (not executed)."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_current and user.session_id is not None:
        statement = statement.where(UserSession.id != user.session_id)
    return statement


def end_others(user: User) -> int:
    """End every session of the account except this browser's; returns how many ended."""
    result = db.session.execute(deletion(user, keep_current=True))
    db.session.commit()
    return result.rowcount


_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\b(Headless)?Chrome/|\bCriOS/")),
    ("Chromium", re.compile(r"\bChromium/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def browser_name(user_agent: str) -> str:
    """A short, readable name for a User-Agent header: "Firefox on Windows", or "Unknown browser"."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")
