"""TRUSTED_PROXIES: X-Forwarded-For names the client only when Board is told it sits behind a proxy."""

import pytest

from board import create_app
from board.config import from_environment
from tests import factories
from tests.conftest import IsolatedClient, Visitor

PROXY = "10.0.0.1"


@pytest.fixture
def proxied_app(app):
    """A second app on the same database, configured as behind one reverse proxy."""
    settings = {
        key: app.config[key]
        for key in (
            "TESTING",
            "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "SESSION_COOKIE_SECURE",
            "REMEMBER_COOKIE_SECURE",
            "LOGIN_ACCOUNT_LIMIT",
            "LOGIN_DEVICE_LIMIT",
        )
    }
    behind = create_app({**settings, "TRUSTED_PROXIES": 1, "LOGIN_RATE_LIMIT": "2 per minute"})
    behind.test_client_class = IsolatedClient
    yield behind
    with behind.app_context():
        from board.extensions import db

        db.engine.dispose()


def _browser(flask_app, forwarded_for: str) -> Visitor:
    person = Visitor(flask_app.test_client())
    person.client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return person


def test_forwarded_address_is_shown_only_behind_a_trusted_proxy(app, proxied_app):
    ada = factories.user(email="ada@example.edu")

    behind = _browser(proxied_app, "203.0.113.9")
    assert behind.login(ada.email).status_code == 302
    assert "203.0.113.9" in behind.get("/account").get_data(as_text=True)

    direct = _browser(app, "203.0.113.9")
    assert direct.login(ada.email).status_code == 302
    page = direct.get("/account").get_data(as_text=True)
    assert PROXY in page


def test_address_limit_follows_the_forwarded_address_only_when_trusted(app, proxied_app, limits):
    limits(LOGIN_RATE_LIMIT="2 per minute")

    def attempts(flask_app, addresses):
        return [_browser(flask_app, a).login("x@example.edu", "wrong password").status_code for a in addresses]

    # Behind the trusted proxy, each client has its own limit.
    assert attempts(proxied_app, ["203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2"]) == [200, 200, 429, 200]
    # Without TRUSTED_PROXIES, a made-up X-Forwarded-For does not escape the limit of the real address.
    assert attempts(app, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [200, 200, 429]


def test_trusted_proxies_is_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert from_environment(tmp_path)["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert from_environment(tmp_path)["TRUSTED_PROXIES"] == 2
