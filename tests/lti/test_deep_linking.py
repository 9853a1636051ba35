"""Deep linking with the real platform: the instructor picks a reading, Board answers with a signed response the
platform accepts, the graded reading gets its line item there, and the new link opens the reading with grades
going to that line item."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.launch import CLAIM
from board.lti.models import LtiLineItem
from board.lti.people import AGS_CLAIM
from board.models import Course, User
from tests import factories

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_FORM = re.compile(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="JWT" value="([^"]+)">')


def _post(browser, url, data):
    page = browser.client.get(url, base_url=browser.board_url).get_data(as_text=True)
    return browser.client.post(
        url, data={"csrf_token": _TOKEN.search(page).group(1), **data}, base_url=browser.board_url
    )


def test_deep_link_to_a_graded_reading_makes_its_line_item_and_opens_it(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris")))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    course = db.session.scalar(select(Course))
    iris = db.session.scalar(select(User).where(User.display_name == "Iris"))
    reading = factories.reading(course, iris, title="Week 4: Stalin", max_points=20)

    # The LMS asks Board for content (a deep linking request); Board shows the instructor the choice.
    response = teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, deep_link=True))
    assert response.status_code == 303
    page = teacher.follow(response)
    assert page.request.path == "/lti/deep-link" and "Week 4: Stalin" in page.get_data(as_text=True)
    answer = _post(teacher, "/lti/deep-link", {"target": str(reading.id)})
    assert answer.status_code == 200
    assert f"form-action 'self' {lms.url};" in answer.headers["Content-Security-Policy"]
    action, token = _FORM.search(answer.get_data(as_text=True)).groups()
    assert action == lms.url + "/deep-link-return"

    # The platform checks the signature against Board's JWKS URL and adds the link and its gradebook column.
    accepted = requests.post(action, data={"JWT": token}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    (item,) = lms.deep_linked
    assert item["type"] == "ltiResourceLink" and item["title"] == "Week 4: Stalin"
    assert item["custom"] == {"board_target": f"reading:{reading.id}"}
    (line_item,) = lms.line_items["course-101"]
    assert line_item["label"] == "Week 4: Stalin" and line_item["scoreMaximum"] == 20

    # A student opening that link lands on the reading; its launch names the line item, which Board keeps.
    claims = {CLAIM + "custom": item["custom"], AGS_CLAIM: {"scope": [], "lineitem": line_item["id"]}}
    student = lms_browser()
    opened = student.follow(student.open_from_lms(lms.launch_spec("student-1", LEARNER, extra_claims=claims)))
    assert opened.request.path == f"/c/{course.slug}/posts/{reading.id}"
    assert db.session.scalar(select(LtiLineItem.url).where(LtiLineItem.reading_id == reading.id)) == line_item["id"]


def test_deep_link_to_the_course_home(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, deep_link=True)))
    answer = _post(teacher, "/lti/deep-link", {"target": "home"})
    action, token = _FORM.search(answer.get_data(as_text=True)).groups()
    assert requests.post(action, data={"JWT": token}, timeout=10).status_code == 200
    assert lms.deep_linked[0]["custom"] == {"board_target": "home"}
    assert lms.line_items.get("course-101", []) == []


def test_students_cannot_deep_link(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    refused = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, deep_link=True))
    assert refused.status_code == 403
    assert "may choose what an LMS link opens" in refused.get_data(as_text=True)
