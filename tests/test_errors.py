"""Board's own error pages, and a refused form post shown again with its text so that nothing typed is lost."""

from __future__ import annotations

import pytest
from flask import abort

from board.extensions import db
from board.models import Comment
from board.posts import services
from tests import factories
from tests.posts.test_composer import form_where, forms, send

LAYOUT = '<header class="site-header">'


def _discussion():
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), title="Work as dignity")
    return course, post


def _comments() -> list[Comment]:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment)).all()


def _bottom_form(visitor, post) -> dict:
    return form_where(visitor.get(f"/c/{post.course.slug}/posts/{post.id}").get_data(as_text=True), id="comment-form")


def _refused_form(page: str) -> dict:
    return form_where(page, class_="refused-form")


def test_stale_csrf_token_shows_the_comment_again_and_post_again_posts_it_once(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    form = _bottom_form(student, post)
    response = send(student, form, body="Typed over the weekend", csrf_token="stale-token")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert LAYOUT in page and "Board could not confirm this form came from you" in page
    again = _refused_form(page)
    fields = dict(again["fields"])
    assert fields["body"] == "Typed over the weekend"
    assert fields["submission_key"] == dict(form["fields"])["submission_key"]
    assert fields["csrf_token"] not in ("stale-token", "")
    assert again["attrs"]["action"].endswith(f"/c/{course.slug}/posts/{post.id}/comments")
    assert '<textarea id="kept-' in page  # the text is editable, not hidden
    assert _comments() == []
    assert send(student, again).status_code == 302
    assert send(student, again).status_code == 302  # pressed twice: still one comment
    assert [c.body_md for c in _comments()] == ["Typed over the weekend"]


def test_missing_csrf_token_keeps_the_text(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    url = f"/c/{course.slug}/posts/{post.id}/comments"
    response = student.client.post(url, data={"body": "No token at all"})
    assert response.status_code == 400
    assert dict(_refused_form(response.get_data(as_text=True))["fields"])["body"] == "No token at all"


def test_refused_login_never_echoes_the_password(client):
    response = client.post("/login", data={"email": "ada@example.edu", "password": "s3cret-pass", "csrf_token": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "s3cret-pass" not in page
    fields = dict(_refused_form(page)["fields"])
    assert fields["email"] == "ada@example.edu" and fields["password"] == ""


@pytest.mark.parametrize(
    ("code", "explanation"),
    [(429, "You are sending faster than Board allows."), (503, "Board is too busy to save this right now.")],
)
def test_comment_refused_as_too_many_or_busy_is_shown_again(make_visitor, monkeypatch, code, explanation):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    form = _bottom_form(student, post)
    real_add_comment = services.add_comment
    monkeypatch.setattr(services, "add_comment", lambda *args, **kwargs: abort(code))
    response = send(student, form, body="Sent at a bad moment")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert LAYOUT in page and explanation in page
    again = _refused_form(page)
    assert dict(again["fields"])["body"] == "Sent at a bad moment"
    monkeypatch.setattr(services, "add_comment", real_add_comment)
    assert send(student, again).status_code == 302
    assert [c.body_md for c in _comments()] == ["Sent at a bad moment"]


def test_server_error_shows_boards_page_with_the_text(app, make_visitor, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    form = _bottom_form(student, post)

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "add_comment", crash)
    response = send(student, form, body="Written before the crash")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert LAYOUT in page and "Something went wrong" in page and "boom" not in page
    assert dict(_refused_form(page)["fields"])["body"] == "Written before the crash"


def test_server_error_on_a_page_is_boards_page(app, make_visitor, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    monkeypatch.setattr("board.posts.queries.post_page", lambda *args, **kwargs: 1 / 0)
    response = student.get(f"/c/{course.slug}/posts/{post.id}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert LAYOUT in page and "<h1>Something went wrong</h1>" in page
    assert "/logout" in [form["attrs"]["action"] for form in forms(page)], "the signed-in header, with Log out"


def test_not_found_and_not_allowed_are_boards_pages(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    missing = student.get(f"/c/{course.slug}/posts/999999")
    assert missing.status_code == 404 and LAYOUT in missing.get_data(as_text=True)
    forbidden = student.get(f"/c/{course.slug}/posts/{post.id}/edit")
    assert forbidden.status_code == 403 and "<h1>Not allowed</h1>" in forbidden.get_data(as_text=True)


def test_malformed_request_is_boards_page(client):
    response = client.post("/login", data=b"\xff", content_type="multipart/form-data; boundary=")
    assert response.status_code == 400 and LAYOUT in response.get_data(as_text=True)


def test_too_large_a_post_is_boards_page(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    response = student.post(f"/c/{course.slug}/posts/{post.id}/comments", {"body": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert LAYOUT in page and "<h1>Too large</h1>" in page and "refused-form" not in page
