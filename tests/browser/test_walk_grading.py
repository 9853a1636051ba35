"""One-pass grading in a real browser: 30 responses, the responses view's rows one line each (excerpt on demand),
and grading all 30 from the walk with the keyboard's "Save and next" (Ctrl+Enter). Screenshots go to DESK_SHOTS if
set. Measured figures are printed (run with -s)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from board.desk.models import Grade
from board.extensions import db
from board.models import Post, Role
from tests import factories
from tests.browser.test_desk import _shoot

pytestmark = pytest.mark.browser

STUDENTS = 30
WORDS = (
    "The uprisings at Norilsk and Vorkuta show prisoners organising across national lines, electing committees and "
    "negotiating with Moscow's commissions; what changed after Stalin's death was less the camps than the prisoners' "
    "sense that the regime could be made to listen. "
)


@pytest.fixture
def class30():
    instructor = factories.user("Irina Instructor")
    course = factories.course(instructor, title="Soviet History")
    reading = factories.reading(course, title="The Gulag Uprisings", max_points=10.0)
    for n in range(STUDENTS):
        student = factories.member(course, Role.STUDENT, f"Student {n + 1:02}")
        factories.response(course, student, reading, title=f"Response of student {n + 1:02}", body=WORDS * 2)
    return {"course": course, "instructor": instructor, "reading": reading}


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/courses$"))


def test_responses_view_rows_are_one_line_with_the_excerpt_on_demand(new_page, class30):
    page = new_page(1280, 900)
    _log_in(page, class30["instructor"].email)
    page.goto(f"/c/{class30['course'].slug}/desk/readings/{class30['reading'].id}/")
    rows = page.locator("table.desk-table tbody tr")
    expect(rows).to_have_count(STUDENTS)
    heights = [box["height"] for box in (rows.nth(n).bounding_box() for n in range(STUDENTS))]
    table = page.locator("table.desk-table").bounding_box()["height"]
    document = page.evaluate("document.documentElement.scrollHeight")
    print(f"\nresponses view, {STUDENTS} responses at 1280 px: table {table:.0f} px, page {document} px")
    _shoot(page, "responses-compact")
    assert max(heights) < 48, f"a row is more than one line: {max(heights)} px"
    region = page.locator(".table-scroll")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table fits 1280 px without scrolling"
    assert table < 1500 and document < 2500

    excerpt = rows.first.locator("details")
    expect(excerpt.locator(".snippet")).not_to_be_visible()
    excerpt.locator("summary").click()
    expect(excerpt.locator(".snippet")).to_be_visible()
    expect(excerpt.locator(".snippet")).to_contain_text("The uprisings at Norilsk")


def test_grading_30_responses_in_one_pass_with_the_keyboard(new_page, class30):
    page = new_page(1280, 900)
    _log_in(page, class30["instructor"].email)
    page.goto(f"/c/{class30['course'].slug}/desk/readings/{class30['reading'].id}/")
    clicks = 0

    page.locator("table.desk-table tbody tr").first.get_by_role("link", name=re.compile("^Response of")).click()
    clicks += 1
    form, article = page.locator("aside.walk-grade"), page.locator("article.post")
    expect(form.get_by_role("button", name="Save and next")).to_have_attribute(
        "aria-keyshortcuts", "Control+Enter Meta+Enter"
    )
    beside, response = form.bounding_box(), article.bounding_box()
    assert beside["x"] >= response["x"] + response["width"], "the form sits beside the response at 1280 px"
    assert beside["y"] < response["y"] + 200
    _shoot(page, "walk-grade")
    page.set_viewport_size({"width": 375, "height": 800})
    stacked, response = form.bounding_box(), article.bounding_box()
    assert stacked["y"] >= response["y"] + response["height"] - 1, "on a phone the form follows the response"
    page.set_viewport_size({"width": 1280, "height": 900})

    for n in range(STUDENTS):
        expect(page.get_by_role("heading", name=f"Grade Student {n + 1:02}")).to_be_visible()
        # The heading shows before the deferred scripts run; Ctrl+Enter is grading.js's, so wait for them.
        page.wait_for_load_state("domcontentloaded")
        page.get_by_label("Points").click()
        clicks += 1
        page.keyboard.type(str(n % 11))
        page.keyboard.press("Tab")
        page.keyboard.type(f"Feedback {n + 1}")
        page.keyboard.press("Control+Enter")
        if n + 1 < STUDENTS:
            expect(page.get_by_text(f"Grade saved for Student {n + 1:02}.")).to_be_visible()
    expect(page.get_by_text("Every response in this view is graded.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/desk/readings/\d+/$"))
    print(f"\nclicks to grade {STUDENTS} responses from the responses view: {clicks}")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Grade)) == STUDENTS
    assert clicks == STUDENTS + 1


def test_a_bad_grade_in_the_walk_keeps_the_feedback(new_page, class30):
    page = new_page(1280, 900)
    _log_in(page, class30["instructor"].email)
    page.goto(f"/c/{class30['course'].slug}/desk/readings/{class30['reading'].id}/")
    page.locator("table.desk-table tbody tr").first.get_by_role("link", name=re.compile("^Response of")).click()
    page.get_by_label("Points").fill("12")
    page.get_by_label("Feedback").fill("Kept as typed.")
    page.get_by_role("button", name="Save and next").click()
    expect(page.get_by_text("This reading is graded out of 10 points.")).to_be_visible()
    expect(page.get_by_label("Feedback")).to_have_value("Kept as typed.")
    expect(page.get_by_role("heading", name="Grade Student 01")).to_be_visible()


def test_the_new_grading_pages_have_no_serious_accessibility_violations(new_page, class30):
    from tests.browser.test_axe import _check

    course, reading = class30["course"], class30["reading"]
    response = db.session.scalar(select(Post.id).where(Post.reading_id == reading.id).order_by(Post.id))
    page = new_page(1280, 900)
    _log_in(page, class30["instructor"].email)
    urls = [
        f"/c/{course.slug}/desk/readings/{reading.id}/",
        f"/c/{course.slug}/posts/{response}?from=name.asc.all",
        f"/c/{course.slug}/readings/{reading.id}/grades/release",
        f"/c/{course.slug}/settings",
        f"/c/{course.slug}/desk/",
    ]
    for url, name in ((urls[2], "release-check"), (urls[4], "dashboard-term")):
        page.goto(url)
        _shoot(page, name)
    problems = _check(page, urls)
    assert not problems, "\n".join(problems)
