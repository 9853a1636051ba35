"""The browser's session around a launch (review findings 9 and 13a): a launch starts from a clean Flask session,
what it leaves for later (a pending course setup, a deep linking request) belongs to the person it signed in, and it
deletes only its own state cookie, so a second tab's launch still works."""

from __future__ import annotations

import re

from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.launch import STATE_COOKIE_PREFIX
from board.models import Course, Role
from tests import factories

from .test_deep_linking import _post

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _log_in(browser, user) -> None:
    page = browser.client.get("/login", base_url=browser.board_url).get_data(as_text=True)
    data = {"email": user.email, "password": factories.PASSWORD, "csrf_token": _TOKEN.search(page).group(1)}
    assert browser.client.post("/login", data=data, base_url=browser.board_url).status_code == 302


def _log_out(browser) -> None:
    page = browser.client.get("/courses", base_url=browser.board_url).get_data(as_text=True)
    token = _TOKEN.search(page).group(1)
    assert browser.client.post("/logout", data={"csrf_token": token}, base_url=browser.board_url).status_code == 302


def test_launch_starts_from_a_clean_session(lms, lms_browser):
    browser = lms_browser()
    bob = factories.user("Bob")
    _log_in(browser, bob)
    with browser.client.session_transaction(base_url=browser.board_url) as session:
        session["left_by_bob"] = "something of Bob's"
    response = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    assert response.status_code == 303
    with browser.client.session_transaction(base_url=browser.board_url) as session:
        assert "left_by_bob" not in session
        assert session["lti_pending_context"]["context_id"] == "course-101"  # what the launch itself left


def test_pending_course_setup_belongs_to_who_launched(lms, lms_browser):
    browser = lms_browser()
    browser.follow(browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    _log_out(browser)
    bob = factories.user("Bob")
    mine = factories.course(bob, title="Bob's course")
    _log_in(browser, bob)  # someone else, later, in the same browser
    assert browser.client.get("/lti/course-setup", base_url=browser.board_url).status_code == 404
    token = _TOKEN.search(browser.client.get("/courses", base_url=browser.board_url).get_data(as_text=True)).group(1)
    taken = browser.client.post(
        "/lti/course-setup",
        data={"csrf_token": token, "choice": "existing", "course_id": str(mine.id)},
        base_url=browser.board_url,
    )
    assert taken.status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(Course)) == 1


def test_deep_linking_request_belongs_to_who_launched(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    course = db.session.scalar(select(Course))
    bob = factories.member(course, Role.INSTRUCTOR, name="Bob")
    opened = teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, deep_link=True)))
    assert opened.request.path == "/lti/deep-link"
    _log_out(teacher)
    _log_in(teacher, bob)  # a co-instructor, later, in the same browser
    assert teacher.client.get("/lti/deep-link", base_url=teacher.board_url).status_code == 404


def test_a_launch_deletes_only_its_own_state_cookie(lms, lms_browser):
    browser = lms_browser()
    # Two tabs start a sign-in each; the first to come back must not break the other.
    first = browser.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    second = browser.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    first_action, first_form = browser.authenticate(first.headers["Location"])
    second_action, second_form = browser.authenticate(second.headers["Location"])
    done = browser.post_launch(first_action, first_form)
    assert done.status_code == 303
    deleted = [h for h in done.headers.getlist("Set-Cookie") if h.startswith(STATE_COOKIE_PREFIX)]
    assert len(deleted) == 1, deleted
    again = browser.post_launch(second_action, second_form)
    assert again.status_code == 303, again.get_data(as_text=True)


def test_signed_in_in_a_frame_offers_board_in_a_new_tab(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    course = db.session.scalar(select(Course))
    student = lms_browser()
    launched = student.open_from_lms(lms.launch_spec("student-1", LEARNER))
    signed_in = launched.headers["Location"]
    # In the LMS's iframe, with the session cookie working there: the course home cannot be framed, so no redirect
    # into a blank frame, but a link that opens it in a new tab.
    framed = student.client.get(signed_in, base_url=student.board_url, headers={"Sec-Fetch-Dest": "iframe"})
    assert framed.status_code == 200
    page = framed.get_data(as_text=True)
    assert f'href="/c/{course.slug}/" target="_blank" rel="noopener">Open Board</a>' in page
    assert f"frame-ancestors 'self' {lms.url};" in framed.headers["Content-Security-Policy"]
    # A whole tab of its own goes straight on.
    on = student.client.get(signed_in, base_url=student.board_url, headers={"Sec-Fetch-Dest": "document"})
    assert on.status_code == 302 and on.headers["Location"] == f"/c/{course.slug}/"


def test_signed_in_in_a_frame_goes_on_to_a_framed_launch_page(lms, lms_browser):
    browser = lms_browser()
    launched = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    framed = browser.client.get(
        launched.headers["Location"], base_url=browser.board_url, headers={"Sec-Fetch-Dest": "iframe"}
    )
    assert framed.status_code == 302 and framed.headers["Location"] == "/lti/course-setup"
