"""Grades back to the LMS (AGS) through the real platform: a released grade appears in its gradebook once, a changed
grade updates it, a failure is retried and shown on the grading page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from board.extensions import db
from board.lti import grades
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.models import LtiLineItem
from board.models import Course, User, utcnow
from board.outbox import service as outbox
from board.outbox.models import OutboxItem
from tests import factories

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _post(browser, url: str, data: dict, token_page: str):
    page = browser.client.get(token_page, base_url=browser.board_url).get_data(as_text=True)
    token = _TOKEN.search(page).group(1)
    return browser.client.post(url, data={"csrf_token": token, **data}, base_url=browser.board_url)


def _linked_course(lms, lms_browser):
    """An LMS course set up by its instructor's launch, and a student who came from the LMS."""
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris")))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}, "/lti/course-setup").status_code == 302
    assert lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, name="Grace")).status_code == 303
    course = db.session.scalar(select(Course))
    iris = db.session.scalar(select(User).where(User.display_name == "Iris"))
    grace = db.session.scalar(select(User).where(User.display_name == "Grace"))
    return teacher, course, iris, grace


def _grade(teacher, course, reading, student, points, feedback=""):
    url = f"/c/{course.slug}/readings/{reading.id}/grades/{student.id}"
    page = teacher.client.get(url, base_url=teacher.board_url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = _post(teacher, url, {"points": str(points), "feedback": feedback, "version": version}, url)
    assert response.status_code == 302, response.get_data(as_text=True)


def _release(teacher, course, reading):
    url = f"/c/{course.slug}/readings/{reading.id}/grades/release"
    assert _post(teacher, url, {"released": "1", "confirmed": "1"}, url).status_code == 302


def _grades_page(teacher, course, reading) -> str:
    return teacher.client.get(f"/c/{course.slug}/readings/{reading.id}/grades", base_url=teacher.board_url).get_data(
        as_text=True
    )


def test_released_grade_appears_in_the_lms_once_and_a_change_updates_it(lms, lms_browser):
    teacher, course, iris, grace = _linked_course(lms, lms_browser)
    reading = factories.reading(course, iris, title="Week 1: The Revolution", max_points=10)
    _grade(teacher, course, reading, grace, 7, "Good **start**.")
    assert lms.scores == []  # not released yet
    assert "Not sent: grades not released" in _grades_page(teacher, course, reading)

    _release(teacher, course, reading)
    (score,) = lms.scores_for("student-1")
    assert score["scoreGiven"] == 7 and score["scoreMaximum"] == 10
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert score["comment"] == "Good **start**."
    (item,) = lms.line_items["course-101"]
    assert item["label"] == "Week 1: The Revolution" and item["scoreMaximum"] == 10
    assert db.session.scalar(select(LtiLineItem.url)) == item["id"]
    assert "In the LMS" in _grades_page(teacher, course, reading)

    # Sending again (a retried job, a sweep) changes nothing.
    grade = db.session.scalar(select(grades.Grade))
    grades.send(grade.id, grade.version)
    outbox.deliver_due(now=utcnow() + timedelta(hours=2))
    assert len(lms.scores_for("student-1")) == 1

    # A grade changed after release is sent again, to the same line item.
    _grade(teacher, course, reading, grace, 9, "Better.")
    assert [s["scoreGiven"] for s in lms.scores_for("student-1")] == [7, 9]
    assert lms.scores_for("student-1")[-1]["comment"] == "Better."
    assert len(lms.line_items["course-101"]) == 1
    assert "In the LMS" in _grades_page(teacher, course, reading)


def test_a_grade_the_lms_refuses_is_retried_and_shown(lms, lms_browser):
    teacher, course, iris, grace = _linked_course(lms, lms_browser)
    reading = factories.reading(course, iris, title="Week 2", max_points=5)
    _grade(teacher, course, reading, grace, 4)
    lms.fail_scores = True
    _release(teacher, course, reading)
    assert lms.scores == []
    item = db.session.scalar(select(OutboxItem).where(OutboxItem.kind == grades.SCORE_KIND))
    assert item.last_error and item.done_at is None
    assert "Retrying: the LMS did not take it yet" in _grades_page(teacher, course, reading)

    lms.fail_scores = False
    outbox.deliver_due(now=utcnow() + timedelta(hours=2))  # the backoff has passed
    assert [s["scoreGiven"] for s in lms.scores_for("student-1")] == [4]
    assert "In the LMS" in _grades_page(teacher, course, reading)


def test_students_not_from_the_lms_are_not_sent(lms, lms_browser):
    teacher, course, iris, _grace = _linked_course(lms, lms_browser)
    local = factories.member(course, name="Local Student")
    reading = factories.reading(course, iris, title="Week 3", max_points=5)
    _grade(teacher, course, reading, local, 5)
    _release(teacher, course, reading)
    assert lms.scores == []
    assert "Not from the LMS" in _grades_page(teacher, course, reading)


def test_a_token_the_lms_no_longer_takes_is_replaced(lms, lms_browser):
    teacher, course, iris, grace = _linked_course(lms, lms_browser)
    reading = factories.reading(course, iris, title="Week 5", max_points=5)
    _grade(teacher, course, reading, grace, 3)
    _release(teacher, course, reading)
    assert len(lms.scores_for("student-1")) == 1
    lms.rotate_key()  # the platform's access tokens, signed with its old key, are refused from now on
    _grade(teacher, course, reading, grace, 5)
    assert [s["scoreGiven"] for s in lms.scores_for("student-1")] == [3, 5]
