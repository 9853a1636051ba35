"""Accounts by email: "forgot password" and registration confirmed from the address's mailbox.

Links carry tokens signed with SECRET_KEY (itsdangerous, one salt per purpose), so nothing is stored until the
owner acts. A reset token names the account and a fingerprint of its password hash: once a new password is set,
the fingerprint no longer matches and the link is dead. A registration token carries the address, the display name
and the scrypt hash of the chosen password; confirming creates the account if the address is still free.

Whether or not an address has an account, a request does the same work (hash, render, add one outbox row) and the
page says the same thing, so neither page nor timing tells a stranger who has an account. Email is never sent inside
the web request: the message is rendered here and committed to the outbox (board/outbox/), which the job queue
delivers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app, render_template, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse_many

from .. import outbox, rate_limits
from ..extensions import db
from ..models import MAX_ID, User
from . import services

RESET_MAX_AGE = 60 * 60  # seconds: a reset link works for an hour
REGISTRATION_MAX_AGE = 24 * 60 * 60  # seconds: a confirmation link works for a day
_RESET_SALT = "board-password-reset"
_REGISTRATION_SALT = "board-registration"
_MAILBOX_NAMESPACE = "account-email"


@dataclass(frozen=True)
class Registration:
    """What a valid confirmation link asks to create."""

    email: str
    display_name: str
    password_hash: str


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


def _send(to: str | tuple[str, str], subject: str, template: str, **context) -> None:
    """Render the text and HTML parts of templates/email/<template> and add the message to the outbox (in the
    caller's transaction), within the mailbox limit."""
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    address = to[1] if isinstance(to, tuple) else to
    if _mailbox_allows(address):
        outbox.email(to, subject, text, html, headers={"X-Board-Kind": template})


def request_password_reset(email: str) -> None:
    """Email a one-hour reset link to the account with this address, or say to an unknown address it has none."""
    address = services.normalize_email(email)
    user = services.find_user(address)
    if user is None:
        _send(
            address, "No Board account uses this address", "reset_unknown", register_url=absolute_url("auth.register")
        )
    else:
        token = _serializer(_RESET_SALT).dumps({"user": user.id, "fingerprint": _fingerprint(user)})
        _send(
            (user.display_name, user.email),
            "Set a new Board password",
            "reset",
            user=user,
            reset_url=absolute_url("auth.reset_password", token=token),
            forgot_url=absolute_url("auth.forgot_password"),
        )
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


def request_registration(email: str, display_name: str, password: str) -> None:
    """Email a link that creates the account, or tell the owner of an existing account that someone tried."""
    address = services.normalize_email(email)
    # The slow part (scrypt) happens for every address, so the time taken does not tell them apart.
    password_hash = services.hash_password(password)
    user = services.find_user(address)
    if user is not None:
        _send(
            (user.display_name, user.email),
            "Someone tried to register with your address",
            "register_existing",
            user=user,
            login_url=absolute_url("auth.login"),
            forgot_url=absolute_url("auth.forgot_password"),
        )
    else:
        name = display_name.strip()
        token = _serializer(_REGISTRATION_SALT).dumps({"email": address, "name": name, "hash": password_hash})
        _send(
            (name, address),
            "Confirm your Board account",
            "register_confirm",
            display_name=name,
            confirm_url=absolute_url("auth.confirm_registration", token=token),
        )
    db.session.commit()


def registration_for(token: str) -> Registration | None:
    """What a live confirmation link asks to create; None when it is forged or over a day old."""
    try:
        data = _serializer(_REGISTRATION_SALT).loads(token, max_age=REGISTRATION_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), str) for key in ("email", "name", "hash")):
        return None
    return Registration(email=data["email"], display_name=data["name"], password_hash=data["hash"])


def confirm_registration(registration: Registration) -> User:
    """Create the confirmed account; AccountError when the address was registered meanwhile."""
    return services.create_user(
        registration.email, registration.display_name, None, password_hash=registration.password_hash
    )
