"""People and courses from launches: role mapping, roles that change in the LMS, a course linked to an existing
Board course, and an existing Board account linked from a signed-in page (never by email)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER, MENTOR, ROLE, TEACHING_ASSISTANT
from board.lti.models import LtiAccount, LtiContext
from board.lti.people import board_role
from board.models import Course, Membership, Role, User
from tests import factories

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (INSTRUCTOR, Role.INSTRUCTOR),
        ([ROLE + "Administrator"], Role.INSTRUCTOR),
        ([ROLE + "ContentDeveloper"], Role.INSTRUCTOR),
        (TEACHING_ASSISTANT, Role.ASSISTANT),
        (LEARNER, Role.STUDENT),
        (["Learner"], Role.STUDENT),
        (MENTOR, None),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], None),
        ([], None),
        ("not a list", None),
    ],
)
def test_lti_roles_map_to_board_roles(roles, expected):
    assert board_role(roles) == expected


def _setup(browser, choice="new", course_id=""):
    page = browser.client.get("/lti/course-setup", base_url=browser.board_url)
    token = _TOKEN.search(page.get_data(as_text=True)).group(1)
    return browser.client.post(
        "/lti/course-setup",
        data={"csrf_token": token, "choice": choice, "course_id": course_id},
        base_url=browser.board_url,
    )


def test_instructor_may_link_the_lms_course_to_an_existing_board_course(lms, lms_browser):
    browser = lms_browser()
    browser.follow(browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada")))
    teacher = db.session.scalar(select(User).where(User.display_name == "Ada"))
    theirs = factories.course(teacher, title="My old course")
    someone_elses = factories.course(factories.user("Other"), title="Not hers")
    # Another instructor's course is not on offer and cannot be chosen.
    refused = _setup(browser, "existing", str(someone_elses.id))
    assert refused.status_code == 400
    assert db.session.scalar(select(LtiContext)) is None
    done = _setup(browser, "existing", str(theirs.id))
    assert done.status_code == 302
    assert db.session.scalar(select(LtiContext.course_id)) == theirs.id
    assert db.session.scalar(select(db.func.count()).select_from(Course)) == 2  # none made


def test_a_changed_role_in_the_lms_changes_the_board_role(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _setup(teacher).status_code == 302
    assert lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, name="Bo")).status_code == 303
    bo = db.session.scalar(select(User).where(User.display_name == "Bo"))
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == bo.id)) == Role.STUDENT
    assert lms_browser().open_from_lms(lms.launch_spec("student-1", TEACHING_ASSISTANT)).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == bo.id)) == Role.ASSISTANT


def test_hidden_name_gets_a_name_staff_can_tell_is_from_the_lms(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    user = db.session.scalar(select(User))
    assert user.display_name.startswith("LMS user ")
    assert user.email.endswith("@lms.invalid")


def test_email_of_an_existing_account_does_not_link_to_it(lms, lms_browser):
    existing = factories.user("Ada Existing", email="ada@uni.edu")
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada", email="ada@uni.edu")))
    account = db.session.scalar(select(LtiAccount))
    assert account.user_id != existing.id
    assert db.session.get(User, account.user_id).email.endswith("@lms.invalid")


def test_signed_in_person_links_their_existing_account_once(lms, lms_browser):
    existing = factories.user("Ada Existing", email="ada@uni.edu")
    browser = lms_browser()  # the same browser: signed in to Board, then opening Board from the LMS
    login = browser.client.get("/login", base_url=browser.board_url).get_data(as_text=True)
    signed_in = browser.client.post(
        "/login",
        data={"csrf_token": _TOKEN.search(login).group(1), "email": existing.email, "password": factories.PASSWORD},
        base_url=browser.board_url,
    )
    assert signed_in.status_code == 302
    page = browser.client.get("/lti/link", base_url=browser.board_url).get_data(as_text=True)
    token = _TOKEN.search(page).group(1)
    asked = browser.client.post("/lti/link", data={"csrf_token": token}, base_url=browser.board_url)
    assert asked.status_code == 302
    response = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada", email="other@uni.edu"))
    assert response.status_code == 303
    assert db.session.scalar(select(LtiAccount.user_id)) == existing.id
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    # A second LMS user launching in the same browser gets an account of their own: one link per account.
    other = browser.open_from_lms(lms.launch_spec("teacher-2", INSTRUCTOR, name="Someone else"))
    assert other.status_code == 303
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2


def test_two_first_launches_at_once_give_no_error(lms, lms_browser, monkeypatch):
    """A double click in the LMS: two first launches of one person race; the loser's insert of the same LMS account
    fails its unique constraint. It gets a clear page, not a 500 (simulated: the loser's lookup ran before the
    winner committed)."""
    first = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada"))
    assert first.status_code == 303
    from board.lti import people as lti_people

    monkeypatch.setattr(lti_people, "linked_user", lambda platform, sub: None)
    second = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada"))
    assert second.status_code == 409, second.get_data(as_text=True)
    assert "Open Board from your LMS again" in second.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(LtiAccount)) == 1


def test_course_set_up_in_two_tabs_is_made_once(lms, lms_browser):
    first, second = lms_browser(), lms_browser()
    for browser in (first, second):
        browser.follow(browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada")))
    assert _setup(first).status_code == 302
    raced = _setup(second)
    assert raced.status_code == 409
    assert "Open Board from your LMS again" in raced.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Course)) == 1
