"""Pending LMS identities: a checked launch from an LMS user Board has not seen, kept server-side for a few minutes
and used once, so the person chooses on Board's own site (where their session is) whether it opens the account
signed in there or a new one. The page's address names it; a secret in a cookie of this browser (path /lti/, set
by the launch's answer) proves the browser is the one that launched: knowing the address is not enough."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from ..extensions import db
from ..models import utcnow
from .models import LtiPendingIdentity, LtiPlatform

KEPT = timedelta(minutes=10)
COOKIE_PREFIX = "lti_identity_"


@dataclass
class Pending:
    """A pending identity as the page uses it."""

    row: LtiPendingIdentity
    platform: LtiPlatform
    claims: dict
    login_params: dict


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def keep(platform: LtiPlatform, claims: dict, login_params: dict) -> tuple[str, str]:
    """Keep a checked launch; returns (public id, secret for the cookie). Not committed."""
    now = utcnow()
    db.session.execute(delete(LtiPendingIdentity).where(LtiPendingIdentity.expires_at < now))
    public_id, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
    db.session.add(
        LtiPendingIdentity(
            public_id=public_id,
            secret_hash=_hash(secret),
            platform_id=platform.id,
            claims=json.dumps(claims),
            login_params=json.dumps(login_params),
            expires_at=now + KEPT,
        )
    )
    return public_id, secret


def find(public_id: str, secret: str | None) -> Pending | None:
    """The pending identity this browser holds under `public_id`, if it is still valid; None otherwise (expired,
    used, unknown, or the secret of another browser)."""
    row = db.session.scalar(db.select(LtiPendingIdentity).where(LtiPendingIdentity.public_id == public_id[:32]))
    if row is None or not secret or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    if row.expires_at <= utcnow():
        return None
    platform = db.session.get(LtiPlatform, row.platform_id)
    if platform is None:
        return None
    return Pending(row, platform, json.loads(row.claims), json.loads(row.login_params or "{}"))


def use(pending: Pending) -> bool:
    """Take the pending identity (once: False if another request took it first). Not committed."""
    taken = db.session.execute(delete(LtiPendingIdentity).where(LtiPendingIdentity.id == pending.row.id))
    return taken.rowcount == 1
