"""Server-side sessions: logging out, changing the password and "log out" on the account page really end them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from board.auth import services as accounts
from board.auth.sessions import browser_name
from board.extensions import db
from board.models import UserSession, utcnow
from tests import factories

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36 Edg/126.0.0.0"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def _cookie(visitor, name: str) -> str:
    cookie = visitor.client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _browser_with(app, **cookies):
    """A fresh browser that sends only the given cookies (as someone who copied them would)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _logged_in(client) -> bool:
    response = client.get("/courses")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _session_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'action="/account/sessions/(\d+)/end"', page)]


def test_session_cookie_copied_before_logout_is_refused_after(app, visitor):
    factories.user(email="ada@example.edu")
    visitor.login("ada@example.edu")
    copied = _cookie(visitor, "session")
    assert _logged_in(_browser_with(app, session=copied))

    visitor.logout()

    replay = _browser_with(app, session=copied).get("/courses")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_remember_me_cookie_alone_is_refused_after_logout(app, visitor):
    factories.user(email="ada@example.edu")
    visitor.login("ada@example.edu", remember="y")
    remembered = _cookie(visitor, "remember_token")
    assert _logged_in(_browser_with(app, remember_token=remembered))

    visitor.logout()

    assert not _logged_in(_browser_with(app, remember_token=remembered))


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop, phone = make_visitor(), make_visitor()
    laptop.login(ada.email)
    phone.login(ada.email, remember="y")
    phone_cookies = {"session": _cookie(phone, "session"), "remember_token": _cookie(phone, "remember_token")}

    response = laptop.post(
        "/account",
        {
            "which": "password",
            "password-current_password": factories.PASSWORD,
            "password-new_password": "a new password",
            "password-confirm": "a new password",
        },
    )

    assert response.status_code == 302
    assert _logged_in(laptop.client)
    assert not _logged_in(phone.client)
    assert not _logged_in(_browser_with(app, remember_token=phone_cookies["remember_token"]))
    assert not _logged_in(_browser_with(app, session=phone_cookies["session"]))


