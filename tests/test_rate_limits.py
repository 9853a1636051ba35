"""Limits on writing (board/rate_limits.py): registrations per address; comments, responses and reports per account."""

import itertools

import pytest
from flask import request

from board import create_app
from board.auth.services import find_user
from board.extensions import db, limiter
from board.models import Comment, Role
from tests import factories


@pytest.fixture
def klass():
    course = factories.course()
    reading = factories.reading(course, title="The reading")
    return course, reading, factories.member(course, Role.STUDENT), factories.member(course, Role.STUDENT)


def _comment(person, course, post, body: str):
    return person.post(f"/c/{course.slug}/posts/{post.id}/comments", {"body": body})


def test_comments_are_limited_per_account(klass, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="3 per minute")
    course, reading, ann, ben = klass
    anns, bens = make_visitor(ann), make_visitor(ben)  # same address: the test client's

    codes = [_comment(anns, course, reading, f"Comment {n}").status_code for n in range(4)]

    assert codes == [302, 302, 302, 429]
    assert _comment(bens, course, reading, "Ben's first").status_code == 302


def test_refusal_is_a_429_with_retry_after(klass, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="1 per minute")
    course, reading, ann, _ = klass
    anns = make_visitor(ann)
    _comment(anns, course, reading, "First")

    refused = _comment(anns, course, reading, "Second")

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_responses_comments_and_reports_share_one_budget(klass, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="3 per minute")
    course, reading, ann, ben = klass
    bens_response = factories.response(course, ben, reading)
    anns = make_visitor(ann)

    respond = anns.post(f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "Mine", "body": "My view."})
    comment = _comment(anns, course, reading, "A comment")
    report = anns.post(f"/c/{course.slug}/posts/{bens_response.id}/report", {"reason": "Off topic"})
    one_more = _comment(anns, course, reading, "One more")

    assert [respond.status_code, comment.status_code, report.status_code] == [302, 302, 302]
    assert one_more.status_code == 429


def test_edits_share_the_posting_budget_and_a_refused_edit_keeps_its_text(klass, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="3 per minute")
    course, reading, ann, _ = klass
    anns = make_visitor(ann)
    comment_id = int(_comment(anns, course, reading, "First").headers["Location"].rsplit("-", 1)[1])
    edit = f"/c/{course.slug}/comments/{comment_id}/edit"
    assert anns.post(edit, {"body": "Edited once"}).status_code == 302
    response = factories.response(course, ann, reading)
    post_edit = f"/c/{course.slug}/posts/{response.id}/edit"
    assert anns.post(post_edit, {"title": "Mine", "body": "Edited", "publish": "Publish"}).status_code == 302

    refused = anns.post(edit, {"body": "Edited a fourth time, text to keep"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Edited a fourth time, text to keep" in refused.get_data(as_text=True)
    assert factories.reload(db.session.get(Comment, comment_id)).body_md == "Edited once"
    refused = anns.post(post_edit, {"title": "Mine", "body": "Post text to keep", "publish": "Publish"})
    assert refused.status_code == 429 and "Post text to keep" in refused.get_data(as_text=True)
    # Opening the edit forms is never limited, nor is their Preview button counted as posting.
    assert anns.get(edit).status_code == 200
    assert anns.post(edit, {"body": "Just looking", "preview": "Preview"}).status_code == 200


def _live_preview(person, course, text: str):
    return person.post(f"/c/{course.slug}/formatting", {"body": text}, headers={"Accept": "application/json"})


def test_live_preview_has_its_own_limit_per_account_answered_in_json(klass, limits, make_visitor):
    limits(PREVIEW_RATE_LIMIT="3 per minute", POSTING_RATE_LIMIT="3 per minute")
    course, reading, ann, ben = klass
    anns = make_visitor(ann)
    assert [_live_preview(anns, course, f"*{n}*").status_code for n in range(3)] == [200, 200, 200]

    refused = _live_preview(anns, course, "one too many")
    assert refused.status_code == 429 and refused.mimetype == "application/json"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["retry_after"] == int(refused.headers["Retry-After"])
    assert "preview" in refused.get_json()["error"].lower()
    # The Preview button without JavaScript renders the same way, so it spends the same budget.
    button = anns.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "Kept text", "preview": "Preview"})
    assert button.status_code == 429 and "Kept text" in button.get_data(as_text=True)
    # Posting has its own budget, and a classmate their own preview budget.
    assert _comment(anns, course, reading, "Posted all the same").status_code == 302
    assert _live_preview(make_visitor(ben), course, "mine").status_code == 200
    # The formatting help page itself is a GET: never limited; its own form (no JavaScript) gets the HTML refusal.
    assert anns.get(f"/c/{course.slug}/formatting").status_code == 200
    page = anns.post(f"/c/{course.slug}/formatting", {"body": "Tried *here*"})
    assert page.status_code == 429 and page.mimetype == "text/html" and "Tried *here*" in page.get_data(as_text=True)


