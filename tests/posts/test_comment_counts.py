"""A post's kept comment count (posts.comment_count) stays right through everything that adds, deletes, hides,
approves or removes a comment, and through imports and seeding; lists show each viewer what they may read."""

from __future__ import annotations

import re
import threading
import time

import pytest
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from board.extensions import db
from board.importing.course_json import export_course, import_course
from board.models import Comment, ModerationPolicy, Post, Role, User, Visibility, recount_comments
from board.seeding import seed_demo
from tests import factories


def _true_count(post_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.post_id == post_id, Comment.deleted_at.is_(None), Comment.visibility == Visibility.VISIBLE)
    )


def _kept(post_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Post.comment_count).where(Post.id == post_id))


def _listed(visitor, course, title: str) -> int:
    """The comment count the course home's "Latest responses" shows this visitor for `title`."""
    page = visitor.get(f"/c/{course.slug}/").get_data(as_text=True)
    match = re.search(
        re.escape(title) + r"</a>\s*<span class=\"meta\">by .*? · (\d+) comments?</span>", page, re.DOTALL
    )
    assert match, f"{title} not listed"
    return int(match.group(1))


@pytest.fixture
def klass():
    course = factories.course()
    people = {
        "instructor": factories.instructor_of(course),
        "ann": factories.member(course, Role.STUDENT, "Ann Student"),
        "ben": factories.member(course, Role.STUDENT, "Ben Student"),
        "cat": factories.member(course, Role.STUDENT, "Cat Student"),
    }
    reading = factories.reading(course)
    essay = factories.response(course, people["cat"], reading, title="Essay by Cat")
    return course, people, essay


def test_count_follows_adding_deleting_hiding_approving_and_removing_comments(klass, make_visitor):
    course, people, essay = klass
    ann, ben, staff = (make_visitor(people[name]) for name in ("ann", "ben", "instructor"))
    base = f"/c/{course.slug}"

    def comment(visitor, body, **extra) -> Comment:
        visitor.post(f"{base}/posts/{essay.id}/comments", {"body": body, **extra})
        return db.session.scalar(select(Comment).where(Comment.body_md == body))

    first = comment(ann, "First thought")
    second = comment(ann, "Second thought")
    assert _kept(essay.id) == _true_count(essay.id) == 2
    ann.post(f"{base}/comments/{second.id}/delete")
    assert _kept(essay.id) == 1

    staff.post(f"{base}/comments/{first.id}/hide", {"reason": "Off topic"})
    assert _kept(essay.id) == 0
    assert (_listed(ann, course, "Essay by Cat"), _listed(ben, course, "Essay by Cat")) == (1, 0)
    assert _listed(staff, course, "Essay by Cat") == 1
    staff.post(f"{base}/comments/{first.id}/unhide")
    assert _kept(essay.id) == 1

    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    held = comment(ben, "Held thought")
    assert factories.reload(held).visibility == Visibility.HELD
    assert (
        _kept(essay.id) == 1 and _listed(ben, course, "Essay by Cat") == 2 and _listed(ann, course, "Essay by Cat") == 1
    )
    staff.post(f"{base}/comments/{held.id}/approve")
    assert _kept(essay.id) == 2

    reply = comment(staff, "A reply", parent_id=str(first.id))
    assert _kept(essay.id) == 3
    staff.post(f"{base}/comments/{first.id}/remove")  # has a reply: stays as a placeholder
    staff.post(f"{base}/comments/{held.id}/remove")  # no replies: deleted for good
    assert _kept(essay.id) == _true_count(essay.id) == 1
    assert _listed(ann, course, "Essay by Cat") == 1
    staff.post(f"{base}/comments/{reply.id}/remove")
    assert _kept(essay.id) == 0


def test_seeded_and_imported_courses_have_right_counts(klass):
    course, people, essay = klass
    factories.comment(essay, people["ann"], "Kept")
    factories.comment(essay, people["ben"], "Held", visibility=Visibility.HELD)
    seed_demo(echo=lambda _: None)
    copy = export_course(course.slug)
    copy["course"]["slug"] = "imported-copy"
    import_course(copy)

    posts = db.session.scalars(select(Post)).all()
    assert sum(post.comment_count for post in posts) > 10, "the seed has comments"
    assert {post.id: post.comment_count for post in posts} == {post.id: _true_count(post.id) for post in posts}


def test_a_comment_added_while_another_is_being_hidden_leaves_the_hidden_one_uncounted(klass):
    # Two writers at once: one hides a comment while another adds one. On PostgreSQL the adder's recount ran with a
    # snapshot from before the hide committed, and kept the hidden comment in the number classmates see.
    _, people, essay = klass
    hidden = factories.comment(essay, people["ann"], "Soon hidden.")
    essay_id, hidden_id, ben_id = essay.id, hidden.id, people["ben"].id
    app = current_app._get_current_object()
    hider = Session(db.engine)
    hider.get(Comment, hidden_id).visibility = Visibility.HIDDEN
    hider.flush()
    recount_comments(hider.connection(), {essay_id})  # what its commit does first: counted (0), the post's row locked

    def add_comment() -> None:
        with app.app_context():
            factories.comment(db.session.get(Post, essay_id), db.session.get(User, ben_id), "Added meanwhile.")
            db.session.remove()

    adder = threading.Thread(target=add_comment)
    adder.start()
    _wait_until_blocked(adder)
    hider.commit()
    hider.close()
    adder.join(30)

    assert not adder.is_alive()
    assert _kept(essay_id) == _true_count(essay_id) == 1


def _wait_until_blocked(thread: threading.Thread) -> None:
    """Until the thread's transaction waits for a lock (PostgreSQL), or a moment (SQLite, whose writers queue)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and thread.is_alive():
        if db.engine.dialect.name != "postgresql":
            time.sleep(0.5)
            return
        waiting = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        db.session.rollback()
        if waiting:
            return
        time.sleep(0.05)
