"""Notification excerpts are plain text: Markdown rendered, its markup dropped, cut at a word, on the notifications
page, in email and in digests."""

from __future__ import annotations

import pytest

from board.markdown import excerpt, render_markdown
from board.models import Role
from tests import factories
from tests.notifications.test_email import choose
from tests.notifications.test_notifications import comment

MARKDOWN = """### A heading

Be a good *neighbour*, read [the notes](https://example.org/notes) and `run()` this:

    print("code")
"""
PLAIN = 'A heading — Be a good neighbour, read the notes and run() this: print("code")'


@pytest.fixture
def thread(app):
    course = factories.course(factories.user("Iris Instructor"))
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, ada, reading, title="Ada's response")
    return course, ada, bo, response


def test_excerpt_drops_markdown_and_cuts_at_a_word():
    html = render_markdown(MARKDOWN)
    assert excerpt(html) == PLAIN
    assert excerpt(render_markdown("one two three four"), limit=12) == "one two…"
    assert excerpt(render_markdown("x" * 30), limit=10) == "x" * 9 + "…"  # one long word: cut where it must be
    assert excerpt(render_markdown("# Only a heading")) == "Only a heading"


def test_the_notifications_page_shows_the_excerpt_as_plain_text(thread, make_visitor):
    _course, ada, bo, response = thread
    comment(make_visitor(bo), response, MARKDOWN)
    page = make_visitor(ada).get("/notifications").get_data(as_text=True)
    assert "Be a good neighbour, read the notes and run() this:" in page
    assert "*neighbour*" not in page and "###" not in page and "](https://" not in page


def test_email_excerpts_are_plain_text(thread, make_visitor, inbox):
    course, ada, bo, response = thread
    choose(ada, course, "comment", "now")
    comment(make_visitor(bo), response, MARKDOWN)
    [message] = inbox.messages(ada.email)
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "Be a good neighbour, read the notes" in body and "*neighbour*" not in body and "###" not in body
