"""In a real browser: an instructor sets a reading's points, grades two students with next/previous, releases the
grades; the first student sees their own grade and feedback on the reading and on My work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from board.extensions import db
from board.models import User
from tests.browser.test_end_to_end import INSTRUCTOR, log_in, open_course

pytestmark = pytest.mark.browser

READING = "Solidarity: Dimitri Panin"


def test_instructor_grades_two_students_and_releases_and_a_student_sees_their_grade(new_page, demo_course):
    instructor = new_page()
    log_in(instructor, INSTRUCTOR)
    open_course(instructor)
    instructor.get_by_role("link", name=READING).first.click()
    instructor.get_by_role("link", name="Edit").click()
    instructor.get_by_label("Points a response is graded out of").fill("10")
    instructor.get_by_role("button", name="Save changes").click()

    instructor.get_by_role("link", name="Grades").click()
    expect(instructor.get_by_role("heading", level=1)).to_contain_text(READING)
    instructor.locator("table.roster tbody tr a").first.click()
    first_name = instructor.get_by_role("heading", level=1).inner_text()
    expect(instructor.get_by_text("Out of 10.")).to_be_visible()
    instructor.get_by_label("Points").fill("8.5")
    instructor.get_by_label("Feedback").fill("Careful reading of *Panin*.")
    instructor.get_by_role("button", name="Save grade").click()
    expect(instructor.get_by_text(f"Grade saved for {first_name}.")).to_be_visible()

    instructor.get_by_role("link", name=re.compile("^Next: ")).click()
    second_name = instructor.get_by_role("heading", level=1).inner_text()
    assert second_name != first_name
    instructor.get_by_label("Points").fill("6")
    instructor.get_by_role("button", name="Save grade").click()
    expect(instructor.get_by_text(f"Grade saved for {second_name}.")).to_be_visible()

    instructor.get_by_role("link", name=re.compile("^← Previous: ")).click()
    expect(instructor.get_by_role("heading", level=1)).to_have_text(first_name)
    expect(instructor.get_by_label("Points")).to_have_value("8.5")

    instructor.get_by_role("link", name=re.compile("^Grades for ")).click()
    instructor.get_by_role("link", name="Release grades").click()
    # Most of the class is ungraded: the check lists them and asks first.
    expect(instructor.get_by_role("heading", level=1)).to_contain_text("Release grades for")
    expect(instructor.locator("#ungraded-heading, #missing-heading").first).to_be_visible()
    instructor.get_by_role("button", name="Release anyway").click()
    expect(instructor.get_by_text("Grades released")).to_be_visible()

    email = db.session.scalar(select(User.email).where(User.display_name == first_name))
    student = new_page()
    log_in(student, email)
    open_course(student)
    student.get_by_role("link", name=READING).first.click()
    expect(student.get_by_role("heading", name="Your grade: 8.5 / 10")).to_be_visible()
    expect(student.locator(".grade-released em")).to_have_text("Panin")
    student.get_by_role("link", name="My work").click()
    expect(student.get_by_text("Grade: 8.5 / 10")).to_be_visible()
    expect(student.get_by_text("Grade: 6 / 10")).to_have_count(0)
