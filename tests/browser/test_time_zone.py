"""The time zone in a real browser: the first page after logging in reports the browser's zone once (a POST), and
from then on the server's times and the script's agree on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import Role
from tests import factories

pytestmark = pytest.mark.browser


def test_the_browser_reports_its_zone_once_and_times_then_read_in_it(browser, live_server):
    course = factories.course(factories.user("Iris Instructor"))
    student = factories.member(course, Role.STUDENT, "Ada Lovelace")
    reading = factories.reading(course, title="The reading")
    note = factories.comment(reading, factories.instructor_of(course), "Timed.")
    note.created_at = datetime(2026, 12, 10, 4, 59, tzinfo=UTC)
    db.session.commit()

    context = browser.new_context(base_url=live_server, timezone_id="America/Chicago", locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    zone_posts = []
    page.on("request", lambda r: zone_posts.append(r.method) if r.url.endswith("/account/time-zone") else None)
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(student.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/courses")
        page.wait_for_load_state("networkidle")
        assert zone_posts == ["POST"]
        db.session.expire_all()
        assert factories.reload(student).time_zone == "America/Chicago"

        page.goto(f"/c/{course.slug}/posts/{reading.id}")
        page.wait_for_load_state("networkidle")
        assert zone_posts == ["POST"], "asked once"
        stamp = page.locator(f"#comment-{note.id} time").first
        expect(page.locator("body")).to_have_attribute("data-zone", "America/Chicago")
        # The server wrote it in Chicago time (its title keeps that text); the script shows the same instant there.
        expect(stamp).to_have_attribute("title", "Dec 9, 2026, 10:59 PM CST")
        expect(stamp).to_have_text("Dec 9, 2026, 10:59 PM")

        # Without the script, the server's text is what a person reads.
        bare = browser.new_context(base_url=live_server, java_script_enabled=False)
        bare_page = bare.new_page()
        bare_page.goto("/login")
        bare_page.get_by_label("Email").fill(student.email)
        bare_page.get_by_label("Password").fill(factories.PASSWORD)
        bare_page.get_by_role("button", name="Log in").click()
        bare_page.goto(f"/c/{course.slug}/posts/{reading.id}")
        expect(bare_page.locator(f"#comment-{note.id} time").first).to_have_text("Dec 9, 2026, 10:59 PM CST")
        bare.close()
    finally:
        context.close()
