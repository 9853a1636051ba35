"""Drafts survive every failed send, in a real browser: a draft goes only once the page after a successful post
confirms the item it made (board/posts/submissions.py); a login on the way, a proxy's error page and a lost
connection keep it, for a comment and for a response."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from board.extensions import db
from board.models import Comment, Post
from tests import factories

pytestmark = pytest.mark.browser

PROXY_503 = "<!doctype html><title>503 Service Unavailable</title><h1>503 Service Unavailable</h1><p>nginx</p>"
DRAFTS = "Object.keys(localStorage).filter(k => k.startsWith('board-draft:')).length"


@dataclass(frozen=True)
class Composer:
    """One kind of composer: where it is (for a reading), what is typed into which field, its button, and the URL its
    form posts to."""

    name: str
    path: Callable[[Post], str]
    typed: dict[str, str]  # field selector -> text
    button: str
    target: str  # a page.route glob

    def fill(self, page: Page) -> None:
        for selector, text in self.typed.items():
            page.locator(selector).fill(text)

    def expect_text(self, page: Page, *, empty: bool = False) -> None:
        for selector, text in self.typed.items():
            expect(page.locator(selector)).to_have_value("" if empty else text)

    def send(self, page: Page) -> None:
        page.get_by_role("button", name=self.button).click()

    def made(self) -> int:
        """How many items the typed text made."""
        db.session.expire_all()
        model = Comment if self.name == "comment" else Post
        return db.session.query(model).filter_by(body_md=self.body).count()

    @property
    def body(self) -> str:
        return next(text for selector, text in self.typed.items() if "body" in selector)


COMMENT = Composer(
    "comment",
    lambda reading: f"/c/{reading.course.slug}/posts/{reading.id}",
    {"#comment-form textarea[name=body]": "Written before the session ended: the caption reads as irony."},
    "Post comment",
    "**/posts/*/comments",
)
RESPONSE = Composer(
    "response",
    lambda reading: f"/c/{reading.course.slug}/readings/{reading.id}/respond",
    {"input[name=title]": "Panin on solidarity", "textarea[name=body]": "A response typed through a failed send."},
    "Publish",
    "**/readings/*/respond",
)
COMPOSERS = pytest.mark.parametrize("composer", [COMMENT, RESPONSE], ids=lambda c: c.name)


@dataclass(frozen=True)
class Writer:
    email: str
    reading: Post


@pytest.fixture
def writer() -> Writer:
    """A student of a small course with one reading to comment on and respond to (factories: quicker than the demo)."""
    course = factories.course()
    student = factories.member(course)
    return Writer(student.email, factories.reading(course, title="Solidarity"))


def log_in(page: Page, email: str, then: str = "/courses") -> None:
    page.goto(f"/login?next={then}")
    log_in_again(page, email)
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))
    # The URL changes before the page's deferred scripts run; typing earlier would miss board.js's draft keeping.
    page.wait_for_load_state("load")


def log_in_again(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def start_writing(new_page, writer: Writer, composer: Composer) -> tuple[Page, str]:
    """Log in, open the composer and type into it; returns the page and the URL of the page being written on."""
    page = new_page()
    log_in(page, writer.email, then=composer.path(writer.reading))
    composer.fill(page)
    return page, page.url


def on_posts_to(page: Page, composer: Composer, answer: Callable[[Route], None]) -> None:
    """Answer the form's posts with `answer` (a proxy or a network in the way); its page loads go through."""
    page.route(composer.target, lambda route: answer(route) if route.request.method == "POST" else route.fallback())


def made_then_answer_lost(page: Page) -> Callable[[Route], None]:
    """A post the server receives and saves, whose answer (cookies and all) is lost to a connection reset."""

    def answer(route: Route) -> None:
        cookies = page.context.cookies()
        route.fetch(max_redirects=0)
        page.context.clear_cookies()
        page.context.add_cookies(cookies)
        route.abort("connectionreset")

    return answer


def drafts_gone(page: Page, timeout: float = 10) -> None:
    """Wait until no draft is kept. Polled with page.evaluate: wait_for_function compiles its string predicate in
    the page, which the Content-Security-Policy (no 'unsafe-eval') refuses now and then."""
    deadline = time.monotonic() + timeout
    while page.evaluate(DRAFTS) != 0:
        assert time.monotonic() < deadline, "the draft was still kept after the post was made"
        page.wait_for_timeout(50)


def expect_posted_once_and_the_draft_gone(page: Page, composer: Composer, writing_url: str) -> None:
    """Sent now, the text makes one item; the composer is empty afterwards, and stays so after a reload."""
    composer.send(page)
    expect(page.locator("main").get_by_text(composer.body)).to_have_count(1)
    assert composer.made() == 1
    drafts_gone(page)  # board.js runs once the page is parsed, after the text can be seen
    if page.url.split("#")[0] != writing_url:
        page.goto(writing_url)
    composer.expect_text(page, empty=True)
    page.reload()
    composer.expect_text(page, empty=True)


