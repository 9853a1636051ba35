"""The composer's preview in a real browser: live as one types (JavaScript), and by its button without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import Comment

from .test_composer import POST, open_post
from .test_end_to_end import PHONE_WIDTH, STUDENT, log_in

pytestmark = pytest.mark.browser


def test_live_preview_shows_the_comment_as_it_is_then_published(new_page, demo_course):
    page = new_page()
    log_in(page, STUDENT)
    open_post(page)
    panel = page.locator("#comment-preview")
    expect(panel).to_be_hidden()
    text = "So *this* is **it** <script>alert(1)</script>\n\n> quoted & [linked](https://example.org)"
    page.locator("#comment-form textarea[name=body]").fill(text)
    expect(panel).to_be_visible()
    expect(panel.locator("em")).to_have_text("this")
    expect(panel.locator("blockquote a")).to_have_attribute("href", "https://example.org")
    shown = panel.locator(".preview-body").inner_html()
    assert "<script" not in shown

    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("ol.comment-list li.comment", has_text="quoted &")).to_be_visible()
    db.session.expire_all()
    published = db.session.scalar(db.select(Comment).order_by(Comment.id.desc()))
    assert published.body_md.replace("\r\n", "\n") == text  # a form sends its line breaks as CRLF
    assert shown == published.body_html

    # Emptied, the preview goes away.
    page.locator("#comment-form textarea[name=body]").fill("x")
    expect(panel).to_be_visible()
    page.locator("#comment-form textarea[name=body]").fill("")
    expect(panel).to_be_hidden()


def test_reply_composer_previews_live_under_its_comment_on_a_phone(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=667)
    log_in(page, STUDENT)
    open_post(page)
    first = page.locator("ol.comment-list > li.comment:not(.placeholder)").first
    first.get_by_role("link", name="Reply").click()
    first.locator("#reply-form textarea").fill("A ~~reply~~ *draft*")
    preview = first.locator("#reply-preview")
    expect(preview.locator("s")).to_have_text("reply")
    expect(preview.locator("em")).to_have_text("draft")


def test_write_a_comment_link_puts_the_cursor_in_the_comment_box(new_page, demo_course):
    page = new_page(width=PHONE_WIDTH, height=667)
    log_in(page, STUDENT)
    open_post(page)
    page.get_by_role("link", name="Write a comment").click()
    expect(page.locator("#comment-form textarea[name=body]")).to_be_focused()
    assert page.url.endswith("#comment-form")


def test_preview_button_without_javascript_keeps_the_text_and_shows_the_preview(browser, live_server, demo_course):
    context = browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        log_in(page, STUDENT)
        open_post(page)
        before = db.session.scalar(db.select(db.func.count()).select_from(Comment))
        page.locator("#comment-form textarea[name=body]").fill("Without *scripts*, still")
        page.locator("#comment-form").get_by_role("button", name="Preview").click()
        expect(page.locator("#comment-preview em")).to_have_text("scripts")
        expect(page.locator("#comment-form textarea[name=body]")).to_have_value("Without *scripts*, still")
        # The page opens at the comment box (autofocus), with the preview under it, not at the top of the thread.
        expect(page.locator("#comment-form textarea[name=body]")).to_be_focused()
        assert page.evaluate("document.getElementById('comment-preview').getBoundingClientRect().top") < 900
        expect(page.get_by_role("heading", level=1)).to_have_text(POST)
        db.session.expire_all()
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == before
    finally:
        context.close()


def test_a_refused_live_preview_says_so_calmly_keeps_the_last_one_and_catches_up(new_page, demo_course, limits):
    limits(PREVIEW_RATE_LIMIT="1 per 10 seconds")
    page = new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, STUDENT)
    open_post(page)
    box = page.locator("#comment-form textarea[name=body]")
    panel = page.locator("#comment-preview")
    box.fill("The *first* draft")
    expect(panel.locator(".preview-body em")).to_have_text("first")

    with page.expect_response(lambda r: r.url.endswith("/formatting") and r.status == 429):
        box.fill("The *second* draft")
    note = panel.locator(".preview-paused")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Your text is safe")
    expect(panel.locator(".preview-body em")).to_have_text("first")  # the last preview stays, not an error
    expect(box).to_have_value("The *second* draft")

    # After Retry-After it asks again by itself, with what is typed by then.
    expect(panel.locator(".preview-body em")).to_have_text("second", timeout=20_000)
    expect(note).to_be_hidden()
    assert errors == []
