"""Login throttling per account and per address, and device cookies that keep the owner able to log in."""

import re
import time
from http.cookies import SimpleCookie

import pytest

from board.auth.throttle import DEVICE_COOKIE
from tests import factories

WRONG = "not the password"


@pytest.fixture
def ada():
    return factories.user(email="ada@example.edu")


def _from(make_visitor, address: str, device: str | None = None):
    """A new browser at `address`, holding `device` as its device cookie if given."""
    person = make_visitor()
    person.client.environ_base["REMOTE_ADDR"] = address
    if device is not None:
        person.client.set_cookie(DEVICE_COOKIE, device)
    return person


def _device_cookie(make_visitor, user, address: str = "192.0.2.1") -> str:
    """The device cookie a browser gets by logging in to `user` (it then logs out)."""
    owner = _from(make_visitor, address)
    assert owner.login(user.email).status_code == 302
    cookie = owner.client.get_cookie(DEVICE_COOKIE)
    assert cookie is not None
    owner.logout()
    return cookie.value


def _attack(make_visitor, email: str, count: int, addresses=None) -> list[int]:
    """`count` wrong passwords for `email`, each from its own browser and (by default) its own address."""
    codes = []
    for n in range(count):
        address = addresses[n] if addresses else f"203.0.113.{n + 1}"
        codes.append(_from(make_visitor, address).login(email, WRONG).status_code)
    return codes


def test_guesses_at_one_account_from_many_addresses_are_limited(ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="5 per minute")
    assert _attack(make_visitor, ada.email, 6) == [200] * 5 + [429]
    # Even the right password is refused now to a browser that never signed in to this account.
    assert _from(make_visitor, "198.51.100.99").login(ada.email).status_code == 429


