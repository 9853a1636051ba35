"""Accounts by email: "forgot password" and registration that proves the address first.

A reset link carries a token signed with SECRET_KEY (itsdangerous), so nothing is stored until the owner acts: it
names the account and a fingerprint of its password hash, and once a new password is set the fingerprint no longer
matches and the link is dead. A registration link carries only a random token; the server keeps its SHA-256 beside
the address (PendingRegistration) for 24 hours, and the name and password are chosen on the page the link opens. So
the link says nothing to whoever reads it, and following a link someone else asked for makes the account of whoever
follows it, with their own password: the person who asked learns nothing and can log in to nothing.

Whether or not an address has an account, a request does the same work (write a pending row, add one outbox row)
and the page says the same thing, so neither page nor timing tells a stranger who has an account. Email is never
sent inside the web request: the outbox row (board/outbox/) names the message and its ids, and the worker builds it
when it sends, minting the link then (send_account_email): no live link is ever stored in the database, where a
backup or a replica could be read. The pending row of an address that has an account never gets a token that was
sent anywhere, so it can never be used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, render_template, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse_many
from sqlalchemy import delete, select

from .. import mail, outbox, rate_limits
from ..extensions import db
from ..models import MAX_ID, User, utcnow
from ..urls import links_context
from . import services
from .models import PendingRegistration

RESET_MAX_AGE = 60 * 60  # seconds: a reset link works for an hour
REGISTRATION_MAX_AGE = timedelta(hours=24)  # a registration link works for a day
_RESET_SALT = "board-password-reset"
_MAILBOX_NAMESPACE = "account-email"
ACCOUNT_EMAIL = "account_email"  # the outbox rows of account messages (board/auth/tasks.py sends them)
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet (256 random bits).
_REGISTRATION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def absolute_url(endpoint: str, **values) -> str:
    """The URL of a page as it appears in an email: BASE_URL followed by the page's path (never the Host header)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user: User) -> str:
    # Changes whenever the password does (each scrypt hash has its own salt), so a used link stops working.
    return hashlib.sha256((user.password_hash or "no password").encode()).hexdigest()[:32]


def _digest(value: str) -> str:
    # Addresses are kept in the limit store only as digests.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _mailbox_allows(address: str) -> bool:
    """Count one message to `address` against ACCOUNT_EMAIL_LIMIT; False when a limit is used up.

    Each hit counts and checks in one step in the store, so two requests at the same moment cannot both pass a check
    made before either counted (the shortest window comes first and stops the rest from counting)."""
    items = parse_many(current_app.config["ACCOUNT_EMAIL_LIMIT"])
    key = _digest(address)
    return rate_limits.counted(lambda strategy: all(strategy.hit(item, _MAILBOX_NAMESPACE, key) for item in items))


def _send(message: str, address: str, **ids: int) -> None:
    """Add account message `message` for `address` to the outbox (in the caller's transaction), within the mailbox
    limit. The row names the message and the ids it is about, never a link: the worker mints the link when it sends
    (send_account_email), so no live reset or registration link is ever stored, not even while the row waits."""
    if _mailbox_allows(address):
        payload = {"message": message, "address": address, **ids, "message_id": mail.new_message_id()}
        outbox.add(ACCOUNT_EMAIL, payload)


def request_password_reset(email: str) -> None:
    """Email a one-hour reset link to the account with this address, or say to an unknown address it has none."""
    address = services.normalize_email(email)
    user = services.find_user(address)
    if user is None:
        _send("reset_unknown", address)
    else:
        _send("reset", user.email, user_id=user.id)
    db.session.commit()


def user_for_reset(token: str) -> User | None:
    """The account a live reset link names; None when it is forged, over an hour old, or already used."""
    try:
        data = _serializer(_RESET_SALT).loads(token, max_age=RESET_MAX_AGE)
    except BadData:
        return None
    user_id = data.get("user") if isinstance(data, dict) else None
    if not isinstance(user_id, int) or not 0 < user_id <= MAX_ID:
        return None
    user = db.session.get(User, user_id)
    if user is None or data.get("fingerprint") != _fingerprint(user):
        return None
    return user


