"""Nothing in a write's path is shared by the whole site: two courses' writers never wait on one row.

On PostgreSQL a row an UPDATE touched stays locked until its transaction ends. The page cache that Board had until
migration 0022 made every writing transaction update one row just before its COMMIT, so a slow commit anywhere held
up every writer in every course. Here a comment in course A is held at the very end of its transaction, after every
statement it sends (an engine "commit" listener that waits, registered after the app's own), while a student in
course B comments: B's comment must be saved without waiting for A's.
"""

from __future__ import annotations

import os
import re
import threading

import pytest
from sqlalchemy import event, select

from board.extensions import db
from board.models import Comment
from tests import factories

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="row locks that outlive a statement are PostgreSQL's (SQLite has one writer at a time by design)",
)


def _comment(visitor, post, body: str) -> int:
    response = visitor.post(f"/c/{post.course.slug}/posts/{post.id}/comments", {"body": body})
    assert response.status_code == 302, response.status_code
    return int(re.search(r"#comment-(\d+)$", response.headers["Location"]).group(1))


def test_a_commit_held_open_in_one_course_does_not_delay_a_comment_in_another(app, make_visitor):
    people, posts = [], []
    for name in ("A", "B"):
        course = factories.course()
        person = factories.member(course, name=f"Student {name}")
        posts.append(
            factories.response(course, factories.member(course, name=f"Author {name}"), factories.reading(course))
        )
        people.append(person)
    db.session.commit()
    visitor_a, visitor_b = (make_visitor(person) for person in people)

    holding, release = threading.Event(), threading.Event()
    held_thread: list[threading.Thread] = []

    def hold_commit(conn):
        # Only the writer in course A's thread, and only once: everything it wrote is sent, COMMIT is not.
        if threading.current_thread() in held_thread and not holding.is_set():
            holding.set()
            assert release.wait(30), "the test never let course A's comment finish"

    event.listen(db.engine, "commit", hold_commit)
    results: dict[str, object] = {}

    def write_a():
        with app.app_context():
            try:
                results["a"] = _comment(visitor_a, posts[0], "Course A's comment, held at its COMMIT")
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                results["a"] = error

    a = threading.Thread(target=write_a)
    held_thread.append(a)
    try:
        a.start()
        assert holding.wait(30), "course A's comment never reached its COMMIT"

        def write_b():
            with app.app_context():
                results["b"] = _comment(visitor_b, posts[1], "Course B's comment, meanwhile")

        b = threading.Thread(target=write_b)
        b.start()
        b.join(10)
        finished_while_a_held = not b.is_alive()
    finally:
        release.set()
        a.join(30)
        event.remove(db.engine, "commit", hold_commit)
    assert finished_while_a_held, "course B's comment waited for course A's transaction"
    b.join(30)
    assert isinstance(results["a"], int) and isinstance(results["b"], int), results
    db.session.expire_all()
    saved = db.session.scalars(select(Comment.body_md).order_by(Comment.id)).all()
    assert "Course B's comment, meanwhile" in saved and "Course A's comment, held at its COMMIT" in saved
