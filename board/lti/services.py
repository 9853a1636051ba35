"""Calling a platform's LTI Advantage services (AGS, NRPS) with pylti1p3: its service connector gets an access
token with a client assertion signed by Board's key, and pages through results."""

from __future__ import annotations

import hashlib
import time

import requests
from flask import current_app
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector

from ..extensions import db
from . import registration
from .models import LtiContext, LtiPlatform

TIMEOUT = 15  # seconds for any one call to a platform
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class ServiceRefused(LtiException):
    """A service call Board will not make: its URL is not on the platform's registered hosts."""


class _TimedSession(requests.Session):
    """requests with a timeout on every call (pylti1p3 sets none, and a silent platform must not hold a worker)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


# Access tokens this process holds, by registration and scopes (BoardServiceConnector._scope_key): (token, monotonic
# expiry). A platform's
# tokens live an hour; a job that sends a class's grades asks once.
_tokens: dict[str, tuple[str, float]] = {}
_TOKEN_MARGIN = 60  # seconds before its expiry that a token is no longer used


class BoardServiceConnector(ServiceConnector):
    """pylti1p3's connector with the access-token cache it leaves to each tool."""

    def _scope_key(self, scopes) -> str:
        # pylti1p3 keys by issuer and scopes only, but every Canvas Cloud school shares one issuer: a token is kept
        # for one registration (issuer, client id, token URL) and its scopes, and never sent on another's behalf.
        registration = self._registration
        parts = (
            registration.get_issuer(),
            registration.get_client_id(),
            registration.get_auth_token_url(),
            *sorted(scopes),
        )
        return hashlib.sha256("\n".join(str(part or "") for part in parts).encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        token, until = _tokens.get(scope_key, (None, 0.0))
        return token if token and time.monotonic() < until else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = 0.0
        if seconds > _TOKEN_MARGIN:
            _tokens[scope_key] = (access_token, time.monotonic() + seconds - _TOKEN_MARGIN)

    def make_service_request(self, scopes, url, **kwargs):
        # Every call with Board's bearer token passes here (paging included): only to the platform's own hosts.
        if not registration.on_platform_host(self.platform, url):
            hosts = ", ".join(sorted(registration.platform_hosts(self.platform)))
            message = f"Board did not call {str(url)[:200]!r}: it is not on the LMS's registered hosts ({hosts})."
            current_app.logger.warning("LTI: %s", message)
            raise ServiceRefused(message)
        try:
            return super().make_service_request(scopes, url, **kwargs)
        except LtiServiceException as error:
            if getattr(error, "response", None) is None or error.response.status_code != 401:
                raise
        # The platform no longer takes the token it gave (revoked, or its keys changed): ask for a new one, once.
        _tokens.pop(self._scope_key(sorted(scopes)), None)
        return super().make_service_request(scopes, url, **kwargs)


def connector(platform: LtiPlatform) -> ServiceConnector:
    """A service connector for `platform`, signing with Board's current key."""
    session = _TimedSession()
    session.headers["User-Agent"] = REQUESTS_USER_AGENT
    board_connector = BoardServiceConnector(registration.to_registration(platform), session)
    board_connector.platform = platform
    return board_connector


def ags(context: LtiContext) -> AssignmentsGradesService | None:
    """The grade service of the LMS course, if its launches named one."""
    if not context.lineitems_url:
        return None
    # Only the scopes the launches granted (a platform may refuse a token asking for more); unknown yet: all three.
    granted = AGS_SCOPES if context.ags_scopes is None else context.ags_scopes.split()
    scopes = [scope for scope in AGS_SCOPES if scope in granted]
    if not scopes:
        return None
    platform = db.session.get(LtiPlatform, context.platform_id)
    return AssignmentsGradesService(connector(platform), {"scope": scopes, "lineitems": context.lineitems_url})


def nrps(context: LtiContext) -> NamesRolesProvisioningService | None:
    """The roster service of the LMS course, if its launches named one."""
    if not context.memberships_url:
        return None
    platform = db.session.get(LtiPlatform, context.platform_id)
    data = {"context_memberships_url": context.memberships_url, "service_versions": ["2.0"]}
    return NamesRolesProvisioningService(connector(platform), data)
