"""Feed links' secret tokens: made, renewed and turned off here, and turned back into their owner.

A token is "<key id>.<HMAC of the key's random secret under SECRET_KEY>". The database keeps the secret, never the
token: a copy of the database alone opens no feed. Renewing the secret (or deleting the key) makes every old link
a 404; so does a new SECRET_KEY, as it does for remember-me cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import MAX_ID, User
from .models import FeedKey

_MAC_LENGTH = 32  # characters of URL-safe base64: 192 bits


def _mac(key: FeedKey) -> str:
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"board-feed:{key.id}:{key.secret}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_LENGTH]


def token_of(key: FeedKey | None) -> str | None:
    """The token that feed links carry for this key (None when feeds are off)."""
    return None if key is None else f"{key.id}.{_mac(key)}"


def key_of(user: User) -> FeedKey | None:
    """The person's feed key, or None while their feeds are off."""
    return db.session.scalar(select(FeedKey).where(FeedKey.user_id == user.id))


def token_for(user: User) -> str | None:
    """The token for this person's feed links, or None while their feeds are off."""
    return token_of(key_of(user))


def owner_of(token: str) -> User | None:
    """The person a feed token belongs to; None for a token that is malformed, renewed, turned off or forged."""
    key_id, _, mac = token.partition(".")
    if not (key_id.isascii() and key_id.isdigit()) or int(key_id) > MAX_ID or len(mac) != _MAC_LENGTH:
        return None
    key = db.session.get(FeedKey, int(key_id))
    if key is None or not hmac.compare_digest(_mac(key), mac):
        return None
    return key.user


def renew(user: User) -> bool:
    """Turn the person's feeds on, or give them new links: a new secret, so every earlier link stops working.
    True when feeds were off until now."""
    key = key_of(user)
    turned_on = key is None
    if turned_on:
        key = FeedKey(user_id=user.id)
        db.session.add(key)
    key.secret = secrets.token_urlsafe(32)
    db.session.commit()
    return turned_on


def turn_off(user: User) -> bool:
    """Turn the person's feeds off: every link of theirs stops working. False if they were off already."""
    key = key_of(user)
    if key is None:
        return False
    db.session.delete(key)
    db.session.commit()
    return True
