"""axe-core in Chromium on every kind of page, as a student and as an instructor, on a desktop and on a phone, in the
light and the dark colour scheme.

The pages are found by walking the seeded demo through the test client, as tests/test_site_walk.py does, keeping one
URL per route endpoint and kind of post, so a new page is checked as soon as a link leads to it. Any serious or
critical violation fails, and so does heading-order (moderate) on any page. axe-core comes bundled with
axe-playwright-python (nothing is fetched); it is injected once per page load and rerun after each resize or change of
scheme. The dark scheme only redefines colours (board.css's custom properties), so after a full run in the light one
the dark one reruns axe's colour rules at each width.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

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

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)
SCHEMES = ("light", "dark")
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
LOGGED_OUT = ["/login", "/register", "/register/sent"]
# Reached through the search box (a form, which the walk does not submit): results, filters open, a refused query.
SEARCH = [
    "/c/hist-3644/search?q=gulag+or+camp",
    "/c/hist-3644/search?q=%22labor+camp%22&kind=response&since=2000-01-01",
    "/c/hist-3644/search?q=-only",
]
# The page kinds each role must reach (the walk finds more): a page missing here means a link to it went missing.
EVERYONE = {
    "courses.dashboard",
    "courses.home",
    "posts.show:reading:published",
    "posts.show:response:published",
    "courses.person",
    "notifications.index",
    "notifications.preferences",
    "auth.account",
}
EXPECTED = {
    "student1@example.edu": EVERYONE | {"grading.my_work"},
    "instructor@example.edu": EVERYONE
    | {"desk.dashboard", "desk.responses", "grading.grades", "grading.grade", "courses.roster", "courses.settings"},
}
_HREF = re.compile(r'href="([^"]+)"')
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


def pages_of_each_kind(make_visitor, email: str) -> dict[str, str]:
    """One URL per (endpoint, kind) among the pages this person reaches from the dashboard, keyed "endpoint:kind".

    Breadth-first over same-site links, fetching only the first URL of each kind: the pages of a kind link to the
    same kinds, and fetching every post and comment would cost the walk most of its time."""
    visitor = make_visitor()
    assert visitor.login(email, DEMO_PASSWORD).status_code == 302
    adapter = current_app.url_map.bind("localhost")
    chosen: dict[str, str] = {}
    queue, seen = ["/courses"], set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            endpoint, args = adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:
            continue
        key = f"{endpoint}:{_kind(endpoint, args)}".rstrip(":")
        if key in chosen:
            continue
        response = visitor.client.get(url)
        # Pages only: downloads (the desk's CSVs, the My work file) have nothing for axe to check.
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        if response.headers.get("Content-Disposition", "").startswith("attachment"):
            continue
        chosen[key] = url
        for href in _HREF.findall(response.get_data(as_text=True)):
            href = urldefrag(urljoin(url, href.replace("&amp;", "&"))).url  # post pages link relatively
            if href.startswith("/") and not href.startswith(("//", "/static/")) and href not in seen:
                queue.append(href)
    return chosen


def _failing(results: dict) -> list[str]:
    """Serious and critical violations, and any heading-order one."""
    found = []
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical") or violation["id"] == "heading-order":
            for node in violation["nodes"]:
                found.append(
                    f"{violation['id']} ({violation['impact']}): {node['target']} {node.get('failureSummary', '')}"
                )
    return found


def run_axe(page, rules: list[str] | None = None) -> list[str]:
    """axe on the page as it is now (injected once per load), all rules or only `rules`; the failing violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    return _failing(page.evaluate("options => axe.run(document, options)", options))


def _check(page, urls: list[str]) -> list[str]:
    """Failing violations on each page at each width in each scheme (one load per page)."""
    problems = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.emulate_media(color_scheme=SCHEMES[0])
        response = page.goto(url)
        assert response is not None and response.status in (200, 422), f"{url}: {response and response.status}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for scheme in SCHEMES if width == WIDTHS[0] else reversed(SCHEMES):
                page.emulate_media(color_scheme=scheme)
                rules = None if scheme == SCHEMES[0] else COLOUR_RULES
                problems += [f"{url} at {width}px, {scheme}: {p}" for p in run_axe(page, rules)]
    return problems


