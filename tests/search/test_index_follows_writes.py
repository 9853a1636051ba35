"""The search index follows every write made through the app: edits, deletions, hiding and approval (on SQLite the
FTS5 tables are kept by triggers; on PostgreSQL the tsvector is a generated column)."""

from __future__ import annotations

import pytest

from board.extensions import db
from board.models import Comment, ModerationPolicy, Role, Visibility
from tests import factories

from .test_search import found, key


@pytest.fixture
def setup(make_visitor):
    course = factories.course()
    author = factories.member(course, Role.STUDENT, "Wendy Writer")
    classmate = factories.member(course, Role.STUDENT, "Carl Classmate")
    return course, author, make_visitor(author), make_visitor(classmate), make_visitor(factories.instructor_of(course))


def test_editing_a_post_reindexes_its_title_and_body(setup):
    course, author, writer, classmate, _ = setup
    post = factories.response(course, author, title="Kolkhoz", body="About collective farms.")
    assert found(classmate, course, "kolkhoz") == [key(post)]
    response = writer.post(
        f"/c/{course.slug}/posts/{post.id}/edit", {"title": "Sovkhoz", "body": "About state farms.", "publish": "1"}
    )
    assert response.status_code == 302
    assert found(classmate, course, "kolkhoz") == []
    assert found(classmate, course, "collective") == []
    assert found(classmate, course, "sovkhoz") == [key(post)]
    assert found(classmate, course, "state farms") == [key(post)]


def test_editing_a_comment_reindexes_it(setup):
    course, author, writer, classmate, _ = setup
    post = factories.response(course, author, body="A post.")
    comment = factories.comment(post, author, "Kolkhoz remark.")
    response = writer.post(f"/c/{course.slug}/comments/{comment.id}/edit", {"body": "Sovkhoz remark."})
    assert response.status_code == 302
    assert found(classmate, course, "kolkhoz") == []
    assert found(classmate, course, "sovkhoz") == [key(comment)]


def test_deleted_posts_and_comments_drop_out(setup):
    course, author, writer, classmate, _ = setup
    post = factories.response(course, author, body="Kolkhoz post.")
    other = factories.response(course, author, body="Another post.")
    comment = factories.comment(other, author, "Kolkhoz comment.")
    assert set(found(classmate, course, "kolkhoz")) == {key(post), key(comment)}
    assert writer.post(f"/c/{course.slug}/comments/{comment.id}/delete").status_code == 302
    assert found(classmate, course, "kolkhoz") == [key(post)]
    assert writer.post(f"/c/{course.slug}/posts/{post.id}/delete").status_code == 302
    assert found(classmate, course, "kolkhoz") == []
    assert found(writer, course, "kolkhoz") == []


def test_removed_permanently_comment_leaves_the_index(setup):
    course, author, _, classmate, instructor = setup
    post = factories.response(course, author, body="A post.")
    comment_id = factories.comment(post, author, "Kolkhoz comment.").id
    response = instructor.post(f"/c/{course.slug}/comments/{comment_id}/remove", {"reason": "Spam"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None
    assert found(instructor, course, "kolkhoz") == []
    assert found(classmate, course, "kolkhoz") == []


def test_hiding_and_unhiding_follow_through(setup):
    course, author, writer, classmate, instructor = setup
    post = factories.response(course, author, body="A post.")
    comment = factories.comment(post, author, "Kolkhoz comment.")
    hidden = instructor.post(f"/c/{course.slug}/comments/{comment.id}/hide", {"reason": "Off topic"})
    assert hidden.status_code == 302
    assert found(classmate, course, "kolkhoz") == []
    assert found(writer, course, "kolkhoz") == [key(comment)]
    assert instructor.post(f"/c/{course.slug}/comments/{comment.id}/unhide").status_code == 302
    assert found(classmate, course, "kolkhoz") == [key(comment)]
    assert instructor.post(f"/c/{course.slug}/posts/{post.id}/hide", {"reason": "Off topic"}).status_code == 302
    assert found(classmate, course, "kolkhoz") == []  # a comment on a hidden post is hidden with it


def test_approval_makes_held_writing_findable(setup):
    course, author, _, classmate, instructor = setup
    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    post = factories.response(course, author, body="Kolkhoz post.", visibility=Visibility.HELD)
    assert found(classmate, course, "kolkhoz") == []
    assert instructor.post(f"/c/{course.slug}/posts/{post.id}/approve").status_code == 302
    assert found(classmate, course, "kolkhoz") == [key(post)]


def test_a_comment_posted_through_the_form_is_found(setup):
    course, author, writer, classmate, _ = setup
    post = factories.response(course, author, body="A post.")
    response = writer.post(f"/c/{course.slug}/posts/{post.id}/comments", {"body": "Fresh kolkhoz thought."})
    assert response.status_code == 302
    comment = db.session.scalar(db.select(Comment).where(Comment.post_id == post.id))
    assert found(classmate, course, "kolkhoz") == [key(comment)]