def test_wrong_current_password_ends_no_session(make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop, phone = make_visitor(ada), make_visitor(ada)
    laptop.post(
        "/account",
        {
            "which": "password",
            "password-current_password": "not the password",
            "password-new_password": "a new password",
            "password-confirm": "a new password",
        },
    )
    assert _logged_in(phone.client) and _logged_in(laptop.client)


def test_set_password_command_ends_every_session(app, make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop = make_visitor(ada)
    result = app.test_cli_runner().invoke(args=["set-password", ada.email, "--password", "reset by admin"])
    assert result.exit_code == 0, result.output
    assert not _logged_in(laptop.client)


def test_session_from_before_sessions_were_kept_is_refused(app, visitor):
    """A cookie naming only a user id (what Board wrote before) or a made-up token opens nothing."""
    ada = factories.user(email="ada@example.edu")
    visitor.login(ada.email)
    forgeries = (str(ada.id), f"{ada.id}:made-up-token", f"{ada.id}:", "x:y", "", f"{2**64}:token", "１:token")
    for forged in forgeries:
        with visitor.client.session_transaction() as session:
            session["_user_id"] = forged
        assert not _logged_in(visitor.client), forged


def test_account_page_lists_signed_in_browsers(app, make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop, phone = make_visitor(), make_visitor()
    laptop.client.environ_base.update(HTTP_USER_AGENT=FIREFOX_WINDOWS, REMOTE_ADDR="192.0.2.10")
    phone.client.environ_base.update(HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR="198.51.100.7")
    laptop.login(ada.email)
    phone.login(ada.email)
    factories.user(email="bob@example.edu")
    make_visitor().login("bob@example.edu")

    page = laptop.get("/account").get_data(as_text=True)

    assert "Firefox on Windows" in page and "192.0.2.10" in page
    assert "Safari on iPhone" in page and "198.51.100.7" in page
    assert page.count("(this browser)") == 1
    assert len(_session_ids(page)) == 2  # Bob's session is not listed
    assert "Log out everywhere else" in page
    assert '<time datetime="' in page


def test_log_out_one_other_session_from_the_account_page(make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop, phone = make_visitor(ada), make_visitor(ada)
    phone_id = db.session.scalars(db.select(UserSession.id).order_by(UserSession.id.desc())).first()
    assert phone_id in _session_ids(laptop.get("/account").get_data(as_text=True))

    response = laptop.post(f"/account/sessions/{phone_id}/end")

    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert not _logged_in(phone.client)
    assert _logged_in(laptop.client)
    assert phone_id not in _session_ids(laptop.get("/account").get_data(as_text=True))


def test_log_out_this_browser_from_the_account_page(make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop = make_visitor(ada)
    (own_id,) = _session_ids(laptop.get("/account").get_data(as_text=True))
    response = laptop.post(f"/account/sessions/{own_id}/end")
    assert response.headers["Location"] == "/login"
    assert not _logged_in(laptop.client)


def test_log_out_everywhere_else(make_visitor):
    ada = factories.user(email="ada@example.edu")
    bob = factories.user(email="bob@example.edu")
    laptop, phone, tablet, bobs = make_visitor(ada), make_visitor(ada), make_visitor(ada), make_visitor(bob)

    response = laptop.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert "(2 sessions)" in laptop.get("/account").get_data(as_text=True)
    assert _logged_in(laptop.client)
    assert not _logged_in(phone.client) and not _logged_in(tablet.client)
    assert _logged_in(bobs.client)


def test_another_persons_session_is_not_found(make_visitor):
    ada = factories.user(email="ada@example.edu")
    bob = factories.user(email="bob@example.edu")
    bobs = make_visitor(bob)
    bob_session = db.session.scalar(db.select(UserSession.id).where(UserSession.user_id == bob.id))
    laptop = make_visitor(ada)

    assert laptop.post(f"/account/sessions/{bob_session}/end").status_code == 404
    assert laptop.post("/account/sessions/999999999/end").status_code == 404
    assert _logged_in(bobs.client)


def test_ending_a_session_needs_the_csrf_token(make_visitor):
    ada = factories.user(email="ada@example.edu")
    laptop, phone = make_visitor(ada), make_visitor(ada)
    phone_id = db.session.scalars(db.select(UserSession.id).order_by(UserSession.id.desc())).first()
    assert laptop.client.post(f"/account/sessions/{phone_id}/end").status_code == 400
    assert laptop.client.post("/account/sessions/end-others").status_code == 400
    assert _logged_in(phone.client)


def test_ending_sessions_needs_a_login(visitor):
    for url in ("/account/sessions/1/end", "/account/sessions/end-others"):
        response = visitor.post(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_registering_starts_a_listed_session(visitor, inbox):
    visitor.register(inbox, "ada@example.edu")
    assert len(_session_ids(visitor.get("/account").get_data(as_text=True))) == 1


def test_session_rows_keep_only_a_hash_of_the_token(visitor):
    ada = factories.user(email="ada@example.edu")
    visitor.login(ada.email)
    with visitor.client.session_transaction() as session:
        user_id, token = session["_user_id"].split(":")
    row = db.session.scalar(db.select(UserSession))
    assert int(user_id) == ada.id and len(token) >= 40
    assert token not in row.token_hash and len(row.token_hash) == 64


def test_setting_a_password_ends_only_that_accounts_sessions(make_visitor):
    ada = factories.user(email="ada@example.edu")
    bob = factories.user(email="bob@example.edu")
    bobs = make_visitor(bob)
    accounts.set_password(ada, "another password")
    assert _logged_in(bobs.client)


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_MAC, "Chrome on macOS"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (CHROME_ANDROID, "Chrome on Android"),
        (HEADLESS_CHROME, "Chrome on Linux"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_browser_names_are_short_and_readable(user_agent, name):
    assert browser_name(user_agent) == name


def test_a_nul_in_the_user_agent_is_dropped_not_a_500(make_visitor):
    ada = factories.user(email="ada@example.edu")
    browser = make_visitor()
    browser.client.environ_base.update(HTTP_USER_AGENT="Firefox\x00Evil")

    assert browser.login(ada.email).status_code == 302

    assert db.session.scalar(db.select(UserSession.user_agent)) == "FirefoxEvil"


def test_remember_me_cookie_is_refused_once_older_than_its_lifetime(app, visitor):
    # The remember-me cookie carries no date of its own: without a limit on the server, a copy would work forever.
    factories.user(email="ada@example.edu")
    visitor.login("ada@example.edu", remember="y")
    remembered = _cookie(visitor, "remember_token")
    record = db.session.scalar(select(UserSession))
    record.created_at = utcnow() - timedelta(days=366)
    db.session.commit()

    assert not _logged_in(_browser_with(app, remember_token=remembered))


def test_expired_session_rows_are_deleted_by_the_hourly_job(app, make_visitor):
    from board.auth.tasks import delete_expired_sessions

    old, current = make_visitor(), make_visitor()
    person = factories.user("Sessions Kept")
    old.login(person.email)
    current.login(person.email)
    rows = db.session.scalars(select(UserSession).order_by(UserSession.id)).all()
    assert len(rows) == 2
    rows[0].created_at = utcnow() - timedelta(days=3650)  # older than any cookie lifetime
    db.session.commit()

    delete_expired_sessions()

    assert db.session.scalars(select(UserSession.id)).all() == [rows[1].id]
    assert current.get("/account").status_code == 200
