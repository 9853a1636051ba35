"""The site's global look in Chromium: the phone header, the heading scale, printing a post, the dark scheme."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import Post, User
from board.notifications.models import Notification
from tests.browser.test_axe import run_axe
from tests.browser.test_end_to_end import log_in

pytestmark = pytest.mark.browser

STUDENT = "student3@example.edu"


def _response_with_comments() -> Post:
    return db.session.scalar(
        db.select(Post).where(Post.kind == "response", Post.title == "Out With the Old (Prisoners)")
    )


def _style(page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate("(el, p) => getComputedStyle(el).getPropertyValue(p)", prop)


def test_phone_header_is_one_line_with_a_menu_that_works_without_javascript(browser, live_server, demo_course):
    student = db.session.scalar(db.select(User).where(User.email == STUDENT))
    post = _response_with_comments()
    db.session.add(Notification(user_id=student.id, course_id=post.course_id, kind="comment", post_id=post.id))
    db.session.commit()
    context = browser.new_context(
        base_url=live_server, viewport={"width": 375, "height": 740}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        log_in(page, STUDENT)
        page.goto(f"/c/{demo_course.slug}/posts/{post.id}")
        header = page.locator("header.site-header")
        height = header.evaluate("el => el.getBoundingClientRect().height")
        assert height <= 72, f"the phone header is {height}px tall"
        # Sticky, and --header-height says how much of the screen it covers (other rules use it for scroll margins).
        assert _style(page, "header.site-header", "position") == "sticky"
        root = "getComputedStyle(document.documentElement).getPropertyValue('--header-height')"
        covered = page.evaluate(f"parseFloat({root}) * 16")  # in rem
        assert covered == height
        # The unread count and search stay in the header line; the navigation waits behind the menu button.
        expect(page.get_by_role("link", name=re.compile(r"^Notifications 1 unread"))).to_be_visible()
        expect(page.get_by_role("link", name="Search this course")).to_be_visible()
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_hidden()
        menu = page.locator("summary", has_text="Menu")
        menu.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("navigation", name="Course").get_by_role("link", name="My work")).to_be_visible()
        expect(log_out).to_be_visible()
        # Keyboard order: from the menu button into the opened navigation.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "HIST 3644"
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        expect(log_out).to_be_hidden()

        # On a desktop the navigation shows without the menu button, and the header scrolls away (covers nothing).
        page.set_viewport_size({"width": 1280, "height": 900})
        expect(log_out).to_be_visible()
        expect(menu).to_be_hidden()
        assert _style(page, "header.site-header", "position") == "static"
        root = "getComputedStyle(document.documentElement).getPropertyValue('--header-height')"
        assert page.evaluate(root).strip() == "0px"
    finally:
        context.close()


def test_headings_in_posts_and_pages_are_above_body_text(new_page, demo_course):
    from tests import factories

    page = new_page(width=1280)
    log_in(page, STUDENT)
    post = _response_with_comments()
    student = db.session.scalar(db.select(User).where(User.email == STUDENT))
    factories.comment(post=post, author=student, body="# One\n\n## Two\n\n### Three\n\n#### Four\n\nBody text.")
    page.goto(f"/c/{demo_course.slug}/posts/{post.id}")
    sizes = page.evaluate(
        """() => {
          const prose = [...document.querySelectorAll('.comment .prose')].find(p => p.querySelector('h4'));
          const size = el => parseFloat(getComputedStyle(el).fontSize);
          return ['h1', 'h2', 'h3', 'h4', 'p'].map(tag => size(prose.querySelector(tag)));
        }"""
    )
    h1, h2, h3, h4, body = sizes
    assert h1 > h2 > h3 > h4 >= body, sizes
    chrome = [float(_style(page, tag, "font-size")[:-2]) for tag in ("h1", "h2")]
    page.goto(f"/c/{demo_course.slug}/my-work")
    chrome.append(float(_style(page, "h3", "font-size")[:-2]))
    chrome.append(float(_style(page, "body", "font-size")[:-2]))
    assert chrome[0] > chrome[1] > chrome[2] >= chrome[3], chrome


def test_printing_a_response_prints_the_post_and_its_thread_only(new_page, demo_course):
    page = new_page(width=1280)
    log_in(page, STUDENT)
    post = _response_with_comments()
    page.goto(f"/c/{demo_course.slug}/posts/{post.id}")
    assert _style(page, "header.site-header", "display") != "none"
    page.emulate_media(media="print")
    for hidden in ("header.site-header", "nav", "form", "button", "textarea", "footer.site-footer", ".skip-link"):
        displays = page.locator(hidden).evaluate_all("els => els.map(el => getComputedStyle(el).display)")
        assert displays and set(displays) == {"none"}, (hidden, displays)
    expect(page.get_by_role("heading", level=1)).to_have_text(post.title)
    expect(page.get_by_text("It is well known that Soviet citizens")).to_be_visible()
    comments = page.locator("li.comment")
    assert comments.count() >= 7
    expect(comments.first).to_be_visible()
    assert _style(page, "body", "background-color") == "rgb(255, 255, 255)"
    assert _style(page, "body", "color") == "rgb(0, 0, 0)"


def test_dark_scheme_recolours_the_page_and_axe_stays_clean(new_page, demo_course):
    page = new_page(width=1280)
    log_in(page, STUDENT)
    post = _response_with_comments()
    page.goto(f"/c/{demo_course.slug}/posts/{post.id}")
    light = _style(page, "body", "background-color")
    page.emulate_media(color_scheme="dark")
    dark = _style(page, "body", "background-color")
    assert light != dark
    assert sum(int(n) for n in re.findall(r"\d+", dark)[:3]) < 150, dark  # a dark background, not another light one
    assert _style(page, ":root", "color-scheme").strip() == "light dark"  # form controls follow
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert run_axe(page) == []