def test_accounts_that_do_not_exist_are_limited_alike(limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute")
    assert _attack(make_visitor, "nobody@example.edu", 4) == [200, 200, 200, 429]


def test_refusal_says_when_and_for_how_long(ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="2 per minute")
    _attack(make_visitor, ada.email, 2)

    response = _from(make_visitor, "198.51.100.1").login(ada.email, WRONG)

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords were tried for this account" in page
    assert "Logging in is refused for 1 more minute, until <time datetime=" in page
    assert 'value="ada@example.edu"' in page  # the typed email stays in the form


def test_owner_with_device_cookie_logs_in_while_account_is_attacked(ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="5 per minute")
    device = _device_cookie(make_visitor, ada)
    assert _attack(make_visitor, ada.email, 6)[-1] == 429

    response = _from(make_visitor, "192.0.2.1", device).login(ada.email)

    assert response.status_code == 302 and response.headers["Location"] == "/courses"


def test_owner_with_device_cookie_logs_in_from_an_address_an_attacker_shares(ada, limits, make_visitor):
    limits(LOGIN_RATE_LIMIT="5 per minute")
    device = _device_cookie(make_visitor, ada, "192.0.2.50")
    shared = ["192.0.2.50"] * 6
    assert _attack(make_visitor, "someone@example.edu", 6, shared)[-1] == 429

    assert _from(make_visitor, "192.0.2.50", device).login(ada.email).status_code == 302
    assert _from(make_visitor, "192.0.2.50").login(ada.email).status_code == 429


def test_address_limit_counts_failures_across_accounts(limits, make_visitor):
    limits(LOGIN_RATE_LIMIT="5 per minute")
    codes = [_from(make_visitor, "192.0.2.7").login(f"guess{n}@example.edu", WRONG).status_code for n in range(6)]
    assert codes == [200] * 5 + [429]
    page = _from(make_visitor, "192.0.2.7").login("guess9@example.edu", WRONG).get_data(as_text=True)
    assert "from your network address" in page
    assert _from(make_visitor, "192.0.2.8").login("guess9@example.edu", WRONG).status_code == 200


def test_successful_logins_do_not_use_up_the_address_limit(limits, make_visitor):
    """A class behind one campus address logging in at the start of a lecture is not refused."""
    limits(LOGIN_RATE_LIMIT="3 per minute")
    students = [factories.user() for _ in range(6)]
    assert [_from(make_visitor, "192.0.2.9").login(s.email).status_code for s in students] == [302] * 6


def test_device_cookie_for_another_account_counts_as_none(ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute")
    bob = factories.user(email="bob@example.edu")
    bobs_device = _device_cookie(make_visitor, bob)
    _attack(make_visitor, ada.email, 3)
    assert _from(make_visitor, "192.0.2.1", bobs_device).login(ada.email).status_code == 429


@pytest.mark.parametrize("forged", ["", "garbage", "eyJ1c2VyIjoxLCJub25jZSI6IngifQ.AAAAAA.BBBBBBBBBBBBBBBBBBBB"])
def test_forged_device_cookie_counts_as_none(ada, limits, make_visitor, forged):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute")
    _attack(make_visitor, ada.email, 3)
    assert _from(make_visitor, "192.0.2.1", forged).login(ada.email).status_code == 429


def test_device_cookie_signed_with_another_key_counts_as_none(app, ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute")
    key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "some other key"
    try:
        device = _device_cookie(make_visitor, ada)
    finally:
        app.config["SECRET_KEY"] = key
    _attack(make_visitor, ada.email, 3)
    assert _from(make_visitor, "192.0.2.1", device).login(ada.email).status_code == 429


def test_device_cookie_used_for_many_failures_is_locked_out(ada, limits, make_visitor):
    """OWASP: a device cookie is itself locked after its own failures, so a stolen one cannot guess on."""
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute", LOGIN_DEVICE_LIMIT="3 per minute")
    device = _device_cookie(make_visitor, ada)
    _attack(make_visitor, ada.email, 3)  # the account is now locked for browsers without a device cookie

    # The device's own failures are allowed up to its limit despite the account's lock...
    codes = [_from(make_visitor, "192.0.2.1", device).login(ada.email, WRONG).status_code for _ in range(3)]
    assert codes == [200] * 3
    # ...then the cookie counts as none, and the account's lock applies to it too.
    assert _from(make_visitor, "192.0.2.1", device).login(ada.email).status_code == 429


def test_device_cookie_failures_do_not_lock_the_account_for_others(ada, limits, make_visitor):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute", LOGIN_DEVICE_LIMIT="10 per minute")
    device = _device_cookie(make_visitor, ada)
    for _ in range(4):
        _from(make_visitor, "192.0.2.1", device).login(ada.email, WRONG)
    assert _from(make_visitor, "198.51.100.3").login(ada.email).status_code == 302


def test_device_cookie_is_signed_long_lived_httponly_and_lax(app, ada, make_visitor):
    response = _from(make_visitor, "192.0.2.1").login(ada.email)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE + "="))
    cookie = SimpleCookie(header)[DEVICE_COOKIE]
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # the tests turn SECURE_COOKIES off
    assert ada.email not in header and re.fullmatch(r"[\w.-]+", cookie.value)

    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = _from(make_visitor, "192.0.2.1").login(ada.email)
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE + "="))
    assert SimpleCookie(header)[DEVICE_COOKIE]["secure"]


def test_failed_login_sets_no_device_cookie(ada, make_visitor):
    response = _from(make_visitor, "192.0.2.1").login(ada.email, WRONG)
    assert not any(h.startswith(DEVICE_COOKIE + "=") for h in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("setting", ["LOGIN_ACCOUNT_LIMIT", "LOGIN_RATE_LIMIT"])
def test_limits_reset_when_their_window_ends(ada, limits, make_visitor, setting):
    limits(**{setting: "2 per 1 second"})
    assert _attack(make_visitor, ada.email, 3, ["192.0.2.3"] * 3)[-1] == 429
    time.sleep(1.1)
    assert _from(make_visitor, "192.0.2.3").login(ada.email).status_code == 302


def test_guesses_from_one_ipv6_network_share_the_address_limit(limits, make_visitor):
    # One IPv6 host is handed a /64 and may use any address in it: counting each address alone would not limit it.
    limits(LOGIN_RATE_LIMIT="3 per minute")
    addresses = [f"2001:db8:1:2::{n:x}" for n in range(1, 5)]
    codes = [
        _from(make_visitor, address).login(f"person{n}@example.edu", WRONG).status_code
        for n, address in enumerate(addresses)
    ]
    assert codes == [200, 200, 200, 429]
    # Another network is not refused for it.
    assert _from(make_visitor, "2001:db8:1:3::1").login("person9@example.edu", WRONG).status_code == 200
