"""Calling the platform's services (review findings 5, 13c, 13d): access tokens are kept per registration (issuer,
client id, token URL and scopes), Board's bearer token goes only to the platform's registered hosts, and only the
AGS scopes a launch granted are asked for."""

from __future__ import annotations

import pytest
from pylti1p3.registration import Registration

from board.lti import registration, services

NRPS = [services.NRPS_SCOPE]


@pytest.fixture(autouse=True)
def _no_tokens_kept():
    services._tokens.clear()
    yield
    services._tokens.clear()


def test_two_registrations_with_one_issuer_never_share_a_token(lms):
    ours = registration.find_platform(lms.issuer, lms.client_id)
    token = services.connector(ours).get_access_token(NRPS)
    assert token
    assert services.connector(ours).get_access_token(NRPS) == token  # kept for the same registration

    # Another school on the same issuer (all of Canvas Cloud is https://canvas.instructure.com), its own client id:
    # it asks the platform for its own token rather than reusing school A's.
    other = registration.add_platform(**{**lms.registration_values(), "client_id": "school-b"})
    assert len(lms.token_requests) == 1
    assert services.connector(other).get_access_token(NRPS)
    assert len(lms.token_requests) == 2
    assert services.connector(ours).get_access_token(NRPS) == token
    assert len(lms.token_requests) == 2


def test_a_token_is_kept_per_token_url():
    def key(token_url):
        reg = (
            Registration().set_issuer("https://canvas.instructure.com").set_client_id("c").set_auth_token_url(token_url)
        )
        return services.BoardServiceConnector(reg)._scope_key(NRPS)

    assert key("https://a.example/token") != key("https://b.example/token")
    assert key("https://a.example/token") == key("https://a.example/token")
