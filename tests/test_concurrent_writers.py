"""Many people writing at the same moment, through real gunicorn workers, lose nothing and double nothing.

gunicorn runs with four sync workers on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL), its limits
and job queue in Redis as in production (TEST_REDIS_URL and TEST_REDIS_QUEUE_URL name the databases, emptied before
and after). Twelve students log in through the form, then a Barrier releases them together: each comments eight
times, half on one shared post and half across three others, and likes every post and a comment. Every answer must
be a success (no 500 for a deadlock, no 503 for a busy database), every comment and like must be saved once, and
posts.comment_count must equal the real count (likes are counted when shown, so their rows are the count).
On PostgreSQL this failed before recount_comments locked the post FOR NO KEY UPDATE (board/models.py): two comments
on one post deadlocked, and 36 of the 156 writes were answered with a 500. Cost: a gunicorn start, 12 logins and 156
writes, a few seconds on an idle machine. scripts/load_comments.py measures the same at a class's scale.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections import Counter

import pytest
import redis
from sqlalchemy import func, select

from board.extensions import db
from board.models import Comment, CommentLike, Post, PostLike, Visibility
from tests import factories
from tests.concurrency import Gunicorn, Person, at_once

LIMITS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
QUEUE_URL = os.environ.get("TEST_REDIS_QUEUE_URL", "redis://127.0.0.1:6379/6")
WRITERS = 12
COMMENTS = 8  # by each writer: half on the shared post, half across the three others
HIGH = "10000 per minute"  # the limits are not what this measures


def _empty_redis() -> None:
    for url in (LIMITS_URL, QUEUE_URL):
        store = redis.Redis.from_url(url)
        store.flushdb()
        store.close()


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    _empty_redis()
    env = {
        "RATELIMIT_STORAGE_URI": LIMITS_URL,
        "QUEUE_URL": QUEUE_URL,  # the post author's "at once" emails wait there; no worker takes them
        "POSTING_RATE_LIMIT": HIGH,
        "LOGIN_RATE_LIMIT": HIGH,
    }
    running = Gunicorn(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config["SECRET_KEY"],
        tmp_path_factory.mktemp("gunicorn"),
        workers=4,
        env=env,
    )
    yield running
    running.stop()
    _empty_redis()


class Class:
    """A course with a reading and three responses (by a student who does not write here), a comment on each, and
    WRITERS classmates logged in through gunicorn, each with a CSRF token from the reading's page."""

    def __init__(self, server: Gunicorn):
        course = factories.course()
        author = factories.member(course, name="Author")
        reading = factories.reading(course)
        self.slug = course.slug
        posts = [reading] + [factories.response(course, author, reading, title=f"R{n}") for n in range(3)]
        self.post_ids = [post.id for post in posts]
        self.seed_ids = [factories.comment(post, author, "First!").id for post in posts]
        writers = [factories.member(course, name=f"Writer {n}") for n in range(WRITERS)]
        db.session.commit()
        emails = [w.email for w in writers]
        self.people = at_once(*(lambda email=email: self._logged_in(server, email) for email in emails))

    def _logged_in(self, server: Gunicorn, email: str) -> Person:
        person = Person(server)
        person.login(email, factories.PASSWORD)
        person.token_from(f"/c/{self.slug}/posts/{self.post_ids[0]}")
        return person

    def comment(self, person: Person, post_id: int, body: str) -> tuple[str, int, str]:
        form = {"body": body, "submission_key": secrets.token_urlsafe(24)}  # a new composer's key, as a page gives
        response = person.post(f"/c/{self.slug}/posts/{post_id}/comments", form)
        return body, response.status, response.getheader("Location") or response.text[:300]

    def like(self, person: Person, kind: str, item_id: int) -> tuple[str, int, str]:
        response = person.post(
            f"/c/{self.slug}/{kind}/{item_id}/like", {"liked": "1"}, headers={"Accept": "application/json"}
        )
        return f"like {kind} {item_id}", response.status, response.text[:300]


def _assert_every_answer_a_success(runs, server: Gunicorn) -> None:
    failed = [
        (what, status)
        for run in runs
        for what, status, detail in run
        if not (status == 302 and "#comment-" in detail) and not (status == 200 and _liked(detail))
    ]
    if failed:
        log = server.error_log.read_text()
        reasons = Counter(re.findall(r"^\S+(?:Error|Detected|Exception): .*$", log, re.MULTILINE))
        raise AssertionError(
            f"{len(failed)} of {sum(map(len, runs))} writes failed, e.g. {failed[:3]}; "
            f"gunicorn logged {reasons.most_common(3)}"
        )


def _liked(answer: str) -> bool:
    try:
        return json.loads(answer)["liked"] is True
    except (ValueError, KeyError, TypeError):
        return False


def _saved_bodies(post_id: int) -> Counter:
    return Counter(db.session.scalars(select(Comment.body_md).where(Comment.post_id == post_id)))


def _real_count(post_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .where(Comment.post_id == post_id)
        .where(Comment.deleted_at.is_(None))
        .where(Comment.visibility == Visibility.VISIBLE)
    )


def _likes(model, key, item_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(key == item_id))


def test_writers_at_once_on_one_post_and_across_posts_lose_and_double_nothing(server):
    group = Class(server)
    ids = group.post_ids
    shared, others = ids[0], ids[1:]

    def target(n: int, k: int) -> int:
        # Every other comment goes to the shared post; the rest go round the other posts, each writer from its own.
        return shared if k % 2 == 0 else others[(n + k) % len(others)]

    def plan(n: int, person: Person) -> list[tuple[str, int, str]]:
        done = []
        for k in range(COMMENTS):
            done.append(group.comment(person, target(n, k), f"Writer {n}, comment {k}"))
            if k < len(ids):  # each writer likes every post, starting from a different one
                done.append(group.like(person, "posts", ids[(n + k) % len(ids)]))
            if k == 1:
                done.append(group.like(person, "comments", group.seed_ids[0]))
        return done

    runs = at_once(*(lambda n=n, p=p: plan(n, p) for n, p in enumerate(group.people)), timeout=120)

    assert not [run for run in runs if isinstance(run, BaseException)], runs
    _assert_every_answer_a_success(runs, server)
    db.session.expire_all()
    for post_id in ids:
        sent = ((n, k) for n in range(WRITERS) for k in range(COMMENTS))
        written = {f"Writer {n}, comment {k}" for n, k in sent if target(n, k) == post_id}
        saved = _saved_bodies(post_id)
        assert set(saved) == written | {"First!"}, post_id  # none lost, none where it was not sent
        assert max(saved.values()) == 1, post_id  # none twice
        assert db.session.get(Post, post_id).comment_count == _real_count(post_id) == len(written) + 1
        assert _likes(PostLike, PostLike.post_id, post_id) == WRITERS
    assert _likes(CommentLike, CommentLike.comment_id, group.seed_ids[0]) == WRITERS