def send_then_log_in_again(page: Page, writer: Writer, composer: Composer, writing_url: str) -> None:
    """Sent after the session ended: the login page, then the page written on with the text, which then posts once."""
    composer.send(page)
    log_in_again(page, writer.email)
    expect(page).to_have_url(writing_url)
    composer.expect_text(page)
    expect_posted_once_and_the_draft_gone(page, composer, writing_url)


@COMPOSERS
def test_logged_out_in_another_tab_then_post_the_text_is_back_after_logging_in(new_page, writer, composer):
    page, writing_url = start_writing(new_page, writer, composer)
    other = page.context.new_page()
    other.goto("/courses")
    other.get_by_role("button", name="Log out").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Log in")
    other.close()

    send_then_log_in_again(page, writer, composer, writing_url)


@COMPOSERS
def test_session_ended_from_another_browser_then_post_the_text_is_back_after_logging_in(new_page, writer, composer):
    page, writing_url = start_writing(new_page, writer, composer)
    elsewhere = new_page()
    log_in(elsewhere, writer.email, then="/account")
    elsewhere.get_by_role("button", name="Log out everywhere else").click()
    expect(elsewhere.get_by_text(re.compile(r"Logged out everywhere else \(1 session\)"))).to_be_visible()
    send_then_log_in_again(page, writer, composer, writing_url)


@COMPOSERS
def test_a_proxys_503_then_back_keeps_the_text(new_page, writer, composer):
    page, writing_url = start_writing(new_page, writer, composer)
    on_posts_to(page, composer, lambda route: route.fulfill(status=503, content_type="text/html", body=PROXY_503))
    composer.send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("503 Service Unavailable")
    page.unroute(composer.target)

    page.go_back()
    expect(page).to_have_url(writing_url)
    composer.expect_text(page)
    page.reload()  # still a draft, not only what the back-forward cache kept on screen
    composer.expect_text(page)
    assert composer.made() == 0
    expect_posted_once_and_the_draft_gone(page, composer, writing_url)


@COMPOSERS
def test_a_connection_reset_then_reload_keeps_the_text(new_page, writer, composer):
    page, writing_url = start_writing(new_page, writer, composer)
    on_posts_to(page, composer, lambda route: route.abort("connectionreset"))
    composer.send(page)
    expect(page).to_have_url(re.compile(r"^chrome-error://"))
    with pytest.raises(PlaywrightError, match="ERR_CONNECTION_RESET"):
        page.reload()  # sends the form again: the connection is still down
    page.unroute(composer.target)

    page.goto(writing_url)  # the page written on, loaded again
    composer.expect_text(page)
    assert composer.made() == 0
    expect_posted_once_and_the_draft_gone(page, composer, writing_url)


@COMPOSERS
def test_an_answer_lost_after_the_item_was_made_then_post_again_makes_one_item(new_page, writer, composer):
    """The server made the item, then the connection reset before its answer: nothing confirmed it, so the text is
    still there, and sent again it carries its first submission key, which the server knows (one item, not two)."""
    page, writing_url = start_writing(new_page, writer, composer)
    on_posts_to(page, composer, made_then_answer_lost(page))
    composer.send(page)
    expect(page).to_have_url(re.compile(r"^chrome-error://"))
    page.unroute(composer.target)
    assert composer.made() == 1

    page.goto(writing_url)
    composer.expect_text(page)
    expect_posted_once_and_the_draft_gone(page, composer, writing_url)


@COMPOSERS
def test_a_successful_post_removes_its_draft(new_page, writer, composer):
    page, writing_url = start_writing(new_page, writer, composer)
    page.reload()
    composer.expect_text(page)
    assert page.evaluate(DRAFTS) == 1
    expect_posted_once_and_the_draft_gone(page, composer, writing_url)


def test_a_restored_draft_changed_before_sending_is_a_new_comment(new_page, writer):
    """A restored draft carries the key of its first send; once the text changes it is new, and takes the page's own
    key, so the server does not return the first comment in its place (which would drop the change)."""
    page, writing_url = start_writing(new_page, writer, COMMENT)
    on_posts_to(page, COMMENT, made_then_answer_lost(page))
    COMMENT.send(page)
    expect(page).to_have_url(re.compile(r"^chrome-error://"))
    page.unroute(COMMENT.target)
    page.goto(writing_url)
    COMMENT.expect_text(page)
    box = page.locator("#comment-form textarea[name=body]")
    box.press("End")
    box.type(" On second thought, also the date.")
    COMMENT.send(page)
    expect(page.locator("ol.comment-list > li.comment")).to_have_count(2)
    expect(page.locator("main").get_by_text("On second thought, also the date.")).to_have_count(1)
    expect(box).to_have_value("")
