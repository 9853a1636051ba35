"""Accounts: register, log in and out, profile and password, through the real forms with CSRF on."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from board.auth import services
from board.auth.services import find_user
from board.extensions import db
from board.models import User
from tests import factories
from tests.concurrency import Rendezvous, at_once


def test_register_logs_in_and_hashes_password(visitor, inbox):
    response = visitor.register(inbox, "Ada@Example.edu", "Ada", "long enough pw")
    assert response.status_code == 302
    user = find_user("ada@example.edu")
    assert user.email == "ada@example.edu"
    assert user.password_hash.startswith("scrypt:")
    assert "long enough pw" not in user.password_hash
    page = visitor.get("/courses").get_data(as_text=True)
    assert "Log out" in page and "Ada" in page


def test_register_refuses_short_password_and_keeps_input(visitor, inbox):
    assert visitor.post("/register", {"email": "ada@example.edu"}).status_code == 302
    link = inbox.link("ada@example.edu", "/register/confirm/")
    visitor.csrf_token(link)
    response = visitor.post(link, {"display_name": "Ada", "password": "short", "confirm": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use at least 10 characters." in page
    assert 'value="Ada"' in page and "ada@example.edu" in page
    assert find_user("ada@example.edu") is None
    again = visitor.post(link, {"display_name": "Ada", "password": "long enough pw", "confirm": "long enough pw"})
    assert again.status_code == 302 and find_user("ada@example.edu").display_name == "Ada"


def test_registration_asks_for_nothing_but_the_address(visitor):
    page = visitor.get("/register").get_data(as_text=True)
    assert 'name="email"' in page
    assert 'name="password"' not in page and 'name="display_name"' not in page


def test_emails_are_unique_whatever_their_case(visitor, inbox):
    factories.user(email="ada@example.edu")
    response = visitor.post("/register", {"email": "ADA@example.EDU"})
    assert response.status_code == 302
    [message] = inbox.messages("ada@example.edu")
    assert message["Subject"] == "Someone tried to register with your address"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_login_with_any_email_case_and_logout(visitor):
    factories.user(email="ada@example.edu")
    assert visitor.login("ADA@example.edu").status_code == 302
    assert visitor.get("/courses").status_code == 200
    visitor.logout()
    assert visitor.get("/courses").status_code == 302


def test_wrong_password_is_refused_with_a_message(visitor):
    factories.user(email="ada@example.edu")
    response = visitor.login("ada@example.edu", "wrong password!")
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert visitor.get("/courses").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    factories.user(email="ada@example.edu")
    response = client.post("/login", data={"email": "ada@example.edu", "password": factories.PASSWORD})
    assert response.status_code == 400


def test_login_next_stays_on_site(visitor):
    factories.user(email="ada@example.edu")
    assert visitor.login("ada@example.edu", next="/account").headers["Location"] == "/account"
    visitor.logout()
    assert visitor.login("ada@example.edu", next="https://evil.example/").headers["Location"] == "/courses"
    visitor.logout()
    assert visitor.login("ada@example.edu", next="//evil.example/").headers["Location"] == "/courses"


def _sent_to_log_in_then(response) -> str | None:
    """Where the login page will send the browser afterwards (its `next`), from a redirect to it."""
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.path == "/login", response.headers["Location"]
    return parse_qs(location.query).get("next", [None])[0]


def test_a_form_post_refused_for_want_of_a_login_comes_back_to_the_page_it_was_sent_from(visitor):
    """A redirect cannot send a post again, and a comment's URL answers POST only: after logging in, the browser goes
    back to the page the form was on, where board.js restores the draft."""
    course = factories.course()
    student = factories.member(course)
    post = factories.reading(course)
    page = f"/c/{course.slug}/posts/{post.id}?page=2"
    comments = f"/c/{course.slug}/posts/{post.id}/comments"
    refused = visitor.post(comments, {"body": "Kept in the browser"}, headers={"Referer": f"http://localhost{page}"})
    assert _sent_to_log_in_then(refused) == page
    assert visitor.login(student.email, next=page).headers["Location"] == page
    visitor.logout()
    # From another site, or without a Referer, there is no page to come back to; a page asked for comes back to itself.
    foreign = visitor.post(comments, {"body": "x"}, headers={"Referer": f"https://evil.example{page}"})
    assert _sent_to_log_in_then(foreign) is None
    assert _sent_to_log_in_then(visitor.post(comments, {"body": "x"})) is None
    assert _sent_to_log_in_then(visitor.get(page)) == page


def test_remember_me_sets_a_remember_cookie(visitor):
    factories.user(email="ada@example.edu")
    response = visitor.login("ada@example.edu", remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_change_display_name_and_password(visitor):
    user = factories.user(email="ada@example.edu")
    visitor.login(user.email)
    visitor.post("/account", {"which": "profile", "profile-display_name": "Ada L."})
    assert factories.reload(user).display_name == "Ada L."
    response = visitor.post(
        "/account",
        {
            "which": "password",
            "password-current_password": "not it at all",
            "password-new_password": "a new password",
            "password-confirm": "a new password",
        },
    )
    assert "not right" in response.get_data(as_text=True)
    visitor.post(
        "/account",
        {
            "which": "password",
            "password-current_password": factories.PASSWORD,
            "password-new_password": "a new password",
            "password-confirm": "a new password",
        },
    )
    visitor.logout()
    assert visitor.login(user.email, factories.PASSWORD).status_code == 200
    assert visitor.login(user.email, "a new password").status_code == 302


def test_login_is_rate_limited(app):
    from board.extensions import limiter

    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    limiter.reset()
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        codes = [
            client.post("/login", data={"email": "x@example.edu", "password": "wrong", "csrf_token": token}).status_code
            for _ in range(11)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes[:10] == [200] * 10
    assert codes[10] == 429


def test_every_logged_in_page_has_log_out(visitor):
    factories.user(email="ada@example.edu")
    visitor.login("ada@example.edu")
    for url in ("/courses", "/account", "/courses/new"):
        assert "Log out" in visitor.get(url).get_data(as_text=True), url


def test_session_cookie_is_secure_httponly_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    from board import config

    settings = config.from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("attempt", range(3))
def test_two_confirmations_at_once_with_one_email_make_one_account(make_visitor, inbox, monkeypatch, attempt):
    # Two registrations of one address (two tabs, or two people) each get a link; both links confirmed at the same
    # moment pass the "no such account yet" check before either inserts: the database's unique email decides.
    email = f"twin{attempt}@example.edu"
    people = [make_visitor() for _ in range(2)]
    links = []
    for person in people:
        assert person.post("/register", {"email": email}).status_code == 302
        links.append(inbox.link(email, "/register/confirm/"))
        person.csrf_token(links[-1])
    assert links[0] != links[1]
    forms = [{"display_name": f"Twin {n}", "password": "long enough pw", "confirm": "long enough pw"} for n in (0, 1)]
    monkeypatch.setattr(services, "find_user", Rendezvous(services.find_user))
    results = at_once(
        *(
            lambda person=person, link=link, form=form: person.post(link, form)
            for person, link, form in zip(people, links, forms)
        )
    )
    assert sorted(getattr(result, "status_code", 500) for result in results) == [200, 302], results
    [refused] = [result for result in results if result.status_code == 200]
    assert "This address is already registered" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
