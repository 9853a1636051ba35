"""Nothing typed is lost, in a real browser: errors inside the composer on a phone, drafts, a stale session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import Comment
from board.seeding import DEMO_PASSWORD

from .test_end_to_end import PHONE_WIDTH, STUDENT, log_in, open_course

OTHER_STUDENT = "student2@example.edu"

pytestmark = pytest.mark.browser

POST = "Out With the Old (Prisoners)"


def open_post(page: Page) -> None:
    open_course(page)
    page.get_by_role("link", name=POST).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(POST)
    # The URL and heading arrive before the deferred scripts run; what a test does next may need board.js.
    page.wait_for_load_state("load")


def in_viewport(page: Page, selector: str) -> bool:
    """Whether the element is wholly on screen."""
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
           return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }""",
        selector,
    )


def test_empty_comment_and_reply_errors_are_in_view_and_focused_on_a_phone(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=667)
    log_in(page, STUDENT)
    open_post(page)
    page.get_by_role("button", name="Post comment").click()
    error = page.locator("#comment-form .error")
    expect(error).to_have_text("Write something first.")
    expect(page.locator("#comment-form textarea[name=body]")).to_be_focused()
    assert in_viewport(page, "#comment-form .error") and in_viewport(page, "#comment-form textarea[name=body]")

    # An empty reply: its error is in that comment's reply form, and the bottom form is still a plain comment.
    first = page.locator("ol.comment-list > li.comment:not(.placeholder)").first
    comment_id = first.get_attribute("id")
    first.get_by_role("link", name="Reply").click()
    first.get_by_role("button", name="Post reply").click()
    reply_box = page.locator(f"#{comment_id} #reply-form textarea")
    expect(page.locator(f"#{comment_id} #reply-form .error")).to_have_text("Write something first.")
    expect(reply_box).to_be_focused()
    assert in_viewport(page, f"#{comment_id} #reply-form .error")
    expect(page.locator("#comment-form input[name=parent_id]")).to_have_count(0)


def test_a_draft_survives_a_reload_and_is_gone_once_posted(new_page, demo_course):
    page = new_page()
    log_in(page, STUDENT)
    open_post(page)
    draft = "Half a thought about the caption, to finish after lunch."
    page.locator("#comment-form textarea[name=body]").fill(draft)
    first = page.locator("ol.comment-list > li.comment:not(.placeholder)").first
    comment_id = first.get_attribute("id")
    first.get_by_role("link", name="Reply").click()
    first.locator("#reply-form textarea").fill("A reply in progress")
    page.reload()
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value(draft)
    # The reply's draft reopens the composer under its comment.
    expect(page.locator(f"#{comment_id} #reply-form textarea")).to_have_value("A reply in progress")
    expect(page.locator(f"#{comment_id} #reply-form")).to_be_visible()

    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("ol.comment-list > li.comment", has_text=draft)).to_be_visible()
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value("")
    page.reload()
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value("")
    # The reply was not sent, so its draft stays.
    expect(page.locator(f"#{comment_id} #reply-form textarea")).to_have_value("A reply in progress")


def test_text_typed_before_the_scripts_arrive_is_kept_as_a_draft(new_page, demo_course):
    """On a slow connection a person can type before board.js runs; that text is a draft like any other."""
    page = new_page()
    log_in(page, STUDENT)
    held, released = [], []

    def hold_board_js(route):  # the first board.js waits until we let it through; later ones load at once
        route.continue_() if released else held.append(route)

    page.route("**/static/board.js*", hold_board_js)
    open_course(page)
    page.get_by_role("link", name=POST).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(POST)
    early = "Typed while the page was still loading."
    page.locator("#comment-form textarea[name=body]").fill(early)
    assert held, "board.js was never asked for"
    released.append(True)
    for route in held:
        route.continue_()
    page.wait_for_load_state("load")
    page.reload()
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value(early)


def test_logging_out_deletes_drafts_and_the_next_person_never_sees_them(new_page, demo_course):
    page = new_page()
    log_in(page, STUDENT)
    open_post(page)
    page.locator("#comment-form textarea[name=body]").fill("Private half-thought")
    page.reload()
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value("Private half-thought")
    drafts = "Object.keys(localStorage).filter(k => k.startsWith('board-draft:')).length"
    assert page.evaluate(drafts) == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.evaluate(drafts) == 0
    log_in(page, OTHER_STUDENT)
    open_post(page)
    expect(page.locator("#comment-form textarea[name=body]")).to_have_value("")


def test_stale_session_then_post_again_posts_the_comment_once(new_page, demo_course):
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(STUDENT)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/courses$"))
    open_post(page)
    text = "Written on Friday, sent on Monday."
    page.locator("#comment-form textarea[name=body]").fill(text)
    # The weekend: the browser dropped the session cookie (and its CSRF token); the remember-me cookie stays.
    page.context.clear_cookies(name="session")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not sent yet")
    expect(page.get_by_role("textbox", name="Text")).to_have_value(text)
    page.get_by_role("button", name="Post again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(POST)
    expect(page.locator("ol.comment-list > li.comment", has_text=text)).to_have_count(1)
    db.session.expire_all()
    assert db.session.query(Comment).filter_by(body_md=text).count() == 1


def test_one_reply_composer_moves_between_comments_by_keyboard_on_a_phone(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=667)
    log_in(page, STUDENT)
    open_post(page)
    comments = page.locator("ol.comment-list > li.comment:not(.placeholder)")
    first, second = comments.nth(0), comments.nth(1)
    first.get_by_role("link", name="Reply").focus()
    page.keyboard.press("Enter")
    expect(first.locator("#reply-form textarea")).to_be_focused()
    author = first.locator("header .author").inner_text()
    expect(first.locator("#reply-form label")).to_have_text(f"Reply to {author}")
    page.keyboard.type("Typed for the first comment")
    second.get_by_role("link", name="Reply").click()
    expect(second.locator("#reply-form textarea")).to_have_value("")
    expect(page.locator("#reply-form")).to_have_count(1)
    first.get_by_role("link", name="Reply").click()
    expect(first.locator("#reply-form textarea")).to_have_value("Typed for the first comment")
    first.get_by_role("button", name="Post reply").click()
    reply = page.locator("ol.comment-list li.comment", has_text="Typed for the first comment")
    expect(reply).to_have_class(re.compile(r"\bdepth-2\b"))
    page.wait_for_load_state("load")  # the stylesheet applied: the DOM can be read before it arrives
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the page scrolls sideways on a phone: {scroll_width}px wide"
