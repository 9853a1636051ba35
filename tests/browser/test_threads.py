"""Threads you can follow, in Chromium (issue #20): a branch collapses and the whole thread collapses at once; a
linked deep reply lands highlighted below a sticky header with its branch opened and its parent named; after posting,
the focus is on the new comment. Also measures a 36-comment thread's height, expanded and collapsed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

PHONE_WIDTH = 375
# A sticky header, as a phone layout may have one: set through the CSSOM (the page's CSP refuses injected <style>).
STICKY_HEADER = """
new MutationObserver(function () {
  var header = document.querySelector(".site-header");
  if (header && !header.style.position) {
    header.style.position = "sticky"; header.style.top = "0"; header.style.zIndex = "10"; header.style.height = "120px";
  }
}).observe(document, { childList: true, subtree: true });
"""
SENTENCE = (
    "Solzhenitsyn's account of the brick-laying scene reads as joy in work for its own sake, though Shalamov would "
    "call it a survival strategy dressed up as dignity. "
)


def _log_in(page: Page, person) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/courses$"))


def _discussion():
    course = factories.course()
    course.allow_anonymous = True
    db.session.commit()
    post = factories.response(course, factories.member(course), factories.reading(course), title="Work as dignity")
    return course, post


def _url(post, anchor: str = "") -> str:
    return f"/c/{post.course.slug}/posts/{post.id}" + (f"#{anchor}" if anchor else "")


def test_a_branch_collapses_with_its_summary_and_the_thread_collapses_at_once(new_page):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada"), factories.member(course, name="Boris")
    first = factories.comment(post, ada, "First thought.")
    reply = factories.comment(post, boris, "A reply.", parent=first)
    deeper = factories.comment(post, ada, "A deeper reply.", parent=reply)
    second = factories.comment(post, boris, "Second thought.")
    answer = factories.comment(post, ada, "An answer.", parent=second)

    page = new_page()
    _log_in(page, factories.member(course))
    page.goto(_url(post))
    summary = page.locator(f"#comment-{first.id} + li > details > summary")
    expect(summary).to_have_text("2 replies")
    name = summary.evaluate("el => getComputedStyle(el, '::before').content + el.textContent")
    assert name == '"Hide "2 replies'
    expect(page.locator(f"#comment-{deeper.id}")).to_be_visible()

    summary.focus()  # keyboard: a summary takes the focus and Enter toggles it
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{reply.id}")).to_be_hidden()
    expect(page.locator(f"#comment-{deeper.id}")).to_be_hidden()
    assert summary.evaluate("el => getComputedStyle(el, '::before').content") == '"Show "'
    expect(page.locator(f"#comment-{second.id}")).to_be_visible()
    expect(page.locator(f"#comment-{answer.id}")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{deeper.id}")).to_be_visible()

    toggle = page.get_by_role("button", name="Collapse all replies")
    toggle.click()
    expect(page.locator(f"#comment-{reply.id}")).to_be_hidden()
    expect(page.locator(f"#comment-{answer.id}")).to_be_hidden()
    expect(page.locator(f"#comment-{second.id}")).to_be_visible()
    page.get_by_role("button", name="Expand all replies").click()
    expect(page.locator(f"#comment-{deeper.id}")).to_be_visible()
    expect(page.locator(f"#comment-{answer.id}")).to_be_visible()


@pytest.mark.parametrize("width", [1280, PHONE_WIDTH])
def test_a_linked_deep_reply_lands_highlighted_below_a_sticky_header_with_its_branch_open(new_page, width):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada Lovelace"), factories.member(course, name="Boris Pasternak")
    for n in range(8):  # a long thread above, so the reply is far down
        factories.comment(post, ada, SENTENCE * 3 + f"Earlier {n}.")
    chain = [factories.comment(post, boris, "Turn 1")]
    for n in range(2, 5):
        chain.append(factories.comment(post, ada, f"Turn {n}", parent=chain[-1], anonymous=n == 3))
    target = chain[-1]  # depth 4, its parent anonymous
    at_cap = factories.comment(post, boris, "Turn 5", parent=target)  # depth 5: the page names its parent
    for n in range(6):
        factories.comment(post, boris, SENTENCE * 3 + f"Later {n}.")

    page = new_page(width=width, height=800)
    page.add_init_script(STICKY_HEADER)
    _log_in(page, factories.member(course))
    page.goto(_url(post, f"comment-{target.id}"))
    landed = page.locator(f"#comment-{target.id}")
    expect(landed).to_have_class(re.compile(r"\bis-landed\b"))
    assert landed.evaluate("el => el.matches(':target')")
    assert landed.evaluate("el => getComputedStyle(el).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    header_bottom = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")
    assert header_bottom == 120  # the sticky header is in view, on top of the page
    box = landed.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert header_bottom <= box["top"] < page.viewport_size["height"], (header_bottom, box)
    assert page.evaluate("document.activeElement.id") == f"comment-{target.id}"
    parent_link = landed.locator("a.in-reply-to")
    expect(parent_link).to_have_text("in reply to Anonymous classmate")
    expect(parent_link).to_have_attribute("href", f"#comment-{chain[2].id}")

    # Collapsed meanwhile, the branch opens again when a link lands on the reply.
    page.locator(f"#comment-{chain[0].id} + li > details > summary").click()
    expect(landed).to_be_hidden()
    page.evaluate("location.hash = ''")
    page.evaluate(f"location.hash = '#comment-{target.id}'")
    expect(landed).to_be_visible()
    box = landed.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert header_bottom <= box["top"] < page.viewport_size["height"], box

    parent_link.click()  # "in reply to" goes to the parent, which lands the same way
    parent = page.locator(f"#comment-{chain[2].id}")
    expect(parent).to_have_class(re.compile(r"\bis-landed\b"))
    expect(landed).not_to_have_class(re.compile(r"\bis-landed\b"))
    box = parent.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert header_bottom <= box["top"] < page.viewport_size["height"], box

    # A reply at the depth cap names its parent once (the page does; the script leaves it alone).
    page.evaluate(f"location.hash = '#comment-{at_cap.id}'")
    capped = page.locator(f"#comment-{at_cap.id}")
    expect(capped).to_have_class(re.compile(r"\bis-landed\b"))
    expect(capped.locator("a.in-reply-to")).to_have_count(1)
    expect(capped.locator("a.in-reply-to")).to_have_text("in reply to Ada Lovelace")
    expect(capped.locator("a.in-reply-to")).to_have_attribute("href", f"#comment-{target.id}")


@pytest.mark.parametrize("width", [1280, PHONE_WIDTH])
def test_after_posting_the_focus_is_on_the_new_comment(new_page, width):
    course, post = _discussion()
    for n in range(10):
        factories.comment(post, factories.member(course), SENTENCE * 2 + f"Comment {n}.")
    student = factories.member(course, name="Cy")
    page = new_page(width=width, height=800)
    _log_in(page, student)
    page.goto(_url(post))

    page.get_by_label("Comment", exact=True).fill("Posting this moves the focus to it.")
    page.get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    new_id = page.url.rsplit("#", 1)[1]
    new = page.locator(f"#{new_id}")
    expect(new).to_contain_text("Posting this moves the focus to it.")
    expect(new).to_be_focused()
    assert new.get_attribute("tabindex") == "-1"
    box = new.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert 0 <= box["top"] < page.viewport_size["height"], box

    # A reply too, posted from the composer that opens under its comment.
    first = page.locator("ol.comment-list > li.comment").first
    first.get_by_role("link", name="Reply").click()
    page.get_by_label(re.compile("^Reply to")).fill("And a reply lands the same way.")
    page.get_by_role("button", name="Post reply").click()
    reply = page.locator("li.comment", has_text="And a reply lands the same way.")
    expect(reply).to_be_focused()
    box = reply.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert 0 <= box["top"] < page.viewport_size["height"], box


def test_measure_a_36_comment_thread_expanded_and_collapsed(new_page):
    """9 comments with 3 replies each (two in a chain, one beside them): the page's height at 1280 and 375 px, with
    every branch open and with the top-level branches collapsed (printed for the report)."""
    course, post = _discussion()
    people = [factories.member(course, name=f"Student {n}") for n in range(6)]
    for n in range(9):
        top = factories.comment(post, people[n % 6], SENTENCE * (1 + n % 3))
        reply = factories.comment(post, people[(n + 1) % 6], SENTENCE, parent=top)
        factories.comment(post, people[(n + 2) % 6], SENTENCE * 2, parent=reply)
        factories.comment(post, people[(n + 3) % 6], SENTENCE, parent=top)
    viewer = factories.member(course)
    heights = {}
    for width in (1280, PHONE_WIDTH):
        page = new_page(width=width, height=800)
        _log_in(page, viewer)
        page.goto(_url(post))
        expect(page.locator("ol.comment-list li.comment")).to_have_count(36)
        expanded = page.evaluate("document.documentElement.scrollHeight")
        page.get_by_role("button", name="Collapse all replies").click()
        expect(page.locator("ol.comment-list li.comment:visible")).to_have_count(9)
        collapsed = page.evaluate("document.documentElement.scrollHeight")
        heights[width] = (expanded, collapsed)
        assert collapsed < expanded * 0.6
    print("\n36-comment thread, page height px (expanded, top-level collapsed):", heights)
