"""Odd input never breaks a page: ids no database row can have, and NUL characters, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import AuditEntry, Comment, Post, Role, User
from tests import factories

# 2^31 overflowed PostgreSQL's 32-bit ids; 2^63 - 1 is the largest 64-bit id; beyond it no database can look it up.
HUGE_IDS = [2**31, 2**63 - 1, 2**63, 10**39]


@pytest.fixture
def klass():
    """A course with an instructor, a student, a reading, a response and a comment."""
    course = factories.course(factories.user("Iris Instructor"))
    student = factories.member(course, Role.STUDENT, "Ann Student")
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, student, reading, title="Ann's response")
    comment = factories.comment(response, student, "Ann's comment")
    return course, factories.instructor_of(course), student, reading, comment


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/posts/{}",
        "/posts/{}/edit",
        "/posts/{}/likes",
        "/comments/{}/likes",
        "/comments/{}/edit",
        "/people/{}",
        "/readings/{}/respond",
        "/posts/{}/revisions",
        "/awards/types/{}",
    ],
)
def test_pages_for_ids_no_row_can_have_are_not_found(klass, make_visitor, path, number):
    course, instructor, *_ = klass
    response = make_visitor(instructor).get(f"/c/{course.slug}" + path.format(number))
    assert response.status_code == 404


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/posts/{}/like",
        "/comments/{}/like",
        "/posts/{}/comments",
        "/comments/{}/edit",
        "/comments/{}/delete",
        "/posts/{}/approve",
        "/awards/{}/revoke",
        "/roster/{}/role",
    ],
)
def test_posts_to_ids_no_row_can_have_are_not_found_and_change_nothing(klass, make_visitor, path, number):
    course, instructor, *_ = klass
    response = make_visitor(instructor).post(f"/c/{course.slug}" + path.format(number), {"body": "Still here?"})
    assert response.status_code == 404
    assert db.session.scalar(select(Comment).where(Comment.body_md == "Still here?")) is None


@pytest.mark.parametrize("number", HUGE_IDS)
def test_reply_to_a_parent_no_row_can_have_is_not_found(klass, make_visitor, number):
    course, _, student, reading, _ = klass
    response = make_visitor(student).post(
        f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "A reply", "parent_id": str(number)}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(Comment).where(Comment.body_md == "A reply")) is None


@pytest.mark.parametrize("number", HUGE_IDS)
def test_audit_log_filtered_by_an_actor_no_row_can_have_shows_the_page(klass, make_visitor, number):
    course, instructor, *_ = klass
    entry = AuditEntry(course_id=course.id, actor_id=instructor.id, action="pin", subject_type="post", subject_id=1)
    db.session.add(entry)
    db.session.commit()
    response = make_visitor(instructor).get(f"/c/{course.slug}/audit?actor={number}")
    assert response.status_code == 200


@pytest.mark.parametrize("number", HUGE_IDS)
def test_awards_filtered_by_a_type_no_row_can_have_are_not_found(klass, make_visitor, number):
    course, _, student, *_ = klass
    response = make_visitor(student).get(f"/c/{course.slug}/awards?type={number}")
    assert response.status_code == 404


def test_award_of_a_type_no_row_can_have_is_refused_with_a_message(klass, make_visitor):
    course, instructor, _, reading, _ = klass
    visitor = make_visitor(instructor)
    response = visitor.post(f"/c/{course.slug}/posts/{reading.id}/awards", {"award_type_id": str(10**39)})
    assert response.status_code == 302
    assert "Choose an award." in visitor.get(response.headers["Location"]).get_data(as_text=True)


# NUL characters ----------------------------------------------------------------------------------------------------


def test_nul_is_stripped_from_a_comment(klass, make_visitor):
    course, _, student, reading, _ = klass
    response = make_visitor(student).post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "Hel\x00lo"})
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.body_md).where(Comment.post_id == reading.id)) == "Hello"


def test_nul_is_stripped_from_a_multipart_form_too(klass, make_visitor):
    course, _, student, reading, _ = klass
    response = make_visitor(student).post(
        f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "Mul\x00tipart"}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.body_md).where(Comment.post_id == reading.id)) == "Multipart"


def test_nul_is_stripped_from_a_reading_title_and_body(klass, make_visitor):
    course, instructor, *_ = klass
    response = make_visitor(instructor).post(
        f"/c/{course.slug}/readings/new",
        {"title": "Null\x00 and void", "body": "\x00Text\x00", "week": "\x00", "publish": "Publish"},
    )
    assert response.status_code == 302
    reading = db.session.scalar(select(Post).where(Post.title == "Null and void"))
    assert (reading.body_md, reading.week) == ("Text", "")


def test_nul_is_stripped_from_a_display_name_at_registration_and_on_the_account_page(client, visitor, inbox):
    response = visitor.register(inbox, "ann@example.edu", "Ann\x00 Student", "long enough password")
    assert response.status_code == 302
    assert db.session.scalar(select(User.display_name)) == "Ann Student"
    response = visitor.post("/account", {"which": "profile", "profile-display_name": "Ann\x00ie"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User.display_name)) == "Annie"


def test_a_form_of_nothing_but_nul_is_refused_like_an_empty_one(klass, make_visitor):
    course, _, student, reading, _ = klass
    response = make_visitor(student).post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "\x00\x00"})
    assert response.status_code == 422
    assert "Write something first." in response.get_data(as_text=True)


def test_nul_in_the_query_string_is_stripped(klass, make_visitor):
    course, instructor, *_ = klass
    response = make_visitor(instructor).get(f"/c/{course.slug}/audit?action=p%00in")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/c/{slug}%00/", "/c/{slug}%00/posts/1", "/c/%00/awards"])
def test_nul_in_a_url_part_is_not_found(klass, make_visitor, path):
    course, instructor, *_ = klass
    assert make_visitor(instructor).get(path.format(slug=course.slug)).status_code == 404
