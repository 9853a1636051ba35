"""Accounts by email: "forgot password" and registration confirmed by email, through the real forms and real mail."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from board.auth import email_flows
from board.auth import services as accounts
from board.auth.models import PendingRegistration
from board.extensions import db, huey
from board.models import User, UserSession
from board.outbox.models import OutboxItem
from tests import factories
from tests.concurrency import Rendezvous, at_once
from tests.sql import count_queries
from tests.test_jobs import queue_on  # noqa: F401  (a fixture)

_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _logged_in(visitor) -> bool:
    return visitor.get("/courses").status_code == 200


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _page_after(visitor, response) -> str:
    """The page a redirect leads to, with the address the visitor typed and the CSRF token blanked out."""
    assert response.status_code == 302
    page = visitor.get(response.headers["Location"]).get_data(as_text=True)
    return _CSRF_VALUE.sub(r'\1"', page)


def _register(visitor, email: str):
    return visitor.post("/register", {"email": email})


# What the registration form asked for before the address was proved first: posted too where a test shows that
# the old way's weakness is gone (the fields are ignored now).
_OLD_FORM = {"display_name": "Ada", "password": "long enough pw", "confirm": "long enough pw"}


def _choose(visitor, link: str, name: str = "Ada", password: str = "long enough pw"):
    """On the page the emailed link opens, choose the name and password."""
    visitor.csrf_token(link)
    return visitor.post(link, {"display_name": name, "password": password, "confirm": password})


def _pending() -> list[PendingRegistration]:
    db.session.expire_all()
    return list(db.session.scalars(select(PendingRegistration).order_by(PendingRegistration.id)))


def _reset(visitor, inbox, email: str, new_password: str = "a brand new password"):
    """Ask for a reset link, follow it, set a new password; returns the last response."""
    assert visitor.post("/password/forgot", {"email": email}).status_code == 302
    link = inbox.link(email, "/password/reset/")
    assert visitor.get(link).status_code == 200
    return visitor.post(link, {"new_password": new_password, "confirm": new_password})


# --- Real mail: a loopback SMTP server receives the messages, and their links work ---------------------------------


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    url, received = smtp_server
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Board <noreply@board.example.edu>")
    monkeypatch.setitem(app.config, "BASE_URL", "https://board.example.edu")
    return received


def _one_link(message, base: str, prefix: str) -> str:
    """The path of the one link to `prefix…`, found identically in the plain-text and the HTML part."""
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    pattern = re.escape(base) + "(" + re.escape(prefix) + r"[A-Za-z0-9_.\-/]*)"
    [in_text] = re.findall(pattern, text.get_content())
    [in_html] = re.findall('href="' + pattern + '"', html.get_content())
    assert in_text == in_html
    return in_text


def test_reset_email_arrives_over_smtp_with_both_parts_and_a_working_link(smtp, visitor):
    factories.user("Ada Lovelace", email="ada@example.edu")
    visitor.post("/password/forgot", {"email": "ADA@example.edu"})

    [(sender, recipients, message)] = smtp.messages
    assert sender == "noreply@board.example.edu" and recipients == ["ada@example.edu"]
    assert message["To"] == "Ada Lovelace <ada@example.edu>"
    assert message["From"] == "Board <noreply@board.example.edu>"
    assert message["Subject"] == "Set a new Board password"
    assert message["Message-ID"] and message["Date"] and message["X-Board-Kind"] == "reset"
    link = _one_link(message, "https://board.example.edu", "/password/reset/")
    assert "for an hour" in message.get_body(("plain",)).get_content()

    assert "Set a new password" in visitor.get(link).get_data(as_text=True)
    visitor.post(link, {"new_password": "a brand new password", "confirm": "a brand new password"})
    visitor.logout()
    assert visitor.login("ada@example.edu", "a brand new password").status_code == 302


def test_registration_emails_arrive_over_smtp_and_their_links_work(smtp, visitor):
    factories.user("Bob", email="bob@example.edu")
    visitor.post("/register", {"email": "ada@example.edu"})
    visitor.post("/register", {"email": "bob@example.edu"})

    (_, to_ada, confirm), (_, to_bob, warning) = smtp.messages
    assert to_ada == ["ada@example.edu"] and confirm["To"] == "ada@example.edu"
    assert confirm["Subject"] == "Confirm your Board account"
    assert to_bob == ["bob@example.edu"] and warning["To"] == "Bob <bob@example.edu>"
    assert warning["Subject"] == "Someone tried to register with your address"
    base = "https://board.example.edu"
    assert visitor.get(_one_link(warning, base, "/login")).status_code == 200
    assert visitor.get(_one_link(warning, base, "/password/forgot")).status_code == 200

    link = _one_link(confirm, base, "/register/confirm/")
    assert "Create your account" in visitor.get(link).get_data(as_text=True)
    assert _choose(visitor, link, "Ada Lovelace", "my own password").status_code == 302
    assert accounts.find_user("ada@example.edu").display_name == "Ada Lovelace"
    visitor.logout()
    assert visitor.login("ada@example.edu", "my own password").status_code == 302


def test_links_use_base_url_whatever_host_the_request_names(visitor, inbox, monkeypatch, app):
    monkeypatch.setitem(app.config, "BASE_URL", "https://board.example.edu")
    inbox.base_url = "https://board.example.edu"
    factories.user(email="ada@example.edu")
    visitor.client.environ_base["HTTP_HOST"] = "evil.example"  # a forged Host header, as in reset poisoning
    assert visitor.post("/password/forgot", {"email": "ada@example.edu"}).status_code == 302
    [message] = inbox.messages("ada@example.edu")
    assert "evil.example" not in message.get_body(("plain",)).get_content()
    assert inbox.link("ada@example.edu", "/password/reset/")


# --- Forgot password ------------------------------------------------------------------------------------------------


def test_login_page_links_to_forgot_password(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_forgot_password_page_and_status_are_the_same_for_known_and_unknown_addresses(visitor, inbox):
    factories.user(email="ada@example.edu")
    known = visitor.post("/password/forgot", {"email": "ada@example.edu"})
    known_page = _page_after(visitor, known).replace("ada@example.edu", "ADDRESS")
    unknown = visitor.post("/password/forgot", {"email": "nobody@example.edu"})
    unknown_page = _page_after(visitor, unknown).replace("nobody@example.edu", "ADDRESS")

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known_page == unknown_page and "we sent it a link" in known_page
    # The same work for both: one message each (the unknown address learns it has no account).
    [to_ada] = inbox.messages("ada@example.edu")
    [to_nobody] = inbox.messages("nobody@example.edu")
    assert to_ada["Subject"] == "Set a new Board password"
    assert to_nobody["Subject"] == "No Board account uses this address"
    assert inbox.link("nobody@example.edu", "/register")
    assert _users() == 1


def test_new_password_works_and_the_old_one_does_not(visitor, inbox):
    factories.user(email="ada@example.edu")
    response = _reset(visitor, inbox, "ada@example.edu")
    assert response.status_code == 302 and _logged_in(visitor)
    visitor.logout()
    assert visitor.login("ada@example.edu", factories.PASSWORD).status_code == 200
    assert visitor.login("ada@example.edu", "a brand new password").status_code == 302


def test_reset_link_works_only_once(visitor, inbox):
    factories.user(email="ada@example.edu")
    visitor.post("/password/forgot", {"email": "ada@example.edu"})
    link = inbox.link("ada@example.edu", "/password/reset/")
    first = visitor.post(link, {"new_password": "a brand new password", "confirm": "a brand new password"})
    assert first.status_code == 302

    again = visitor.post(link, {"new_password": "attacker password", "confirm": "attacker password"})
    assert again.status_code == 410 and "no longer works" in again.get_data(as_text=True)
    assert visitor.get(link).status_code == 410
    visitor.logout()
    assert visitor.login("ada@example.edu", "attacker password").status_code == 200


def test_reset_link_expires_after_an_hour(visitor, inbox, monkeypatch):
    factories.user(email="ada@example.edu")
    hour_ago = int(time.time()) - email_flows.RESET_MAX_AGE - 1
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: hour_ago)
        visitor.post("/password/forgot", {"email": "ada@example.edu"})
    link = inbox.link("ada@example.edu", "/password/reset/")

    assert visitor.get(link).status_code == 410
    refused = visitor.post(link, {"new_password": "a brand new password", "confirm": "a brand new password"})
    assert refused.status_code == 410
    assert visitor.login("ada@example.edu", factories.PASSWORD).status_code == 302


def test_reset_link_a_minute_short_of_an_hour_still_works(visitor, inbox, monkeypatch):
    factories.user(email="ada@example.edu")
    almost_an_hour_ago = int(time.time()) - email_flows.RESET_MAX_AGE + 60
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: almost_an_hour_ago)
        visitor.post("/password/forgot", {"email": "ada@example.edu"})
    assert visitor.get(inbox.link("ada@example.edu", "/password/reset/")).status_code == 200


@pytest.mark.parametrize("token", ["nonsense", "a" * 5000, "eyJ1c2VyIjoxfQ.AAAA.BBBB", "%00", "é"])
def test_forged_or_garbled_reset_and_confirmation_links_are_refused(visitor, token):
    factories.user(email="ada@example.edu")
    # A NUL anywhere in a URL's path is not found, before any view runs (board/inputs.py).
    refused = 404 if token == "%00" else 410
    for url in (f"/password/reset/{token}", f"/register/confirm/{token}"):
        assert visitor.get(url).status_code == refused, url
        assert visitor.post(url, {"new_password": "x" * 12, "confirm": "x" * 12}).status_code == refused, url
    assert _users() == 1


def test_reset_token_signed_for_another_purpose_is_refused(visitor, app):
    ada = factories.user(email="ada@example.edu")
    from itsdangerous import URLSafeTimedSerializer

    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="board-registration")
    token = other.dumps({"user": ada.id, "fingerprint": email_flows._fingerprint(ada)})
    assert visitor.get(f"/password/reset/{token}").status_code == 410


def test_setting_the_new_password_ends_every_other_session(make_visitor, inbox):
    ada = factories.user(email="ada@example.edu")
    bob = factories.user(email="bob@example.edu")
    laptop, phone, bobs = make_visitor(ada), make_visitor(ada), make_visitor(bob)
    stranger = make_visitor()

    _reset(stranger, inbox, "ada@example.edu")

    assert not _logged_in(laptop) and not _logged_in(phone)
    assert _logged_in(stranger) and _logged_in(bobs)
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == ada.id)) == 1


def test_reset_in_a_browser_signed_in_as_someone_else_ends_that_session(make_visitor, inbox):
    factories.user(email="ada@example.edu")
    bob = factories.user(email="bob@example.edu")
    shared = make_visitor(bob)
    _reset(shared, inbox, "ada@example.edu")
    assert "ada@example.edu" in shared.get("/account").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == bob.id)) == 0


def test_imported_account_without_password_sets_one_through_the_reset_email(visitor, inbox):
    imported = accounts.create_user("imported@example.edu", "Imported Student", None)
    assert visitor.login("imported@example.edu", "anything at all").status_code == 200

    visitor.post("/password/forgot", {"email": "imported@example.edu"})
    [message] = inbox.messages("imported@example.edu")
    assert "no password yet" in message.get_body(("plain",)).get_content()
    _reset(visitor, inbox, "imported@example.edu", "my first password")

    assert factories.reload(imported).password_hash.startswith("scrypt:")
    visitor.logout()
    assert visitor.login("imported@example.edu", "my first password").status_code == 302


def test_reset_refuses_a_short_password_and_keeps_the_link_alive(visitor, inbox):
    factories.user(email="ada@example.edu")
    visitor.post("/password/forgot", {"email": "ada@example.edu"})
    link = inbox.link("ada@example.edu", "/password/reset/")
    refused = visitor.post(link, {"new_password": "short", "confirm": "short"})
    assert refused.status_code == 200 and "Use at least 10 characters." in refused.get_data(as_text=True)
    assert visitor.post(link, {"new_password": "long enough pw", "confirm": "long enough pw"}).status_code == 302


def test_at_most_one_account_email_per_address_in_five_minutes(limits, visitor, inbox):
    limits(ACCOUNT_EMAIL_LIMIT="1 per 5 minutes;10 per day")
    factories.user(email="ada@example.edu")
    first = _page_after(visitor, visitor.post("/password/forgot", {"email": "ada@example.edu"}))
    second = _page_after(visitor, visitor.post("/password/forgot", {"email": "ada@example.edu"}))
    by_registering = _register(visitor, "ada@example.edu")
    other = visitor.post("/password/forgot", {"email": "bob@example.edu"})

    # The page says the same each time; only the mailbox shows the limit.
    assert first == second
    assert by_registering.status_code == other.status_code == 302
    assert len(inbox.messages("ada@example.edu")) == 1
    assert len(inbox.messages("bob@example.edu")) == 1


def test_two_requests_at_the_same_moment_send_one_message_under_a_limit_of_one(
    limits, make_visitor, inbox, monkeypatch
):
    from board.extensions import limiter

    limits(ACCOUNT_EMAIL_LIMIT="1 per 5 minutes")
    factories.user(email="ada@example.edu")
    first, second = make_visitor(), make_visitor()
    tokens = [first.csrf_token(), second.csrf_token()]
    # Both requests are held together after any separate check of the limit, before either counts its message.
    monkeypatch.setattr(limiter.limiter, "test", Rendezvous(limiter.limiter.test))

    at_once(
        lambda: first.client.post("/password/forgot", data={"email": "ada@example.edu", "csrf_token": tokens[0]}),
        lambda: second.client.post("/password/forgot", data={"email": "ada@example.edu", "csrf_token": tokens[1]}),
    )

    assert len(inbox.messages("ada@example.edu")) == 1


# --- Registration ---------------------------------------------------------------------------------------------------


def test_after_asking_for_a_link_the_page_says_check_your_email_and_offers_no_login(visitor, inbox):
    response = visitor.post("/register", {"email": "ada@example.edu", **_OLD_FORM})
    page = _page_after(visitor, response)
    assert "<h1>Check your email</h1>" in page and "<strong>ada@example.edu</strong>" in page
    # No account exists yet: no login form, nothing focused, no password asked for.
    assert "autofocus" not in page and 'type="password"' not in page and 'name="email"' not in page


def test_registration_page_and_status_are_the_same_for_new_and_existing_addresses(visitor, inbox):
    factories.user("Bob", email="bob@example.edu")
    new = _register(visitor, "ada@example.edu")
    new_page = _page_after(visitor, new).replace("ada@example.edu", "ADDRESS")
    existing = _register(visitor, "BOB@example.edu")
    existing_page = _page_after(visitor, existing).replace("bob@example.edu", "ADDRESS")

    assert new.status_code == existing.status_code == 302
    assert new.headers["Location"] == existing.headers["Location"]
    assert new_page == existing_page and "Follow its link" in new_page
    assert "already exists" not in existing_page
    # The same work for both: a pending row each (the existing address's link is never sent), one message each.
    assert [row.email for row in _pending()] == ["ada@example.edu", "bob@example.edu"]
    assert len(inbox.messages("ada@example.edu")) == len(inbox.messages("bob@example.edu")) == 1


def test_the_link_carries_only_a_random_token_and_the_server_keeps_only_its_digest(visitor, inbox):
    visitor.post("/register", {"email": "ada@example.edu", **_OLD_FORM})
    first = inbox.link("ada@example.edu", "/register/confirm/").removeprefix("/register/confirm/")
    visitor.post("/register", {"email": "ada@example.edu", **_OLD_FORM})
    second = inbox.link("ada@example.edu", "/register/confirm/").removeprefix("/register/confirm/")

    # 256 random bits and nothing else: no address, name or password hash to read out of it, signed or not.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first) and re.fullmatch(r"[A-Za-z0-9_-]{43}", second)
    assert first != second
    rows = _pending()
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest() for token in (first, second)]
    assert not any(token in repr(vars(row)) for row in rows for token in (first, second))


def test_following_a_link_someone_else_asked_for_makes_the_account_of_whoever_follows_it(make_visitor, inbox):
    mallory, ada = make_visitor(), make_visitor()
    # Mallory gives Ada's address, and (as the old form asked) a name and a password of her own.
    typed = {"display_name": "Mallory", "password": "mallory's password", "confirm": "mallory's password"}
    assert mallory.post("/register", {"email": "ada@example.edu", **typed}).status_code == 302
    assert _users() == 0

    link = inbox.link("ada@example.edu", "/register/confirm/")
    page = ada.get(link).get_data(as_text=True)
    assert _choose(ada, link, "Ada", "ada's own password").status_code == 302

    assert mallory.login("ada@example.edu", "mallory's password").status_code == 200
    assert not _logged_in(mallory)
    assert make_visitor().login("ada@example.edu", "ada's own password").status_code == 302
    assert accounts.find_user("ada@example.edu").display_name == "Ada"
    assert "Mallory" not in page and 'name="password"' in page


def test_nothing_but_the_pending_row_is_written_before_the_link_is_followed(visitor, inbox):
    with count_queries() as statements:
        _register(visitor, "ada@example.edu")
    assert _users() == 0
    # Only the pending row and the email itself are written: a row of the outbox (board/outbox/), which sends it and
    # then sets the pending row's token digest (the link is minted as it is sent).
    writes = [s for s in statements if _WRITE.match(s) and not re.match(r"\s*(INSERT INTO|UPDATE) outbox\b", s)]
    assert writes and all(re.match(r"\s*(INSERT INTO|UPDATE) pending_registrations\b", s) for s in writes), writes
    [message] = inbox.messages("ada@example.edu")
    assert message["Subject"] == "Confirm your Board account"
    assert not _logged_in(visitor)


def test_following_the_confirmation_link_writes_nothing_until_the_button(visitor, inbox):
    _register(visitor, "ada@example.edu")
    link = inbox.link("ada@example.edu", "/register/confirm/")
    with count_queries() as statements:
        page = visitor.get(link)
    assert page.status_code == 200 and "ada@example.edu" in page.get_data(as_text=True)
    assert not [s for s in statements if _WRITE.match(s)] and _users() == 0


def test_confirmation_link_creates_the_account_once_and_logs_in(make_visitor, inbox):
    person = make_visitor()
    assert person.register(inbox, "ada@example.edu", "Ada").status_code == 302
    assert _logged_in(person) and _users() == 1
    assert _pending() == []

    link = inbox.link("ada@example.edu", "/register/confirm/")
    later = make_visitor()
    later.csrf_token()  # from the login page: the link's page no longer has a form
    assert later.get(link).status_code == 410
    again = _choose(later, link, "Someone else", "another password")
    assert again.status_code == 410 and "no longer works" in again.get_data(as_text=True)
    assert _users() == 1 and not _logged_in(later)
    assert later.login("ada@example.edu", "another password").status_code == 200


def test_creating_the_account_retires_every_other_link_to_the_address(make_visitor, inbox):
    first, second = make_visitor(), make_visitor()
    _register(first, "ada@example.edu")
    older = inbox.link("ada@example.edu", "/register/confirm/")
    _register(second, "ada@example.edu")
    newer = inbox.link("ada@example.edu", "/register/confirm/")
    assert _choose(second, newer).status_code == 302
    assert first.get(older).status_code == 410 and _pending() == []


def test_confirmation_after_someone_else_registered_the_address_says_log_in(visitor, inbox):
    _register(visitor, "ada@example.edu")
    link = inbox.link("ada@example.edu", "/register/confirm/")
    visitor.csrf_token(link)
    accounts.create_user("ada@example.edu", "Ada elsewhere", "another password")
    response = _choose(visitor, link)
    assert "already registered" in response.get_data(as_text=True)
    assert _users() == 1 and not _logged_in(visitor)


def test_confirmation_needs_the_csrf_token(client, inbox, visitor):
    _register(visitor, "ada@example.edu")
    link = inbox.link("ada@example.edu", "/register/confirm/")
    form = {"display_name": "Ada", "password": "long enough pw", "confirm": "long enough pw"}
    assert client.post(link, data=form).status_code == 400
    assert _users() == 0


def test_confirmation_link_expires_after_a_day(visitor, inbox, monkeypatch):
    day_ago = datetime.now(UTC) - email_flows.REGISTRATION_MAX_AGE - timedelta(seconds=1)
    with monkeypatch.context() as patched:
        patched.setattr(email_flows, "utcnow", lambda: day_ago)
        _register(visitor, "ada@example.edu")
    link = inbox.link("ada@example.edu", "/register/confirm/")
    assert visitor.get(link).status_code == 410
    assert _choose(visitor, link).status_code == 410
    assert _users() == 0


def test_confirmation_link_a_minute_short_of_a_day_still_works(visitor, inbox, monkeypatch):
    almost_a_day_ago = datetime.now(UTC) - email_flows.REGISTRATION_MAX_AGE + timedelta(minutes=1)
    with monkeypatch.context() as patched:
        patched.setattr(email_flows, "utcnow", lambda: almost_a_day_ago)
        _register(visitor, "ada@example.edu")
    assert _choose(visitor, inbox.link("ada@example.edu", "/register/confirm/")).status_code == 302
    assert _users() == 1


def test_the_periodic_job_deletes_expired_pending_registrations_only(make_visitor, inbox, monkeypatch):
    from board.auth.tasks import delete_expired_registrations

    day_ago = datetime.now(UTC) - email_flows.REGISTRATION_MAX_AGE - timedelta(seconds=1)
    with monkeypatch.context() as patched:
        patched.setattr(email_flows, "utcnow", lambda: day_ago)
        _register(make_visitor(), "old@example.edu")
    _register(make_visitor(), "new@example.edu")
    assert len(_pending()) == 2

    delete_expired_registrations()

    assert [row.email for row in _pending()] == ["new@example.edu"]
    assert _choose(make_visitor(), inbox.link("new@example.edu", "/register/confirm/")).status_code == 302


def test_existing_owner_is_told_someone_tried_and_nothing_changes(visitor, inbox):
    bob = factories.user("Bob", email="bob@example.edu")
    before = bob.password_hash
    _register(visitor, "bob@example.edu")

    [message] = inbox.messages("bob@example.edu")
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Someone tried to register with your address"
    assert "Hello Bob" in text and "/register/confirm/" not in text
    assert inbox.link("bob@example.edu", "/login") == "/login"
    assert inbox.link("bob@example.edu", "/password/forgot") == "/password/forgot"
    assert factories.reload(bob).password_hash == before and _users() == 1


# No live link in the database -------------------------------------------------------------------------------------


def _stored_text() -> str:
    """Everything the outbox keeps, as text: what a backup or a replica of the database would show."""
    db.session.expire_all()
    return " ".join(repr(row.payload) for row in db.session.scalars(select(OutboxItem)))


def _link_token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_a_registration_link_is_never_stored_where_a_database_reader_could_follow_it(
    visitor,
    make_visitor,
    inbox,
    queue_on,  # noqa: F811
):
    queue_on(None)  # the outbox row waits for a worker, as it does while Redis or the worker is down
    _register(visitor, "victim@example.edu")
    huey.flush()  # the delivery it queued: this test delivers by hand
    waiting = _stored_text()
    assert "victim@example.edu" in waiting and "/register/confirm/" not in waiting
    assert inbox.messages("victim@example.edu") == []

    assert email_flows.send_account_email(db.session.scalar(select(OutboxItem.payload)))
    db.session.commit()
    link = inbox.link("victim@example.edu", "/register/confirm/")
    token = _link_token(link)
    assert token not in _stored_text() and "/register/confirm/" not in _stored_text()
    assert db.session.scalar(select(PendingRegistration.token_hash)) == hashlib.sha256(token.encode()).hexdigest()
    # The link the mailbox got works, once.
    page = make_visitor().get(link)
    assert page.status_code == 200 and "victim@example.edu" in page.get_data(as_text=True)


def test_a_reset_link_is_never_stored_where_a_database_reader_could_follow_it(make_visitor, inbox):
    factories.user("Ada", "ada@example.edu")
    db.session.commit()
    make_visitor().post("/password/forgot", {"email": "ada@example.edu"})
    link = inbox.link("ada@example.edu", "/password/reset/")
    stored = _stored_text()
    assert _link_token(link) not in stored and "/password/reset/" not in stored