def test_reading_pages_are_not_limited(klass, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="1 per minute")
    course, reading, ann, _ = klass
    anns = make_visitor(ann)
    _comment(anns, course, reading, "First")
    for _ in range(3):
        assert anns.get(f"/c/{course.slug}/posts/{reading.id}").status_code == 200
        assert anns.get(f"/c/{course.slug}/readings/{reading.id}/respond").status_code == 200


def _register(person, n: int):
    return person.post("/register", {"email": f"new{n}@example.edu"})


def test_registrations_are_limited_per_address(limits, make_visitor, inbox):
    limits(REGISTER_RATE_LIMIT="2 per minute")
    codes = []
    for n in range(3):
        person = make_visitor()
        person.client.environ_base["REMOTE_ADDR"] = "192.0.2.20"
        codes.append(_register(person, n).status_code)
    assert codes == [302, 302, 429]
    assert inbox.messages("new2@example.edu") == []
    assert find_user("new2@example.edu") is None

    elsewhere = make_visitor()
    elsewhere.client.environ_base["REMOTE_ADDR"] = "192.0.2.21"
    assert _register(elsewhere, 3).status_code == 302
    link = inbox.link("new3@example.edu", "/register/confirm/")
    elsewhere.csrf_token(link)
    chosen = {"display_name": "New 3", "password": "long enough pw", "confirm": "long enough pw"}
    assert elsewhere.post(link, chosen).status_code == 302
    assert find_user("new3@example.edu") is not None


def test_forgot_password_shares_the_registration_budget_per_address(limits, make_visitor, inbox):
    limits(REGISTER_RATE_LIMIT="2 per minute")
    factories.user(email="ada@example.edu")
    person = make_visitor()
    person.client.environ_base["REMOTE_ADDR"] = "192.0.2.30"

    codes = [
        _register(person, 0).status_code,
        person.post("/password/forgot", {"email": "ada@example.edu"}).status_code,
        person.post("/password/forgot", {"email": "ada@example.edu"}).status_code,
        _register(person, 1).status_code,
    ]

    assert codes == [302, 302, 429, 429]
    assert len(inbox.messages("ada@example.edu")) == 1
    assert person.get("/password/forgot").status_code == 200  # reading the form is never limited


def test_registrations_from_one_ipv6_network_share_the_limit(limits, make_visitor):
    limits(REGISTER_RATE_LIMIT="2 per minute")
    codes = []
    for n in range(3):
        person = make_visitor()
        person.client.environ_base["REMOTE_ADDR"] = f"2001:db8:5:6::{n + 1}"
        codes.append(_register(person, n).status_code)
    assert codes == [302, 302, 429]


def test_the_limiters_per_request_check_runs_on_writes_only(klass, make_visitor, monkeypatch):
    """Every limit is on POST, so GET and HEAD skip Flask-Limiter's before_request check (about 0.1 ms a request)."""
    course, reading, ann, _ = klass
    anns = make_visitor(ann)
    checks = []
    real = limiter.identify_request
    monkeypatch.setattr(limiter, "identify_request", lambda: checks.append(request.method) or real())
    assert anns.get(f"/c/{course.slug}/").status_code == 200
    assert anns.client.head(f"/c/{course.slug}/posts/{reading.id}").status_code == 200
    anns.csrf_token("/courses")  # a GET too
    assert checks == []
    assert anns.logout().status_code == 302  # a POST with no limit of its own
    assert checks == ["POST"]


def test_no_limit_would_need_the_check_that_reads_skip(app):
    """The per-request check skipped on reads only enforces default, application, meta and blueprint limits; Board
    has none (its limits are decorators on POST routes, which check themselves). Adding one must revisit that skip."""
    manager = limiter.limit_manager
    assert manager.default_limits == [] and manager.application_limits == []
    assert not manager._blueprint_limits and not list(itertools.chain(*limiter._meta_limits))


def test_the_app_starts_with_rate_limiting_turned_off(app, monkeypatch):
    # Flask-Limiter then registers no per-request hook at all; the limiter is one object shared by every app in
    # this process, and remembers the setting as its default: restored after the test.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    off = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "RATELIMIT_ENABLED": False})
    assert off.test_client().get("/login").status_code == 200
