"""End to end in a real browser: comments and replies, a response on a phone, likes, awards and the moderation queue."""

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
    comment.get_by_role("link", name="Reply").click()
    comment.locator("#reply-form textarea[name=body]").fill(reply_text)
    comment.get_by_role("button", name="Post reply").click()

    comment = page.locator("ol.comment-list > li.comment", has_text=comment_text)
    reply = comment.locator("xpath=following-sibling::li[1]/details/ol/li[1]")  # first in the branch after it
    expect(comment).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(reply).to_have_class(re.compile(r"\bdepth-2\b"))
    expect(comment).to_contain_text(comment_text)
    expect(reply).to_contain_text(reply_text)
    expect(page.get_by_text(comment_text)).to_be_visible()
    expect(page.get_by_text(reply_text)).to_be_visible()
    # Nested on screen, not only in the markup: the reply starts further right than the comment it answers.
    comment_box, reply_box = comment.bounding_box(), reply.bounding_box()
    assert reply_box["x"] >= comment_box["x"] + 16, (comment_box, reply_box)
    assert reply_box["y"] > comment_box["y"]


def test_awarded_response_fits_a_phone_screen(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=740)
    log_in(page, STUDENT)
    open_course(page)
    page.get_by_role("link", name="Out With the Old (Prisoners)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Out With the Old (Prisoners)")

    expect(page.get_by_text("This post received the Comrade’s Corner award")).to_be_visible()
    expect(page.locator("#comments-heading")).to_contain_text("7 thoughts on")
    page.wait_for_load_state("load")  # the stylesheet applied: the DOM can be read before it arrives
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the page scrolls sideways on a phone: {scroll_width}px wide"


INSTRUCTOR = "instructor@example.edu"
CLASSMATE = "student5@example.edu"


def test_like_award_and_approve_a_held_comment(new_page, demo_course):
    instructor = new_page()
    log_in(instructor, INSTRUCTOR)
    open_course(instructor)
    instructor.get_by_role("link", name="Settings").click()
    instructor.get_by_label("Hold every contribution for approval").check()
    instructor.get_by_role("button", name="Save settings").click()
    expect(instructor.get_by_label("Hold every contribution for approval")).to_be_checked()

    # A student likes a classmate's comment: the count and the button change in place, and stay after a reload.
    student = new_page()
    log_in(student, STUDENT)
    open_course(student)
    student.get_by_role("link", name="Out With the Old (Prisoners)").first.click()
    student.wait_for_load_state("load")  # board.js in place, or the Like button would send its form without it
    unliked = student.locator("li.comment:has(.like-count.is-empty)").filter(
        has=student.get_by_role("button", name="☆ Like")
    )
    comment_id = unliked.first.get_attribute("id")
    comment = student.locator(f"#{comment_id}")
    student.evaluate("window.sameDocument = true")  # gone if the like reloads the page instead of updating in place
    comment.get_by_role("button", name="☆ Like").click()
    expect(comment.get_by_role("button", name="★ Liked")).to_have_attribute("aria-pressed", "true")
    expect(comment.locator(".like-count")).to_have_text("Liked by 1 person")
    assert student.evaluate("window.sameDocument === true"), "the like reloaded the page"
    student.reload()
    expect(comment.locator(".like-count")).to_have_text("Liked by 1 person")
    expect(comment.get_by_role("button", name="★ Liked")).to_be_visible()

    # Under "hold every contribution", the student's comment waits for approval; its author sees it marked.
    held_text = "The poem's last stanza answers the photo caption above it."
    student.locator("#comment-form textarea[name=body]").fill(held_text)
    student.get_by_role("button", name="Post comment").click()
    held = student.locator("ol.comment-list > li.comment", has_text=held_text)
    expect(held.locator(".tag-held")).to_have_text("Awaiting approval")

    classmate = new_page()
    log_in(classmate, CLASSMATE)
    open_course(classmate)
    classmate.get_by_role("link", name="Out With the Old (Prisoners)").first.click()
    expect(classmate.locator("#comments-heading")).to_contain_text("7 thoughts on")
    expect(classmate.get_by_text(held_text)).to_have_count(0)

    # The instructor awards the other response.
    instructor.get_by_role("link", name="Home").click()
    instructor.get_by_role("link", name="Freedom from the Gulags").first.click()
    expect(instructor.get_by_text("This post received")).to_have_count(0)
    instructor.get_by_label("Give an award").select_option(label="Sharp Question")
    instructor.get_by_label("Note").fill("The question in your last paragraph.")
    instructor.get_by_role("button", name="Give award").click()
    expect(instructor.get_by_text("This post received the Sharp Question award")).to_be_visible()

    # ...and approves the held comment from the queue.
    instructor.get_by_role("link", name="Moderation").click()
    item = instructor.locator("li.queue-item", has_text=held_text)
    expect(item).to_contain_text("Comment by")
    item.get_by_role("button", name="Approve").click()
    expect(instructor.get_by_text("Nothing is waiting.")).to_be_visible()
    expect(instructor.locator("li.queue-item", has_text=held_text)).to_have_count(0)

    classmate.reload()
    expect(classmate.get_by_text(held_text)).to_be_visible()
    expect(classmate.locator("#comments-heading")).to_contain_text("8 thoughts on")
    classmate.get_by_role("link", name="Awards").click()
    expect(classmate.get_by_role("link", name="Freedom from the Gulags")).to_be_visible()
