"""Launches from a real platform (lti1p3platform on loopback): an instructor's first launch makes the course, a
student's joins it, and each refused launch shows a clear page and creates nothing."""

from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.models import LtiAccount, LtiContext
from board.models import Course, Membership, Role, User

from .conftest import counts


def _instructor_sets_up_course(lms, lms_browser):
    browser = lms_browser()
    response = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada Lovelace", email="ada@uni.edu"))
    assert response.status_code == 303, response.get_data(as_text=True)
    page = browser.follow(response)
    assert "Set up Board for History 101" in page.get_data(as_text=True)
    token = _csrf(page.get_data(as_text=True))
    done = browser.client.post(
        "/lti/course-setup", data={"csrf_token": token, "choice": "new"}, base_url=browser.board_url
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    return browser, done


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_instructor_first_launch_creates_the_course(lms, lms_browser):
    before = counts()
    browser, done = _instructor_sets_up_course(lms, lms_browser)
    course = db.session.scalar(select(Course))
    assert course.title == "History 101"
    assert done.headers["Location"].endswith(f"/c/{course.slug}/")
    teacher = db.session.scalar(select(User).where(User.email == "ada@uni.edu"))
    assert teacher.display_name == "Ada Lovelace"
    membership = db.session.scalar(select(Membership).where(Membership.user_id == teacher.id))
    assert membership.role == Role.INSTRUCTOR
    assert db.session.scalar(select(LtiContext.course_id)) == course.id
    after = counts()
    assert after["users"] == before["users"] + 1 and after["courses"] == before["courses"] + 1
    home = browser.client.get(done.headers["Location"], base_url=browser.board_url)
    assert home.status_code == 200


def test_student_launch_joins_the_course(lms, lms_browser):
    _instructor_sets_up_course(lms, lms_browser)
    student = lms_browser()
    response = student.open_from_lms(lms.launch_spec("student-1", LEARNER, name="Grace Hopper"))
    assert response.status_code == 303, response.get_data(as_text=True)
    page = student.follow(response)
    assert page.status_code == 200
    course = db.session.scalar(select(Course))
    assert f"/c/{course.slug}/" in page.request.path
    user = db.session.scalar(select(User).where(User.display_name == "Grace Hopper"))
    assert user.email.endswith("@lms.invalid")  # the platform hid the email
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) == Role.STUDENT
    # A second launch signs the same account in again.
    again = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, name="Grace Hopper"))
    assert again.status_code == 303
    assert db.session.scalar(select(db.func.count()).select_from(LtiAccount)) == 2
