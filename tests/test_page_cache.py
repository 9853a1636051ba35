"""The page cache (board/pagecache/): a kept page is reused only by its own session, only while nothing in the database
has changed, and never outlives its time; everything else about the page (CSP nonce, flashed messages) stays right."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select, text, update

from board.auth import sessions
from board.extensions import db, login_manager
from board.models import Comment, Post, PostStatus, UserSession, Visibility, utcnow
from board.pagecache import versioning
from board.pagecache.models import PageCacheVersion
from board.pagecache.store import Page, PageStore, store
from tests import factories
from tests.conftest import Visitor
from tests.sql import watching


@pytest.fixture
def klass():
    course = factories.course()
    student = factories.member(course, name="Student Sam")
    classmate = factories.member(course, name="Classmate Cleo")
    reading = factories.reading(course, title="On solidarity")
    response = factories.response(course, classmate, reading, title="Cleo's response")
    return course, student, classmate, reading, response


@contextmanager
def statements():
    """The SQL run inside the block, with the page cache on."""
    log = []
    with watching(lambda conn, statement: log.append(statement)):
        yield log


_KEYS = re.compile(r'<input[^>]*name="submission_key"[^>]*>')
_KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _version() -> int:
    db.session.expire_all()
    return db.session.scalar(select(PageCacheVersion.version))


def _page(visitor, url: str) -> str:
    response = visitor.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["home", "post", "person"])
def test_a_page_seen_again_costs_one_query_and_is_the_same_page(klass, make_visitor, page, monkeypatch):
    course, student, classmate, _reading, response = klass
    url = {
        "home": f"/c/{course.slug}/",
        "post": f"/c/{course.slug}/posts/{response.id}",
        "person": f"/c/{course.slug}/people/{classmate.id}",
    }[page]
    sam = make_visitor(student)
    first = _page(sam, url)
    loads = []
    real_load = sessions.load
    monkeypatch.setattr(sessions, "load", lambda *args: loads.append(args) or real_load(*args))
    with statements() as log:
        again = _page(sam, url)
    # One query, the session's versions (sessions.page_versions): the user is not loaded at all, not even by the
    # posts blueprint's login check, which runs before the view.
    assert len(log) == 1, log
    assert "page_cache_version" in log[0] and "user_sessions" in log[0]
    assert loads == []
    assert _KEYS.sub("", again) == _KEYS.sub("", first)  # the same page, but for its composers' submission keys


def test_any_write_shows_on_the_next_view(klass, make_visitor):
    course, student, classmate, _reading, response = klass
    sam, cleo = make_visitor(student), make_visitor(classmate)
    url = f"/c/{course.slug}/posts/{response.id}"
    assert "A brand new thought" not in _page(sam, url)
    before = _version()
    assert (
        cleo.post(f"/c/{course.slug}/posts/{response.id}/comments", {"body": "A brand new thought"}).status_code == 302
    )
    assert _version() > before
    assert "A brand new thought" in _page(sam, url)


def test_a_post_hidden_by_a_moderator_leaves_the_kept_pages_at_once(klass, make_visitor):
    course, student, _classmate, reading, response = klass
    sam = make_visitor(student)
    factories.response(course, student, reading, title="Sam's response")  # unlocks nothing needed; just his own
    assert "Cleo&#39;s response" in _page(sam, f"/c/{course.slug}/")
    instructor = make_visitor(factories.instructor_of(course))
    hidden = instructor.post(f"/c/{course.slug}/posts/{response.id}/hide", {"reason": "Off topic"})
    assert hidden.status_code == 302
    assert factories.reload(response).visibility == Visibility.HIDDEN
    assert "Cleo&#39;s response" not in _page(sam, f"/c/{course.slug}/")
    assert make_visitor(student).get(f"/c/{course.slug}/posts/{response.id}").status_code == 404
    assert sam.get(f"/c/{course.slug}/posts/{response.id}").status_code == 404


def test_a_write_from_outside_any_request_counts_too(klass, make_visitor):
    course, student, _classmate, _reading, response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    db.session.execute(text("UPDATE posts SET title = 'Renamed by SQL' WHERE id = :id"), {"id": response.id})
    db.session.commit()
    assert "Renamed by SQL" in _page(sam, url)


def test_a_rolled_back_write_and_a_login_change_nothing(klass, make_visitor):
    _course, _student, classmate, _reading, response = klass
    before = _version()
    db.session.execute(text("UPDATE posts SET title = 'Never' WHERE id = :id"), {"id": response.id})
    db.session.rollback()
    make_visitor(classmate)  # logging in writes a session row, which no page shows
    db.session.execute(select(Post.id))
    db.session.commit()  # a transaction that only read
    assert _version() == before


def test_each_session_has_its_own_pages(klass, make_visitor):
    course, student, classmate, reading, _response = klass
    draft = factories.response(course, student, reading, title="Sam's secret draft", published=False)
    assert draft.status == PostStatus.DRAFT
    url = f"/c/{course.slug}/"
    assert "Sam&#39;s secret draft" in _page(make_visitor(student), url)
    assert "Sam&#39;s secret draft" not in _page(make_visitor(classmate), url)
    # The same person in a second browser gets a page of their own (with that browser's CSRF token).
    phone, laptop = make_visitor(student), make_visitor(student)
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.search(_page(phone, url)).group(1) != token.search(_page(laptop, url)).group(1)


def test_after_logout_the_kept_page_is_not_served(klass, make_visitor):
    course, student, _classmate, _reading, _response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    sam.logout()
    answer = sam.get(url)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("page", ["home", "post"])
def test_a_session_ended_elsewhere_gets_no_kept_page(klass, make_visitor, page):
    """ "Sign out everywhere else" from another browser (a write the page cache's version does not count) ends this
    session: its kept pages are not served, and it is sent to log in."""
    course, student, _classmate, _reading, response = klass
    url = f"/c/{course.slug}/" if page == "home" else f"/c/{course.slug}/posts/{response.id}"
    sam, other_browser = make_visitor(student), make_visitor(student)
    _page(sam, url)
    version = _version()
    other_page = other_browser.get("/account")
    ended = other_browser.post(
        "/account/sessions/end-others", data={"csrf_token": _CSRF.search(other_page.get_data(as_text=True)).group(1)}
    )
    assert ended.status_code == 302
    assert _version() == version  # the sessions table is not a write any page shows
    answer = sam.get(url)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert other_browser.get(url).status_code == 200


def test_a_head_request_is_answered_by_the_view_not_from_the_store(klass, make_visitor, monkeypatch):
    course, student, _classmate, _reading, _response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    loads = []
    real_load = sessions.load
    monkeypatch.setattr(sessions, "load", lambda *args: loads.append(args) or real_load(*args))
    head = sam.client.head(url)
    assert head.status_code == 200 and head.get_data() == b""
    assert len(loads) == 1


def test_strong_session_protection_turns_the_early_path_off(klass, make_visitor, monkeypatch):
    """Flask-Login's "strong" mode ends a session used from another address or browser; only the usual path runs
    that check, so a kept page must not be served ahead of it."""
    course, student, _classmate, _reading, _response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    monkeypatch.setattr(login_manager, "session_protection", "strong")
    answer = sam.client.get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_an_expired_session_gets_no_kept_page(klass, make_visitor):
    course, student, _classmate, _reading, _response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(days=5000)))
    db.session.commit()
    answer = sam.get(url)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_each_reuse_gets_a_fresh_csp_nonce_named_in_its_header(klass, make_visitor):
    course, student, classmate, _reading, response = klass
    factories.comment(response, classmate, "Something new to Sam")  # a new comment: the page writes a nonce'd <style>
    sam = make_visitor(student)
    url = f"/c/{course.slug}/posts/{response.id}"
    nonces = []
    for _ in range(2):
        answer = sam.get(url)
        page = answer.get_data(as_text=True)
        in_header = re.search(r"'nonce-([^']+)'", answer.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{in_header}"' in page
        nonces.append(in_header)
    assert nonces[0] != nonces[1]


def test_a_flashed_message_shows_once_even_on_a_kept_page(klass, make_visitor):
    course, student, _classmate, _reading, response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/posts/{response.id}"
    _page(sam, url)
    # A refused "mark as read" (a bad form) flashes an error and writes nothing.
    refused = sam.post(f"/c/{course.slug}/posts/{response.id}/read", {"shown": "not a number"})
    assert refused.status_code == 302
    flashed = _page(sam, url)
    assert 'class="flash' in flashed
    assert 'class="flash' not in _page(sam, url)


def test_a_kept_page_expires(klass, make_visitor, monkeypatch):
    course, student, _classmate, _reading, _response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/"
    _page(sam, url)
    monkeypatch.setattr(store(), "seconds", -1)
    with statements() as log:
        _page(sam, url)
    assert len(log) > 1  # built again


def test_the_cache_can_be_turned_off(klass, make_visitor, monkeypatch):
    course, student, _classmate, _reading, _response = klass
    monkeypatch.setitem(current_app.config, "PAGE_CACHE_BYTES", 0)
    sam = make_visitor(student)
    _page(sam, f"/c/{course.slug}/")
    with statements() as log:
        _page(sam, f"/c/{course.slug}/")
    assert len(log) > 1


def test_the_store_keeps_the_most_recently_used_pages_within_its_bytes():
    kept = PageStore(limit=250, seconds=60)
    for n in range(4):
        kept.put(("s", str(n), 1), Page(b"x" * 100, "text/html", None, 0.0 + 1e12))
    assert len(kept) == 2 and kept.get(("s", "0", 1)) is None
    kept.get(("s", "2", 1))  # used: kept over "3"
    kept.put(("s", "4", 1), Page(b"y" * 100, "text/html", None, 1e12))
    assert kept.get(("s", "2", 1)) is not None and kept.get(("s", "3", 1)) is None
    kept.put(("s", "big", 1), Page(b"z" * 251, "text/html", None, 1e12))  # larger than the whole store: not kept
    assert kept.get(("s", "big", 1)) is None


@pytest.mark.parametrize(
    ("statement", "wrote"),
    [
        ("INSERT INTO comments (body_md) VALUES (?)", True),
        ("  update posts SET title = ?", True),
        ("DELETE FROM post_likes WHERE post_id = ?", True),
        ("REPLACE INTO watches VALUES (?)", True),
        ("TRUNCATE posts", True),
        ("WITH gone AS (DELETE FROM comments RETURNING id) SELECT count(*) FROM gone", True),
        ("WITH recent AS (SELECT id FROM posts) SELECT * FROM recent", False),
        ("SELECT * FROM posts WHERE title = 'INSERT'", False),
        ("INSERT INTO user_sessions (user_id) VALUES (?)", False),  # logging in: no page shows it
        ("UPDATE page_cache_version SET version = version + 1", False),  # the bump itself
        ("INSERT INTO post_reads (user_id, post_id) VALUES (?, ?)", False),  # in the reader's own key instead
    ],
)
def test_what_counts_as_a_write(statement, wrote):
    assert versioning._wrote(statement) is wrote


def test_two_tabs_of_a_kept_page_post_two_comments(klass, make_visitor):
    """Each composer's submission key makes a resent form create one comment; a kept page gets new keys each time
    it is served, so a comment written in a second tab is not mistaken for a resend of the first (found in review)."""
    course, student, _classmate, _reading, response = klass
    sam = make_visitor(student)
    url = f"/c/{course.slug}/posts/{response.id}"
    tab1, tab2 = _page(sam, url), _page(sam, url)
    key1, key2 = _KEY.search(tab1).group(1), _KEY.search(tab2).group(1)
    assert key1 != key2
    for body, key in (("From the first tab", key1), ("From the second tab", key2)):
        sent = sam.client.post(
            f"{url}/comments", data={"csrf_token": _CSRF.search(tab1).group(1), "body": body, "submission_key": key}
        )
        assert sent.status_code == 302
    db.session.expire_all()
    bodies = db.session.scalars(select(Comment.body_md).where(Comment.post_id == response.id)).all()
    assert sorted(bodies) == ["From the first tab", "From the second tab"]


def test_a_login_restored_from_the_remember_me_cookie_gets_a_page_whose_forms_work(klass, app):
    """The browser restarted: its session cookie is gone, the remember-me cookie restores the login with the same
    session token but a new CSRF secret; a page kept for the old secret must not be served (found in review)."""
    course, student, _classmate, _reading, response = klass
    sam = Visitor(app.test_client())
    assert sam.login(student.email, remember="y").status_code == 302
    url = f"/c/{course.slug}/posts/{response.id}"
    _page(sam, url)
    for key in [key for key in sam.client._cookies if key[2] == "session"]:
        del sam.client._cookies[key]
    page = _page(sam, url)
    sent = sam.client.post(f"{url}/comments", data={"csrf_token": _CSRF.search(page).group(1), "body": "Back again"})
    assert sent.status_code == 302, sent.status_code


def test_marking_a_post_read_changes_the_readers_pages_only(klass, make_visitor):
    """The post page's beacon writes the reader's read state, which only their own pages show: their kept pages are
    built again (no "New" marks left), a classmate's kept pages are still served."""
    course, student, classmate, _reading, response = klass
    factories.comment(response, classmate, "Fresh news for Sam")
    sam, cleo = make_visitor(student), make_visitor(classmate)
    url, home = f"/c/{course.slug}/posts/{response.id}", f"/c/{course.slug}/"
    page = _page(sam, url)
    assert "since you last read this" in page or "This post is new to you" in page
    _page(cleo, home)
    before = _version()
    shown = re.search(r'name="shown" value="(\d+)"', page).group(1)
    beacon = sam.client.post(
        f"{url}/read", data={"csrf_token": _CSRF.search(page).group(1), "shown": shown, "beacon": "1"}
    )
    assert beacon.status_code == 204
    assert _version() == before  # read state is not a write every kept page must see
    again = _page(sam, url)
    assert "since you last read this" not in again and "This post is new to you" not in again
    with statements() as log:
        _page(cleo, home)
    assert len(log) == 1
