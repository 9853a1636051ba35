"""LTI Dynamic Registration: an LMS (Moodle, Canvas) opens Board's registration URL with its OpenID configuration
URL and a registration token; a signed-in site admin confirms, and pylti1p3 registers Board with the LMS, which
answers with Board's client id and deployment id. Board then registers the LMS as add_platform does."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from . import registration, services
from .models import LtiPlatform

TOOL_SPEC = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_SPEC = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class DynamicRegistrationError(ValueError):
    """The LMS's registration could not be completed; the message says why."""


class BoardRegistration(DynamicRegistration):
    """What Board tells the LMS about itself, and what it keeps of the answer."""

    client_name = "Board"
    description = "A classroom discussion board: readings, responses, threaded comments, grading."

    def __init__(self, openid_configuration: str, registration_token: str | None):
        self.openid_configuration_url = openid_configuration
        self.token = registration_token or None

    def get_request_session(self):
        return services._TimedSession()

    def get_initiate_login_uri(self) -> str:
        return url_for("lti.login", _external=True)

    def get_jwks_uri(self) -> str:
        return url_for("lti.jwks", _external=True)

    def get_redirect_uris(self) -> list[str]:
        return [url_for("lti.launch", _external=True)]

    def get_scopes(self) -> list[str]:
        return [*services.AGS_SCOPES, services.NRPS_SCOPE]

    def get_domain(self) -> str:
        return urlsplit(url_for("lti.launch", _external=True)).netloc

    def get_target_link_uri(self) -> str:
        return url_for("lti.launch", _external=True)

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self) -> list[dict]:
        return [{"type": "LtiDeepLinkingRequest", "target_link_uri": self.get_target_link_uri(), "label": "Board"}]

    def get_logo_uri(self) -> str:
        return url_for("static", filename="favicon.svg", _external=True)

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration_url

    def get_registration_token(self) -> str:
        return self.token

    def complete_registration(self, openid_configuration: dict, openid_registration: dict) -> LtiPlatform:
        issuer = str(openid_configuration.get("issuer") or "")
        if urlsplit(issuer).netloc != urlsplit(self.openid_configuration_url).netloc:
            raise DynamicRegistrationError("The LMS's configuration names an issuer on another host.")
        tool = openid_registration.get(TOOL_SPEC) or {}
        platform = openid_configuration.get(PLATFORM_SPEC) or {}
        try:
            return registration.add_platform(
                issuer=issuer,
                client_id=str(openid_registration.get("client_id") or ""),
                deployment_ids=[str(tool.get("deployment_id") or "")],
                auth_login_url=str(openid_configuration.get("authorization_endpoint") or ""),
                auth_token_url=str(openid_configuration.get("token_endpoint") or ""),
                key_set_url=str(openid_configuration.get("jwks_uri") or ""),
                name=str(platform.get("product_family_code") or ""),
                auth_audience=str(openid_configuration.get("authorization_server") or ""),
            )
        except registration.RegistrationError as error:
            raise DynamicRegistrationError(str(error)) from error


def register(openid_configuration: str, registration_token: str | None) -> LtiPlatform:
    """Register Board with the LMS whose OpenID configuration is at `openid_configuration`, and the LMS in Board."""
    parts = urlsplit(openid_configuration or "")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise DynamicRegistrationError("The LMS gave no OpenID configuration address.")
    try:
        return BoardRegistration(openid_configuration, registration_token).register()
    except DynamicRegistrationError:
        raise
    except (LtiException, AssertionError, ValueError, KeyError, TypeError, OSError) as error:
        raise DynamicRegistrationError(f"The LMS did not complete the registration ({error}).") from error
