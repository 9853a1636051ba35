"""In a real browser: a student @mentions a classmate in a comment (with name completion), the classmate sees the
count in the header, opens the notification and lands on the comment, marked new."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_end_to_end import log_in, open_course

pytestmark = pytest.mark.browser

WRITER = "student3@example.edu"  # Hannah Kim
MENTIONED = "student1@example.edu"  # Emily Carter


def test_mention_with_completion_reaches_the_classmate_who_lands_on_the_comment_marked_new(new_page, demo_course):
    reader = new_page()
    log_in(reader, MENTIONED)
    reader.get_by_role("link", name="Notifications").click()
    reader.get_by_role("button", name="Mark all read").click()
    expect(reader.locator(".count-badge")).to_have_count(0)

    writer = new_page()
    log_in(writer, WRITER)
    open_course(writer)
    writer.get_by_role("link", name="Solidarity: Dimitri Panin").click()
    box = writer.locator("#comment-form textarea[name=body]")
    box.click()
    box.press_sequentially("What do you make of this, @Emi")
    option = writer.get_by_role("option", name="Emily Carter")
    expect(option).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("What do you make of this, @Emily Carter ")
    box.press_sequentially("and Panin calls it solidarity.")
    writer.get_by_role("button", name="Post comment").click()
    expect(writer.get_by_text("Panin calls it solidarity.")).to_be_visible()

    reader.goto("/courses")
    expect(reader.locator(".notifications-link .count-badge")).to_have_text(re.compile(r"^1\s*unread$"))
    reader.get_by_role("link", name=re.compile("Notifications")).click()
    reader.get_by_role("button", name="Hannah Kim mentioned you in a comment on “Solidarity: Dimitri Panin”").click()
    expect(reader).to_have_url(re.compile(r"/posts/\d+#comment-(\d+)$"))
    anchor = reader.url.rsplit("#", 1)[1]
    comment = reader.locator(f"li#{anchor}")
    expect(comment).to_contain_text("What do you make of this, @Emily Carter and Panin calls it solidarity.")
    expect(comment).to_be_in_viewport()
    expect(reader.locator(".count-badge")).to_have_count(0)
    # The comment is new to the reader: marked so, and the top of the page jumps to it.
    expect(comment.locator(".new-mark")).to_be_visible()
    expect(reader.get_by_role("link", name="Jump to first new")).to_have_attribute("href", f"#{anchor}")
