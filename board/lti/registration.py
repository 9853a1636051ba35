"""Registering a platform (the CLI and the admin page call add_platform), and the registrations pylti1p3 asks for
during a launch or a service call, read from Board's tables."""

from __future__ import annotations

from urllib.parse import urlsplit

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from . import keys
from .models import LtiDeployment, LtiPlatform


class RegistrationError(ValueError):
    """A platform registration that cannot be saved; the message says why."""


def _http_url(value: str, what: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise RegistrationError(f"The {what} must be an https:// address.")
    return value


def _origin(url: str) -> str:
    """The scheme and host of an address (a frame origin), refusing anything else."""
    parts = urlsplit(_http_url(url, "frame origin"))
    return f"{parts.scheme}://{parts.netloc}"


def add_platform(
    *,
    issuer: str,
    client_id: str,
    deployment_ids: list[str],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    name: str = "",
    auth_audience: str = "",
    frame_origins: list[str] | None = None,
) -> LtiPlatform:
    """Register a platform (or add deployment ids to one already registered with this issuer and client id)."""
    issuer = _http_url(issuer, "issuer")
    client_id = (client_id or "").strip()
    if not client_id:
        raise RegistrationError("The client id is required.")
    deployment_ids = [d.strip() for d in deployment_ids if d and d.strip()]
    if not deployment_ids:
        raise RegistrationError("At least one deployment id is required.")
    endpoints = {
        "auth_login_url": _http_url(auth_login_url, "OIDC authentication URL"),
        "auth_token_url": _http_url(auth_token_url, "access token URL"),
        "key_set_url": _http_url(key_set_url, "key set (JWKS) URL"),
    }
    platform = db.session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    )
    if platform is None:
        platform = LtiPlatform(issuer=issuer, client_id=client_id)
        db.session.add(platform)
    platform.name = (name or "").strip()[:120] or urlsplit(issuer).netloc
    for field, url in endpoints.items():
        setattr(platform, field, url)
    platform.auth_audience = (auth_audience or "").strip()[:500] or None
    if frame_origins is not None:
        platform.frame_origins = " ".join(_origin(url) for url in frame_origins if url and url.strip())
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(LtiDeployment(deployment_id=deployment_id[:255]))
            known.add(deployment_id)
    db.session.commit()
    return platform


def platforms() -> list[LtiPlatform]:
    """Every registered platform with its deployments (the admin page)."""
    return list(
        db.session.scalars(select(LtiPlatform).options(selectinload(LtiPlatform.deployments)).order_by(LtiPlatform.id))
    )


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The platform registered with this issuer and client id (the client id may be left out when only one is)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(LtiPlatform.client_id == client_id))
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def platform_origins() -> list[str]:
    """The web origins of every registered platform (issuer, sign-in page, frame origins), for frame-ancestors."""
    origins: set[str] = set()
    rows = db.session.execute(select(LtiPlatform.issuer, LtiPlatform.auth_login_url, LtiPlatform.frame_origins))
    for issuer, login, more in rows:
        for url in (issuer, login, *(more or "").split()):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def platform_hosts(platform: LtiPlatform) -> set[str]:
    """The hosts (with their ports) the platform was registered with: its issuer, sign-in, token and key set URLs,
    and its frame origins (Canvas serves its services at the school's own address, given there). Service URLs a
    launch names must be on one of them: Board's bearer token goes nowhere else."""
    urls = (platform.issuer, platform.auth_login_url, platform.auth_token_url, platform.key_set_url)
    return {host for url in (*urls, *(platform.frame_origins or "").split()) if (host := _host(url))}


def _host(url) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts.netloc.lower() if parts and parts.scheme in ("http", "https") else ""


def on_platform_host(platform: LtiPlatform, url) -> bool:
    """Whether `url` is an http(s) address on one of the platform's registered hosts."""
    host = _host(url)
    return bool(host) and host in platform_hosts(platform)


def to_registration(platform: LtiPlatform) -> Registration:
    """pylti1p3's view of a platform, with Board's current signing key."""
    key = keys.signing_key()
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_auth_audience(platform.auth_audience)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(keys.public_pem(key))
    )


class BoardToolConf(ToolConfAbstract):
    """pylti1p3's tool configuration, read from Board's tables. `platform` is the one this request is about."""

    def __init__(self, platform: LtiPlatform):
        super().__init__()
        self.platform = platform

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False  # always look up by issuer and client id

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return None

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        if iss != self.platform.issuer or client_id != self.platform.client_id:
            return None
        return to_registration(self.platform)

    def find_deployment(self, iss, deployment_id):
        return None

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        if iss != self.platform.issuer or client_id != self.platform.client_id:
            return None
        found = db.session.scalar(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == self.platform.id, LtiDeployment.deployment_id == deployment_id
            )
        )
        return Deployment().set_deployment_id(deployment_id) if found else None
