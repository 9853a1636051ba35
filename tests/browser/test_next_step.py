"""In Chromium: the next-step box and its button are on screen without scrolling on a desktop and on a phone, and
the response composer counts words live, by the server's own rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.markdown import word_count
from board.models import Post, PostKind, User

from .test_end_to_end import PHONE_WIDTH, STUDENT, log_in

pytestmark = pytest.mark.browser

# Markdown, links, hyphens, apostrophes, dashes, CJK, and every character Python's str.split() and JavaScript's \s
# disagree on (U+001C–U+001F and U+0085 split in Python only; U+FEFF splits in JavaScript only; U+200B in neither).
TRICKY = [
    "",
    "   ",
    "one",
    "  Two  words  ",
    "**Bold** and _italic_ and `code`",
    "[a link](https://example.org/x y) and <https://example.org>",
    "well-known co-operation — an em-dash—joined and – en dash",
    "don't can’t “quoted” 'single'",
    "line\nbreak\r\nwindows\ttab",
    "## Heading\n\n- item one\n- item two\n\n> quoted text",
    "日本語の文章です。 中文 한국어",
    "non\u00a0breaking thin\u2009space ideographic\u3000space",
    "file\x1cgroup\x1drecord\x1eunit\x1fsep next\x85line",
    "zero\u200bwidth bom\ufeffinside",
    "emoji 👩‍🔬 and 🇫🇷 flags",
    "para\u2028line\u2029sep narrow\u202fnbsp math\u205fspace ogham\u1680mark",
]


def _unresponded_reading(email: str) -> Post:
    user = db.session.scalar(db.select(User).where(User.email == email))
    answered = db.select(Post.reading_id).where(Post.author_id == user.id, Post.reading_id.is_not(None))
    return db.session.scalar(
        db.select(Post).where(Post.kind == PostKind.READING, Post.id.not_in(answered)).order_by(Post.id)
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (PHONE_WIDTH, 740)])
def test_next_step_button_is_above_the_fold(new_page, demo_course, width, height):
    reading = _unresponded_reading(STUDENT)
    page = new_page(width=width, height=height)
    log_in(page, STUDENT)
    page.goto(f"/c/{reading.course.slug}/posts/{reading.id}")
    box = page.locator("#next-step")
    button = box.get_by_role("link", name="Write your response")
    expect(button).to_be_visible()
    bottom = button.evaluate("(el) => el.getBoundingClientRect().bottom")
    top = button.evaluate("(el) => el.getBoundingClientRect().top + window.scrollY")
    print(f"\nnext-step button at {width}x{height}: top {top:.0f} px, bottom {bottom:.0f} px")
    assert bottom < height, f"the button ends at {bottom:.0f} px, below the {height} px viewport"
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a response")


def test_word_count_is_live_and_counts_as_the_server_does(new_page, demo_course):
    reading = _unresponded_reading(STUDENT)
    reading.responses_hidden_until_posted, reading.unlock_min_words = True, 100
    db.session.commit()
    page = new_page()
    log_in(page, STUDENT)
    page.goto(f"/c/{reading.course.slug}/readings/{reading.id}/respond")
    expect(page.get_by_text("At least 100 words to see classmates’ responses.")).to_be_visible()
    count = page.locator(".word-count")
    expect(count).to_have_attribute("aria-live", "polite")
    expect(count).to_have_text("0 / 100 words")
    body = page.get_by_label("Your response")
    body.press_sequentially("Gulag memoirs — don't")
    expect(count).to_have_text("4 / 100 words")  # the server's rule: a spaced dash is a word too
    body.press_sequentially(" overlook co-operation")
    expect(count).to_have_text("6 / 100 words")
    body.fill("word " * 100)
    expect(count).to_have_text("100 / 100 words: enough to unlock")

    counted = page.evaluate("(texts) => texts.map((t) => BoardWords.count(t))", TRICKY)
    assert counted == [word_count(text) for text in TRICKY]
