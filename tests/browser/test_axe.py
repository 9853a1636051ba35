"""axe-core in Chromium on every kind of page, as a student and as an instructor, on a desktop and on a phone.

The pages are found by walking the seeded demo through the test client, as tests/test_site_walk.py does, and reduced
to one URL per route endpoint and kind of post, so a new page is checked as soon as a link leads to it. Any serious or
critical violation fails. axe-core comes bundled with axe-playwright-python (nothing is fetched).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import current_app
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from board.extensions import db
from board.models import Comment, Post, User
from board.notifications.services import unsubscribe_token
from board.seeding import DEMO_PASSWORD
from tests.browser.test_end_to_end import log_in
from tests.test_site_walk import _walk

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)
LOGGED_OUT = ["/login", "/register", "/register/sent"]
# Reached through the search box (a form, which the walk does not submit): results, filters open, a refused query.
SEARCH = [
    "/c/hist-3644/search?q=gulag+or+camp",
    "/c/hist-3644/search?q=%22labor+camp%22&kind=response&since=2000-01-01",
    "/c/hist-3644/search?q=-only",
]
_axe = Axe()


def _kind(endpoint: str, args: dict) -> str:
    """What a page shows, beyond its endpoint: the kind of post (reading, response; draft or published)."""
    if "post_id" in args:
        post = db.session.get(Post, args["post_id"])
        return f"{post.kind}:{post.status}" if post else "missing"
    if "comment_id" in args:
        comment = db.session.get(Comment, args["comment_id"])
        return comment.post.kind if comment else "missing"
    return ""


def pages_of_each_kind(make_visitor, email: str) -> list[str]:
    """One URL per (endpoint, kind) among the pages this person reaches from the dashboard."""
    visitor = make_visitor()
    assert visitor.login(email, DEMO_PASSWORD).status_code == 302
    adapter = current_app.url_map.bind("localhost")
    chosen: dict[tuple[str, str], str] = {}
    for url, status in sorted(_walk(visitor, "/courses").items()):
        if status != 200:
            continue
        try:
            endpoint, args = adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:
            continue
        chosen.setdefault((endpoint, _kind(endpoint, args)), url)
    # Pages only: downloads (the desk's CSVs) have nothing for axe to check.
    return sorted(url for url in chosen.values() if visitor.get(url).mimetype == "text/html")


def _serious(results) -> list[str]:
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            for node in violation["nodes"]:
                found.append(
                    f"{violation['id']} ({violation['impact']}): {node['target']} {node.get('failureSummary', '')}"
                )
    return found


def _check(page, urls: list[str]) -> list[str]:
    """Serious and critical violations on each page, at each width (one load per page; axe reruns after a resize)."""
    problems = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(url)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            problems += [f"{url} at {width}px: {p}" for p in _serious(_axe.run(page))]
    return problems


def _unsubscribe_page(email: str) -> str:
    """The page an email's unsubscribe link opens (signed out)."""
    user = db.session.scalar(select(User).where(User.email == email))
    return f"/unsubscribe/{unsubscribe_token(user)}"


@pytest.mark.parametrize("email", ["student3@example.edu", "instructor@example.edu"])
def test_every_page_has_no_serious_accessibility_violations(new_page, demo_course, make_visitor, email):
    urls = pages_of_each_kind(make_visitor, email)
    assert len(urls) >= 10, urls
    urls += SEARCH
    assert "/notifications" in urls and f"/c/{demo_course.slug}/notifications" in urls
    page = new_page(width=WIDTHS[0])
    problems = _check(page, LOGGED_OUT + [_unsubscribe_page(email)])
    log_in(page, email)
    problems += _check(page, urls)
    print(f"{email}: {len(urls)} pages checked at {WIDTHS}: {urls}")
    assert not problems, "\n".join(problems)


def test_feed_links_and_previews_have_no_serious_accessibility_violations(new_page, demo_course):
    """The pages as someone with feeds on sees them, and a composer with its live preview showing."""
    from board.feeds import tokens
    from board.models import User

    tokens.renew(db.session.scalar(db.select(User).where(User.email == "student3@example.edu")))
    page = new_page(width=WIDTHS[0])
    log_in(page, "student3@example.edu")
    post = db.session.scalar(db.select(Post).where(Post.kind == "response").order_by(Post.id))
    page.goto(f"/c/hist-3644/posts/{post.id}")
    assert page.locator("a.feed-link[href$='/comments.atom']").count() == 1  # the page as checked has its feed link
    problems = _check(page, ["/account", "/c/hist-3644/", f"/c/hist-3644/posts/{post.id}", "/c/hist-3644/formatting"])
    page.locator("textarea[name=body]").fill("*Emphasis*, a [link](https://example.org) and\n\n> a quotation")
    page.locator("#body-preview em").wait_for()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems += [f"formatting preview at {width}px: {p}" for p in _serious(_axe.run(page))]
    assert not problems, "\n".join(problems)
