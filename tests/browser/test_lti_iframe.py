"""Board inside an LMS's iframe, in Chromium with third-party cookies blocked: the launch's partitioned state
cookie gets the launch through, Board's own session cookie cannot be set in the frame, so the frame offers "Open
Board in a new window", and the new window signs in through the LMS (a first launch: the person chooses a new Board
account there) and lands in the course."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from board.extensions import db
from board.lti import registration
from board.lti.demo_platform import LEARNER, DemoPlatform
from board.lti.models import LtiAccount, LtiContext
from tests import factories

from .conftest import CHROMIUM, CHROMIUM_ARGS

LMS_HOST = "lms.test"  # another site than Board's 127.0.0.1, so Board in its iframe is third-party

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def blocking_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium that blocks third-party cookies (partitioned ones, CHIPS, still work) and resolves the LMS's host;
    launched by the session's Playwright (a second Playwright may not start in the same thread)."""
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LMS_HOST} 127.0.0.1", "--test-third-party-cookie-phaseout"]
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def framing_platform(live_server) -> Iterator[DemoPlatform]:
    platform = DemoPlatform(public_host=LMS_HOST)
    platform.tool_url = live_server
    platform.start()
    yield platform
    platform.stop()


def test_board_in_an_lms_iframe_opens_in_a_new_window_and_signs_in_there(blocking_browser, framing_platform):
    registration.add_platform(**framing_platform.registration_values())
    platform_row = registration.find_platform(framing_platform.issuer, None)
    course = factories.course(factories.user("Iris Instructor"), title="History 101 on Board")
    db.session.add(LtiContext(platform_id=platform_row.id, context_id="course-101", course_id=course.id))
    db.session.commit()
    login_url = framing_platform.launch_spec("student-1", LEARNER, name="Grace Hopper")

    context = blocking_browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{framing_platform.public_url}/course?launch={quote(login_url, safe='')}")
    frame = page.frame_locator("iframe")
    new_window = frame.get_by_role("link", name="Open Board in a new window")
    expect(new_window).to_be_visible()
    # The launch itself got through in the frame (its partitioned state cookie came back): a first launch, so Board
    # kept the checked identity and sent the frame on to the identity page, where no choice can be signed in.
    assert "/lti/identity/" in page.frames[1].url
    assert db.session.scalar(select(func.count()).select_from(LtiAccount)) == 0
    with page.expect_popup() as opened:
        new_window.click()
    board = opened.value
    board.get_by_role("button", name="Use a new Board account").click()
    board.wait_for_url(re.compile(rf"/c/{course.slug}/$"))
    expect(board.get_by_role("heading", name="History 101 on Board")).to_be_visible()
    expect(board.get_by_text("Log out")).to_be_attached()
    assert db.session.scalar(select(func.count()).select_from(LtiAccount)) == 1
    context.close()
