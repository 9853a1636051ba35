"""End to end in a real browser: a student logs in, comments on a reading, replies, and reads a response on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from board.seeding import DEMO_PASSWORD

pytestmark = pytest.mark.browser

STUDENT = "student3@example.edu"
PHONE_WIDTH = 375


def log_in(page: Page, email: str) -> None:
    """Log in through the login form and wait for the dashboard."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/courses$"))


def open_course(page: Page) -> None:
    """Go from the dashboard to the demo course's home."""
    page.get_by_role("link", name=re.compile("HIST 3644")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Soviet History: The Gulag and After")


def test_student_comments_on_reading_and_reply_is_nested(new_page, demo_course):
    page = new_page()
    log_in(page, STUDENT)
    open_course(page)
    page.get_by_role("link", name="Solidarity: Dimitri Panin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Solidarity: Dimitri Panin")

    comment_text = "Panin's account of solidarity reads differently after the 1953 amnesty."
    page.locator("#comment-form textarea[name=body]").fill(comment_text)
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("ol.comment-list > li.comment", has_text=comment_text)
    expect(comment).to_be_visible()
    expect(comment).to_have_class(re.compile(r"\bdepth-1\b"))

    reply_text = "Replying to myself: compare Rossi's testimony on the same theme."
    comment.locator("details.reply > summary", has_text="Reply").click()
    comment.locator("details.reply textarea[name=body]").fill(reply_text)
    comment.get_by_role("button", name="Post reply").click()

    comment = page.locator("ol.comment-list > li.comment", has_text=comment_text)
    reply = comment.locator("xpath=following-sibling::li[1]")
    expect(comment).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(reply).to_have_class(re.compile(r"\bdepth-2\b"))
    expect(comment).to_contain_text(comment_text)
    expect(reply).to_contain_text(reply_text)
    expect(page.get_by_text(comment_text)).to_be_visible()
    expect(page.get_by_text(reply_text)).to_be_visible()


def test_awarded_response_fits_a_phone_screen(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=740)
    log_in(page, STUDENT)
    open_course(page)
    page.get_by_role("link", name="Out With the Old (Prisoners)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Out With the Old (Prisoners)")

    expect(page.get_by_text("This post received the Comrade’s Corner award")).to_be_visible()
    expect(page.locator("#comments-heading")).to_contain_text("7 thoughts on")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the page scrolls sideways on a phone: {scroll_width}px wide"
