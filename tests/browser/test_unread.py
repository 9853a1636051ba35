"""Unread in a real browser: a thread's new comments are labelled "New" with a jump link; once the page has been
shown its beacon records them, and after a reload nothing is new."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from board.extensions import db
from board.models import Post, PostKind, User
from board.notifications.read_models import PostRead
from tests import factories
from tests.browser.test_end_to_end import STUDENT, log_in

pytestmark = pytest.mark.browser


def _read_row(user_id: int, post_id: int, timeout: float = 10.0) -> PostRead | None:
    """The reader's row for the post, once the page's beacon has reached the server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        row = db.session.get(PostRead, (user_id, post_id))
        if row is not None:
            return row
        time.sleep(0.1)
    return None


def test_new_comments_are_marked_until_the_page_has_been_seen(new_page, demo_course):
    student = db.session.scalar(select(User).where(User.email == STUDENT))
    reading = db.session.scalar(select(Post).where(Post.kind == PostKind.READING).order_by(Post.id))
    instructor = factories.instructor_of(reading.course)
    first = factories.comment(reading, instructor, "A first new remark from the instructor.")
    factories.comment(reading, instructor, "And a second one.", parent=first)

    page = new_page()
    log_in(page, STUDENT)
    expect(page.locator(".course-news")).to_contain_text("new comment")
    page.goto(f"/c/{reading.course.slug}/posts/{reading.id}")
    label = page.locator(f"#comment-{first.id} .new-mark")
    expect(label).to_be_visible()
    expect(label).to_have_text("New")
    jump = page.get_by_role("link", name="Jump to first new")
    expect(jump).to_be_visible()
    jump.click()
    expect(page).to_have_url(re.compile(rf"#comment-{first.id}$"))

    row = _read_row(student.id, reading.id)
    assert row is not None, "the beacon did not record the page"
    assert row.last_comment_id >= first.id

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(reading.title)
    expect(page.locator(f"#comment-{first.id}")).to_be_visible()
    expect(label).to_be_hidden()
    expect(page.get_by_role("link", name="Jump to first new")).to_have_count(0)
