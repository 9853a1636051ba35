"""The instructor's desk in a real browser: the responses view filtered to who has not responded, a nudge, the CSV
download and next/previous between responses; a student's checkpoint progress. Screenshots go to DESK_SHOTS if set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import Comment, Post, PostKind, User
from tests.browser.test_end_to_end import log_in, open_course

pytestmark = pytest.mark.browser

READING = "Between Hitler and Stalin: The Gulag Uprisings of 1952–54"


def _shoot(page: Page, name: str) -> None:
    folder = os.environ.get("DESK_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_instructor_filters_nudges_downloads_and_pages_through_responses(new_page, demo_course, inbox):
    page = new_page()
    log_in(page, "instructor@example.edu")
    open_course(page)
    page.get_by_role("link", name="Participation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Participation")
    expect(page.get_by_role("img", name="Responses and comments per week")).to_be_visible()
    _shoot(page, "dashboard")

    page.get_by_role("link", name=READING).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(READING)
    rows = page.locator("table.desk-table tbody tr")
    expect(rows).to_have_count(10)

    page.get_by_label("Show").select_option(label="Not yet responded")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"show=missing"))
    expect(rows).to_have_count(8)
    expect(page.locator("table.desk-table")).not_to_contain_text("On time")
    _shoot(page, "responses-missing")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Nudge 8 students")).click()
    expect(page.get_by_text("Reminder sent to 8 students.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"show=missing"))
    assert len(inbox.messages()) == 8

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").count("\r\n") == 11

    page.get_by_label("Show").select_option(label="Everyone")
    page.get_by_label("Sort by").select_option(label="Submitted")
    page.get_by_role("button", name="Apply").click()
    first = page.locator("td.response-cell a").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Response 1 of 2")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Next:")).click()
    expect(page.get_by_text("Response 2 of 2")).to_be_visible()
    _shoot(page, "response-nav")
    page.get_by_role("link", name=re.compile("^← Previous:")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Back to the responses view").click()
    expect(page).to_have_url(re.compile(r"sort=submitted"))
    # Finish loading (the stylesheet too) before the browser closes: a dropped download leaves a file open.
    page.wait_for_load_state("load")


def test_student_sees_checkpoints_and_suggestions(new_page, demo_course):
    reading = db.session.scalar(db.select(Post).where(Post.kind == PostKind.READING, Post.title == READING))
    reading.required_replies = 2
    db.session.commit()
    # A student who has neither responded to the reading nor commented on its responses.
    busy = db.select(Comment.author_id).join(Post, Post.id == Comment.post_id).where(Post.reading_id == reading.id)
    authors = db.select(Post.author_id).where(Post.reading_id == reading.id)
    quiet = db.session.scalar(
        db.select(User.email)
        .where(User.email.like("student%"))
        .where(User.id.not_in(busy), User.id.not_in(authors))
        .order_by(User.email)
    )
    page = new_page()
    log_in(page, quiet)
    open_course(page)
    expect(page.locator(".reading-item", has_text=READING).locator(".progress-line")).to_contain_text(
        "Response not yet · Replies 0 of 2"
    )
    _shoot(page, "home-student")
    page.get_by_role("link", name=READING).click()
    expect(page.get_by_role("heading", name="Waiting for a comment")).to_be_visible()
    _shoot(page, "reading-student")
    page.wait_for_load_state("load")