def _unsubscribe_page(email: str) -> str:
    """The page an email's unsubscribe link opens (signed out)."""
    user = db.session.scalar(select(User).where(User.email == email))
    return f"/unsubscribe/{unsubscribe_token(user)}"


def _switch_page(email: str, course) -> str:
    """The page a batched email's one-click "change how these come" link opens (signed out), with a token minted as
    notifications.batches does for its emails."""
    from board.models import Course
    from board.notifications.batches import SWITCHES, switch_token

    user = db.session.scalar(select(User).where(User.email == email))
    course = db.session.scalar(select(Course).where(Course.slug == course.slug))
    token = switch_token(user, course, ["comment", "watched"], SWITCHES[1])
    return f"/notifications/switch/{token}"


def _history_page(course) -> str:
    """A student's comment edited once, so its "Earlier versions" page exists (for its author and staff)."""
    from board.models import CommentRevision, utcnow

    student = db.session.scalar(select(User).where(User.email == "student1@example.edu"))
    comment = db.session.scalar(
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == student.id, Comment.deleted_at.is_(None), Comment.visibility == "visible")
        .where(Post.status == "published", Post.deleted_at.is_(None), Post.visibility == "visible")
        .order_by(Comment.id)
    )
    db.session.add(CommentRevision(comment_id=comment.id, editor_id=student.id, body_md=comment.body_md))
    comment.body_md += " (An afterthought.)"
    comment.edited_at = utcnow()
    db.session.commit()
    return f"/c/{course.slug}/comments/{comment.id}/revisions"


def _release_check_page(course) -> str:
    """The instructor's "Release grades" check (who is ungraded, grades without a response) before it asks."""
    reading = db.session.scalar(
        select(Post).where(Post.kind == "reading", Post.status == "published").order_by(Post.id)
    )
    return f"/c/{course.slug}/readings/{reading.id}/grades/release"


@pytest.mark.parametrize("email", ["student1@example.edu", "instructor@example.edu"])
def test_every_page_kind_is_clean_at_both_widths_in_both_schemes(new_page, demo_course, make_visitor, email):
    kinds = pages_of_each_kind(make_visitor, email)
    missing = EXPECTED[email] - set(kinds)
    assert not missing, f"{email} no longer reaches {sorted(missing)}"
    urls = sorted(kinds.values()) + SEARCH + [_history_page(demo_course)]
    if email.startswith("instructor"):
        urls.append(_release_check_page(demo_course))
    assert "/notifications" in urls and f"/c/{demo_course.slug}/notifications" in urls
    page = new_page(width=WIDTHS[0])
    problems = _check(page, LOGGED_OUT + [_unsubscribe_page(email), _switch_page(email, demo_course)])
    log_in(page, email)
    problems += _check(page, urls)
    print(f"{email}: {len(urls)} pages checked at {WIDTHS} in {SCHEMES}: {urls}")
    assert not problems, "\n".join(problems)


def test_feed_links_and_previews_have_no_serious_accessibility_violations(new_page, demo_course):
    """The pages as someone with feeds on sees them, and a composer with its live preview showing."""
    from board.feeds import tokens
    from board.models import User

    tokens.renew(db.session.scalar(db.select(User).where(User.email == "student1@example.edu")))
    page = new_page(width=WIDTHS[0])
    log_in(page, "student1@example.edu")
    post = db.session.scalar(db.select(Post).where(Post.kind == "response").order_by(Post.id))
    page.goto(f"/c/hist-3644/posts/{post.id}")
    assert page.locator("a.feed-link[href$='/comments.atom']").count() == 1  # the page as checked has its feed link
    problems = _check(page, ["/account", "/c/hist-3644/", f"/c/hist-3644/posts/{post.id}", "/c/hist-3644/formatting"])
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.emulate_media(color_scheme=SCHEMES[0])
    page.locator("textarea[name=body]").fill("*Emphasis*, a [link](https://example.org) and\n\n> a quotation")
    page.locator("#body-preview em").wait_for()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            rules = None if scheme == SCHEMES[0] else COLOUR_RULES
            problems += [f"formatting preview at {width}px, {scheme}: {p}" for p in run_axe(page, rules)]
    assert not problems, "\n".join(problems)
