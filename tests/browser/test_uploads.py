"""Pictures in the composer, in Chromium: pasted with JavaScript (described in its prompt), chosen in the plain file
input without it, and refused without a word typed being lost; a classmate past the reading's gate sees the picture,
a student still locked out gets neither the post nor the picture."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from board.extensions import db
from board.models import Role
from board.uploads.models import Upload
from tests import factories
from tests.browser.test_axe import run_axe

pytestmark = pytest.mark.browser

ALT = "A red square on white"


def _png(width: int = 60, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def gated(app):
    """A reading whose responses stay hidden until one's own is posted; Bo has posted, Cy has not."""
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    reading = factories.reading(course, title="The reading", responses_hidden_until_posted=True)
    people = {
        "ada": factories.member(course, Role.STUDENT, "Ada Lovelace"),
        "bo": factories.member(course, Role.STUDENT, "Bo Chen"),
        "cy": factories.member(course, Role.STUDENT, "Cy Young"),
    }
    factories.response(course, people["bo"], reading, title="Bo's response")
    return course, reading, people


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/courses$"))


def _picture_seen_by_classmates(new_page, post_url: str, people) -> None:
    """Bo (past the gate) sees the picture loaded; Cy (not) gets 404 for the post and for the picture."""
    bo = new_page()
    _log_in(bo, people["bo"].email)
    bo.goto(post_url)
    picture = bo.locator(f'.post .prose img[alt="{ALT}"]')
    expect(picture).to_be_visible()
    bo.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    src = picture.get_attribute("src")
    assert re.fullmatch(r"/c/[^/]+/uploads/[\w-]+/image\.png", src), src

    cy = new_page()
    _log_in(cy, people["cy"].email)
    assert cy.goto(post_url).status == 404
    assert cy.request.get(src).status == 404


def test_a_pasted_picture_is_described_published_and_seen_past_the_gate(new_page, gated, live_server):
    course, reading, people = gated
    page = new_page()
    _log_in(page, people["ada"].email)
    page.goto(f"/c/{course.slug}/readings/{reading.id}/respond")
    page.get_by_label("Title").fill("With a picture")
    box = page.get_by_label("Your response")
    box.fill("Here is what I saw.\n")
    page.evaluate(
        """(b64) => {
             const area = document.querySelector('textarea[name=body]');
             area.focus();
             area.selectionStart = area.selectionEnd = area.value.length;
             const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
             const data = new DataTransfer();
             data.items.add(new File([bytes], 'photo.png', { type: 'image/png' }));
             area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
           }""",
        base64.b64encode(_png()).decode(),
    )
    describe = page.get_by_label("Describe the picture for someone who cannot see it")
    expect(describe).to_be_focused()
    expect(box).to_have_value(re.compile(r"^Here is what I saw\.\n!\[\]\(/c/[^)]+/image\.png#60x40\)\n$"))
    page.get_by_role("button", name="Insert").click()  # empty: refused, and asked again
    expect(page.get_by_text("a picture needs a description")).to_be_visible()
    assert run_axe(page) == []  # the prompt, its error and the control, in both colour schemes
    page.emulate_media(color_scheme="dark")
    assert run_axe(page, ["color-contrast"]) == []
    describe.fill(ALT)
    describe.press("Enter")  # inserts, and does not send the form
    expect(describe).to_have_count(0)
    expect(box).to_have_value(re.compile(rf"^Here is what I saw\.\n!\[{ALT}\]\(/c/[^)]+/image\.png#60x40\)\n$"))
    expect(page.locator("#body-preview img")).to_have_attribute("alt", ALT)  # the live preview followed

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("With a picture")
    _picture_seen_by_classmates(new_page, page.url, people)


def test_without_javascript_the_file_input_sends_the_picture_with_the_form(browser, new_page, gated, live_server):
    course, reading, people = gated
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in(page, people["ada"].email)
        page.goto(f"/c/{course.slug}/readings/{reading.id}/respond")
        page.get_by_label("Title").fill("Sent with the form")
        page.get_by_label("Your response").fill("Here is what I saw.")
        page.get_by_text("Add a picture or file").click()  # the <details> opens without script
        page.get_by_label("Picture or file").set_input_files(
            {"name": "photo.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.get_by_label("Description of the picture (alt text)").fill(ALT)
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sent with the form")
        post_url = page.url
    finally:
        context.close()
    _picture_seen_by_classmates(new_page, post_url, people)


def test_a_refused_upload_says_why_and_leaves_the_text_alone_on_a_phone(new_page, gated, app, monkeypatch):
    course, reading, people = gated
    monkeypatch.setitem(app.config, "UPLOADS_MAX_FILE_BYTES", 50_000)  # read into the page when it is made
    page = new_page(width=375, height=740)
    _log_in(page, people["ada"].email)
    page.goto(f"/c/{course.slug}/readings/{reading.id}/respond")
    typed = "Every word of this stays,\nexactly as typed."
    box = page.get_by_label("Your response")
    box.fill(typed)
    chooser = page.locator(".attach-input")
    expect(page.get_by_role("button", name="Add picture or file")).to_be_visible()
    expect(page.locator(".attach-plain")).to_be_hidden()  # the plain input is replaced, never sent twice

    chooser.set_input_files({"name": "huge.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * 60_000})
    expect(page.locator(".attach-error")).to_contain_text("larger than 49 KB")  # refused before sending
    expect(box).to_have_value(typed)

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>'
    chooser.set_input_files({"name": "drawing.svg", "mimeType": "image/svg+xml", "buffer": svg})
    expect(page.locator(".attach-error")).to_contain_text("SVG")  # the server's reason
    expect(box).to_have_value(typed)  # its placeholder line gone, nothing else touched
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0

    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the composer scrolls sideways on a phone: {width}px wide"


def test_a_file_dropped_into_a_reply_becomes_a_link_and_an_ended_session_keeps_the_text(new_page, gated):
    course, reading, people = gated
    factories.comment(reading, people["bo"], "A question about the reading.")
    page = new_page()
    _log_in(page, people["ada"].email)
    page.goto(f"/c/{course.slug}/posts/{reading.id}")
    page.get_by_role("link", name="Reply").click()
    box = page.locator("#reply-form textarea[name=body]")
    box.fill("See my notes:")
    drop = """([selector, name, text, type]) => {
        const area = document.querySelector(selector);
        const data = new DataTransfer();
        data.items.add(new File([text], name, { type }));
        area.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      }"""
    page.evaluate(drop, ["#reply-form textarea", "notes.txt", "Dates and names.\n", "text/plain"])
    expect(box).to_have_value(re.compile(r"^See my notes:\n\[notes\.txt\]\(/c/[^)]+/uploads/[\w-]+/file\.txt\)\n$"))
    expect(page.get_by_label("Describe the picture for someone who cannot see it")).to_have_count(0)  # a file

    typed = box.input_value()
    page.context.clear_cookies()  # the session ends in another tab
    page.evaluate(drop, ["#reply-form textarea", "more.txt", "More.\n", "text/plain"])
    expect(page.locator("#reply-form .attach-error")).to_have_text(re.compile("^Your session has ended"))
    expect(box).to_have_value(typed)