def request_registration(email: str) -> None:
    """Email a link that lets the address's owner create the account, or tell an existing account's owner that
    someone tried. Either way a pending row is written; its token is minted when the link is sent, and for an
    address that has an account it never is, so that row can never be used."""
    address = services.normalize_email(email)
    pending = PendingRegistration(
        email=address, token_hash=_token_hash(secrets.token_urlsafe(32)), expires_at=utcnow() + REGISTRATION_MAX_AGE
    )
    db.session.add(pending)
    db.session.flush()
    user = services.find_user(address)
    if user is not None:
        _send("register_existing", user.email, user_id=user.id)
    else:
        _send("register_confirm", address, pending_id=pending.id)
    db.session.commit()


# Sending (the outbox's handler, board/auth/tasks.py) -------------------------------------------------------------


def send_account_email(payload: dict) -> bool:
    """Build and send one account message now, minting its link now; whether it was sent. A registration link's
    token is stored only as its digest, in the same transaction that marks the outbox row done (a retry after a
    crash mints another link, and the first one never worked)."""
    with links_context():
        built = _build(payload)
    if built is None:
        return False
    to, subject, template, context = built
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    mail.send_message(to, subject, text, html, headers={"X-Board-Kind": template}, message_id=payload["message_id"])
    return True


def _build(payload: dict) -> tuple | None:
    """(to, subject, template, context) of an account message, with its links; None when it is no longer due."""
    message = payload["message"]
    if message == "reset_unknown":
        return (
            payload["address"],
            "No Board account uses this address",
            "reset_unknown",
            _links(register_url="auth.register"),
        )
    if message == "register_confirm":
        pending = db.session.get(PendingRegistration, payload["pending_id"])
        if pending is None or pending.expires_at <= utcnow():
            return None
        token = secrets.token_urlsafe(32)
        pending.token_hash = _token_hash(token)
        confirm_url = absolute_url("auth.confirm_registration", token=token)
        return pending.email, "Confirm your Board account", "register_confirm", {"confirm_url": confirm_url}
    user = db.session.get(User, payload["user_id"])
    if user is None:
        return None
    to = (user.display_name, user.email)
    if message == "reset":
        token = _serializer(_RESET_SALT).dumps({"user": user.id, "fingerprint": _fingerprint(user)})
        context = {"user": user, "reset_url": absolute_url("auth.reset_password", token=token)}
        return to, "Set a new Board password", "reset", context | _links(forgot_url="auth.forgot_password")
    if message == "register_existing":
        context = {"user": user} | _links(login_url="auth.login", forgot_url="auth.forgot_password")
        return to, "Someone tried to register with your address", "register_existing", context
    raise ValueError(f"unknown account message {message!r}")


def _links(**endpoints: str) -> dict[str, str]:
    return {name: absolute_url(endpoint) for name, endpoint in endpoints.items()}


def pending_registration(token: str) -> PendingRegistration | None:
    """The registration a live link names; None when the token is malformed or unknown, used, or over a day old."""
    if not _REGISTRATION_TOKEN.fullmatch(token):
        return None
    return db.session.scalar(
        select(PendingRegistration).where(
            PendingRegistration.token_hash == _token_hash(token), PendingRegistration.expires_at > utcnow()
        )
    )


def complete_registration(pending: PendingRegistration, display_name: str, password: str) -> User:
    """Create the account with the name and password chosen by whoever followed the link, and retire every link to
    its address; AccountError when the address was registered meanwhile."""
    db.session.execute(delete(PendingRegistration).where(PendingRegistration.email == pending.email))
    return services.create_user(pending.email, display_name, password)


def delete_expired_registrations() -> int:
    """Delete the pending registrations whose link no longer works (the periodic job runs this); returns how many."""
    result = db.session.execute(delete(PendingRegistration).where(PendingRegistration.expires_at <= utcnow()))
    db.session.commit()
    return result.rowcount


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
