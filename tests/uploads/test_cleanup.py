"""The orphan clean-up (board/uploads/cleanup.py): an upload nothing alive refers to goes after the grace, with its
stored bytes unless another upload shares them; what a post, a comment, a draft or an earlier version names stays."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from board.extensions import db
from board.models import Role, utcnow
from board.uploads import cleanup
from board.uploads.models import Upload, UploadRef
from board.uploads.storage import get_storage
from tests import factories

from .test_uploads import pdf, png, upload

LATER = timedelta(hours=25)  # past the default grace of 24 hours


@pytest.fixture
def klass(app):
    return a_class()


def a_class():
    """A course with two students (ada, bo) and a reading."""
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    people = {"ada": factories.member(course, Role.STUDENT, "Ada Lovelace"), "bo": factories.member(course)}
    return course, people, factories.reading(course, title="The reading")


@dataclass(frozen=True)
class Uploaded:
    """What a test needs of an upload row, kept after the row is gone."""

    id: int
    key: str
    keys: tuple[str, ...]


def uploaded(visitor, course, data: bytes, name: str) -> tuple[Uploaded, str]:
    """An upload made through the app, and the Markdown the composer would insert."""
    sent = upload(visitor, course, data, name)
    assert sent.status_code == 201, sent.get_data(as_text=True)
    body = sent.get_json()
    token = re.search(r"/uploads/([^/]+)/", body["url"]).group(1)
    row = db.session.query(Upload).filter_by(token=token).one()
    return Uploaded(row.id, row.key, tuple(row.keys())), body["markdown"]


def stored(row: Uploaded) -> list[bool]:
    storage = get_storage()
    return [storage.exists(key) for key in row.keys]


def gone(row_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Upload, row_id) is None


def test_a_fresh_upload_nothing_refers_to_is_kept_through_its_grace(klass, make_visitor):
    course, people, _ = klass
    row, _ = uploaded(make_visitor(people["ada"]), course, png(), "a.png")

    assert cleanup.delete_orphans() == 0
    assert cleanup.delete_orphans(utcnow() + timedelta(hours=23)) == 0
    assert not gone(row.id) and all(stored(row))


def test_an_upload_nothing_refers_to_goes_after_its_grace_with_its_bytes(klass, make_visitor):
    course, people, _ = klass
    row, _ = uploaded(make_visitor(people["ada"]), course, png(), "a.png")
    assert len(row.keys) == 3 and all(stored(row))  # the file and two smaller copies

    assert cleanup.delete_orphans(utcnow() + LATER) == 1

    assert gone(row.id)
    assert not any(get_storage().exists(key) for key in row.keys)


def test_uploads_a_live_post_draft_or_comment_names_are_kept(klass, make_visitor):
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    in_post, markdown = uploaded(ada, course, png(color=(1, 2, 3)), "a.png")
    factories.response(course, people["ada"], reading, body=f"See:\n\n{markdown}\n")
    in_draft, markdown = uploaded(ada, course, png(color=(4, 5, 6)), "b.png")
    factories.response(course, people["ada"], reading, body=f"Soon:\n\n{markdown}\n", published=False)
    in_comment, markdown = uploaded(ada, course, pdf(), "notes.pdf")
    factories.comment(reading, people["ada"], f"My notes: {markdown}")

    assert cleanup.delete_orphans(utcnow() + LATER) == 0
    assert not any(gone(row.id) for row in (in_post, in_draft, in_comment))
    assert all(stored(in_post) + stored(in_draft) + stored(in_comment))


@pytest.mark.parametrize(("deleted_hours_ago", "kept"), [(2, True), (25, False)])
def test_a_deleted_posts_uploads_go_after_the_same_grace(klass, make_visitor, deleted_hours_ago, kept):
    course, people, reading = klass
    row, markdown = uploaded(make_visitor(people["ada"]), course, png(), "a.png")
    now = utcnow() + LATER
    post = factories.response(course, people["ada"], reading, body=f"See:\n\n{markdown}\n")
    post.deleted_at = now - timedelta(hours=deleted_hours_ago)
    db.session.commit()

    assert cleanup.delete_orphans(now) == (0 if kept else 1)
    assert gone(row.id) is not kept
    assert all(stored(row)) is kept


def test_a_deleted_comments_uploads_go_after_the_grace_though_its_post_lives(klass, make_visitor):
    course, people, reading = klass
    row, markdown = uploaded(make_visitor(people["ada"]), course, pdf(), "notes.pdf")
    now = utcnow() + LATER
    factories.comment(reading, people["ada"], f"Notes: {markdown}", deleted_at=now - timedelta(hours=25))

    assert cleanup.delete_orphans(now) == 1 and gone(row.id)


def test_an_upload_only_an_earlier_version_names_is_kept_while_the_post_exists(klass, make_visitor):
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    row, markdown = uploaded(ada, course, png(), "a.png")
    post = factories.response(course, people["ada"], reading, body=f"See:\n\n{markdown}\n")
    edited = ada.post(f"/c/{course.slug}/posts/{post.id}/edit", {"title": post.title, "body": "No picture now."})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:1500]
    assert db.session.query(UploadRef).filter_by(upload_id=row.id).one().current is False

    assert cleanup.delete_orphans(utcnow() + LATER) == 0 and not gone(row.id)

    db.session.delete(db.session.get(type(post), post.id))  # the post and its versions, as a course's deletion does
    db.session.commit()
    assert cleanup.delete_orphans(utcnow() + LATER) == 1 and gone(row.id)


def test_bytes_two_uploads_share_stay_until_both_are_gone(klass, make_visitor):
    course, people, reading = klass
    picture = png()
    mine, _ = uploaded(make_visitor(people["ada"]), course, picture, "a.png")
    theirs, markdown = uploaded(make_visitor(people["bo"]), course, picture, "same.png")
    assert mine.id != theirs.id and mine.keys == theirs.keys
    post = factories.response(course, people["bo"], reading, body=f"Mine too:\n\n{markdown}\n")

    assert cleanup.delete_orphans(utcnow() + LATER) == 1
    assert gone(mine.id) and all(stored(theirs)), "the other upload still uses the bytes"

    post.deleted_at = utcnow()
    db.session.commit()
    assert cleanup.delete_orphans(utcnow() + 2 * LATER) == 1
    assert gone(theirs.id) and not any(stored(theirs))


def test_a_run_takes_one_batch_and_the_next_the_rest(klass, make_visitor):
    course, people, _ = klass
    ada = make_visitor(people["ada"])
    rows = [uploaded(ada, course, png(20, 20, (i, i, i)), f"{i}.png")[0] for i in range(3)]

    assert cleanup.delete_orphans(utcnow() + LATER, batch=2) == 2
    assert cleanup.delete_orphans(utcnow() + LATER, batch=2) == 1
    assert all(gone(row.id) for row in rows)


def test_a_file_that_cannot_be_deleted_is_logged_and_the_run_goes_on(klass, make_visitor, monkeypatch, caplog):
    course, people, _ = klass
    row, _ = uploaded(make_visitor(people["ada"]), course, pdf(), "notes.pdf")
    storage = get_storage()

    def refuse(key):
        raise OSError("read-only file system")

    monkeypatch.setattr(storage, "delete", refuse)
    assert cleanup.delete_orphans(utcnow() + LATER) == 1
    assert gone(row.id) and storage.exists(row.key)
    assert "Could not delete the stored upload" in caplog.text
