"""Board's RSA signing keys, kept in the database: the newest unretired key signs (client assertions for the
platform's token endpoint, deep linking responses); every key not retired longer than KEY_OVERLAP is published at
the JWKS URL, so a platform that cached the old key set still checks what the old key signed."""

from __future__ import annotations

import json
from datetime import timedelta

from jwcrypto.jwk import JWK
from sqlalchemy import delete, or_, select

from ..extensions import db
from ..models import utcnow
from .models import LtiKey

KEY_SIZE = 2048
# How long a retired key stays published. Board's own tokens live minutes; this covers platforms that cache a key
# set for a day or more (Canvas and Moodle refetch on an unknown kid, others on a schedule).
KEY_OVERLAP = timedelta(days=7)


def _new_key() -> LtiKey:
    jwk = JWK.generate(kty="RSA", size=KEY_SIZE)
    pem = jwk.export_to_pem(private_key=True, password=None).decode()
    return LtiKey(kid=jwk.thumbprint(), private_pem=pem)


def signing_key() -> LtiKey:
    """The key Board signs with, made (and committed) the first time one is needed."""
    key = db.session.scalar(select(LtiKey).where(LtiKey.retired_at.is_(None)).order_by(LtiKey.id.desc()).limit(1))
    if key is None:
        key = _new_key()
        db.session.add(key)
        db.session.commit()
    return key


def public_pem(key: LtiKey) -> str:
    """The public half of `key` in PEM."""
    return JWK.from_pem(key.private_pem.encode()).export_to_pem().decode()


def _public_jwk(key: LtiKey) -> dict:
    jwk = json.loads(JWK.from_pem(key.private_pem.encode()).export_public())
    return {**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"}


def published_keys() -> dict:
    """The JWKS document: the signing key and the keys retired within KEY_OVERLAP (read only: nothing made on GET)."""
    since = utcnow() - KEY_OVERLAP
    keys = db.session.scalars(
        select(LtiKey).where(or_(LtiKey.retired_at.is_(None), LtiKey.retired_at > since)).order_by(LtiKey.id)
    )
    return {"keys": [_public_jwk(key) for key in keys]}


def rotate() -> tuple[LtiKey, list[str]]:
    """Make a new signing key, retire the current one (still published for KEY_OVERLAP) and delete keys retired
    longer ago than that. Returns the new key and the kids deleted."""
    now = utcnow()
    current = db.session.scalars(select(LtiKey).where(LtiKey.retired_at.is_(None))).all()
    for key in current:
        key.retired_at = now
    stale = db.session.scalars(select(LtiKey.kid).where(LtiKey.retired_at <= now - KEY_OVERLAP)).all()
    db.session.execute(delete(LtiKey).where(LtiKey.retired_at <= now - KEY_OVERLAP))
    key = _new_key()
    db.session.add(key)
    db.session.commit()
    return key, list(stale)
