"""Session cookies kept once verified (board/auth/session_cookies.py): a kept cookie is exactly as trusted as a freshly
checked one: never an altered or expired one, never under another key, and a request's changes stay its own."""

from __future__ import annotations

import secrets
import time

import pytest

from board.auth import session_cookies
from board.auth.session_cookies import KeptCookieSessionInterface
from tests import factories


@pytest.fixture
def signed_in(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Student Sam")
    sam = make_visitor(student)
    home = f"/c/{course.slug}/"
    assert sam.get(home).status_code == 200  # the cookie is now verified and kept
    return sam, home


def _cookie(visitor) -> str:
    return visitor.client.get_cookie("session").value


def _with_cookie(app, value: str):
    return app.test_request_context("/", headers={"Cookie": f"session={value}"})


def test_the_app_keeps_verified_cookies(app):
    assert isinstance(app.session_interface, KeptCookieSessionInterface)


def test_an_altered_cookie_is_refused_after_the_real_one_was_kept(signed_in, make_visitor):
    sam, home = signed_in
    value = _cookie(sam)
    altered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    stranger = make_visitor()
    stranger.client.set_cookie("session", altered)
    answer = stranger.get(home)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert sam.get(home).status_code == 200


def test_a_kept_cookie_expires_with_the_sessions_lifetime(signed_in, app, monkeypatch):
    sam, home = signed_in
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(session_cookies.time, "time", lambda: later)
    answer = sam.get(home)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_request_changing_its_session_does_not_change_the_kept_cookie(signed_in, app):
    sam, _home = signed_in
    with sam.client.session_transaction() as session:
        session["_flashes"] = [("info", "Shown once")]
    value = _cookie(sam)
    interface = app.session_interface
    with _with_cookie(app, value) as ctx:
        first = interface.open_session(app, ctx.request)
        first["_flashes"].append(("info", "Another"))  # what flash() does
        first["_user_id"] = "someone else"
    with _with_cookie(app, value) as ctx:
        again = interface.open_session(app, ctx.request)
    assert again["_flashes"] == [("info", "Shown once")] and again["_user_id"] != "someone else"


def test_another_secret_key_verifies_the_cookie_afresh(signed_in, app, monkeypatch):
    sam, _home = signed_in
    value = _cookie(sam)
    with _with_cookie(app, value) as ctx:
        assert app.session_interface.open_session(app, ctx.request).get("_user_id")
    monkeypatch.setitem(app.config, "SECRET_KEY", "a different key")
    with _with_cookie(app, value) as ctx:
        assert dict(app.session_interface.open_session(app, ctx.request)) == {}


def test_a_key_dropped_from_the_fallbacks_no_longer_verifies_a_kept_cookie(signed_in, app, monkeypatch):
    sam, _home = signed_in
    value = _cookie(sam)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.config["SECRET_KEY"]])
    monkeypatch.setitem(app.config, "SECRET_KEY", "the new key")
    with _with_cookie(app, value) as ctx:  # signed with a fallback: still good, and kept under these keys
        assert app.session_interface.open_session(app, ctx.request).get("_user_id")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    with _with_cookie(app, value) as ctx:
        assert dict(app.session_interface.open_session(app, ctx.request)) == {}


def test_a_long_cookie_is_verified_every_time_not_kept(signed_in, app):
    sam, _home = signed_in
    with sam.client.session_transaction() as session:
        session["_flashes"] = [("info", secrets.token_hex(1000))]  # random: the cookie compresses what repeats
    interface = KeptCookieSessionInterface()
    with _with_cookie(app, _cookie(sam)) as ctx:
        assert interface.open_session(app, ctx.request)["_flashes"]
    assert len(interface) == 0


def test_at_most_size_cookies_are_kept(app, make_visitor):
    interface = KeptCookieSessionInterface(size=2)
    values = []
    for _ in range(3):
        visitor = make_visitor()
        visitor.get("/login")  # a session with a CSRF secret in it
        values.append(_cookie(visitor))
    for value in values:
        with _with_cookie(app, value) as ctx:
            assert interface.open_session(app, ctx.request).get("csrf_token")
    assert len(interface) == 2
