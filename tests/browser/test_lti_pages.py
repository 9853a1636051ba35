"""axe-core on the LTI pages, reached as a person reaches them from the demo LMS in Chromium: the "not set up yet"
refusal, an instructor's course setup, the roster's LMS card, the grading page's LMS column, deep linking and its
answer, "Open Board in a new window", and the site admin's platforms page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from board.auth import services as accounts
from board.extensions import db
from board.lti import registration
from board.lti.demo_platform import INSTRUCTOR, DemoPlatform
from board.models import Course
from board.seeding import DEMO_PASSWORD
from tests import factories

from .test_axe import run_axe

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_lms(live_server) -> Iterator[DemoPlatform]:
    platform = DemoPlatform()
    platform.tool_url = live_server
    platform.start()
    yield platform
    platform.stop()


def _clean(page, what: str) -> None:
    problems = run_axe(page)
    assert not problems, f"{what}:\n" + "\n".join(problems)


def test_lti_pages_have_no_serious_accessibility_violations(new_page, demo_lms):
    demo_lms.reset()
    registration.add_platform(**demo_lms.registration_values())
    page = new_page()

    page.goto(demo_lms.url + "/demo/launch?as=student")
    expect(page.get_by_role("heading", name="Board could not open from your LMS")).to_be_visible()
    _clean(page, "refused (course not set up)")

    page.goto(demo_lms.url + "/demo/launch?as=instructor")
    expect(page.get_by_role("heading", name=re.compile("Welcome, "))).to_be_visible()
    _clean(page, "first launch: which account")
    page.get_by_role("button", name="Use a new Board account").click()
    expect(page.get_by_role("heading", name=re.compile("Set up Board for"))).to_be_visible()
    _clean(page, "course setup")
    page.get_by_role("button", name="Continue").click()
    course = db.session.scalar(select(Course))
    expect(page).to_have_url(re.compile(rf"/c/{course.slug}/$"))

    page.goto(f"/c/{course.slug}/roster")
    expect(page.get_by_role("heading", name="From your LMS")).to_be_visible()
    _clean(page, "roster with its LMS card")

    reading = factories.reading(course, title="Week 1", max_points=10)
    page.goto(f"/c/{course.slug}/readings/{reading.id}/grades")
    expect(page.get_by_role("columnheader", name="LMS gradebook")).to_be_visible()
    _clean(page, "grades list with the LMS column")

    page.goto(demo_lms.launch_spec("demo-instructor", INSTRUCTOR, name="Ada Instructor", deep_link=True))
    expect(page.get_by_role("heading", name="Choose what this LMS link opens")).to_be_visible()
    _clean(page, "deep linking choice")
    page.get_by_label("Week 1 · graded out of 10").check()
    page.get_by_role("button", name="Add the link to the LMS").click()
    expect(page.get_by_role("heading", name="Back to your LMS")).to_be_visible()
    _clean(page, "deep linking answer")

    signed_out = new_page()
    signed_out.goto("/lti/signed-in?iss=https%3A%2F%2Flms.example&login_hint=x")
    expect(signed_out.get_by_role("link", name="Open Board in a new window")).to_be_visible()
    _clean(signed_out, "open in a new window")

    admin = accounts.create_user("lti-admin@example.edu", "Site Admin", DEMO_PASSWORD, is_admin=True)
    admin_page = new_page()
    admin_page.goto("/login")
    admin_page.get_by_label("Email").fill(admin.email)
    admin_page.get_by_label("Password").fill(DEMO_PASSWORD)
    admin_page.get_by_role("button", name="Log in").click()
    expect(admin_page).to_have_url(re.compile(r"/courses$"))
    admin_page.goto("/admin/lti/")
    expect(admin_page.get_by_role("heading", name="LMS platforms (LTI 1.3)")).to_be_visible()
    _clean(admin_page, "admin platforms page")
