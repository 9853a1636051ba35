"""Feed links' secret tokens: turned on, renewed and turned off here, and turned back into their owner.

A token is "<user id>.<HMAC of the person's random feed secret under SECRET_KEY>". The database keeps the secret,
never the token, so a copy of the database alone opens no feed; and since the secret sits on the user row every
page already loads, linking a feed costs no query. Renewing the secret (or turning feeds off) makes every old link
a 404; so does a new SECRET_KEY, as it does for remember-me cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from ..extensions import db
from ..models import MAX_ID, User

_MAC_LENGTH = 32  # characters of URL-safe base64: 192 bits


def _mac(user_id: int, secret: str) -> str:
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"board-feed:{user_id}:{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_LENGTH]


def token_for(user: User) -> str | None:
    """The token this person's feed links carry, or None while their feeds are off."""
    if not user.is_authenticated or user.feed_secret is None:
        return None
    return f"{user.id}.{_mac(user.id, user.feed_secret)}"


def owner_of(token: str) -> User | None:
    """The person a feed token belongs to; None for a token that is malformed, renewed, turned off or forged."""
    user_id, _, mac = token.partition(".")
    if not (user_id.isascii() and user_id.isdigit()) or int(user_id) > MAX_ID or len(mac) != _MAC_LENGTH:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.feed_secret is None or not hmac.compare_digest(_mac(user.id, user.feed_secret), mac):
        return None
    return user


def renew(user: User) -> bool:
    """Turn the person's feeds on, or give them new links: a new secret, so every earlier link stops working.
    True when feeds were off until now."""
    turned_on = user.feed_secret is None
    user.feed_secret = secrets.token_urlsafe(32)
    db.session.commit()
    return turned_on


def turn_off(user: User) -> None:
    """Turn the person's feeds off: every link of theirs stops working."""
    user.feed_secret = None
    db.session.commit()
