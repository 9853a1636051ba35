"""People and courses from launches: role mapping, roles that change in the LMS, a course linked to an existing
Board course, and an existing Board account linked after a first launch (a cross-site post that carries no Board
session) on Board's own identity page, signed in there: once, by the browser that launched, within ten minutes, never
by email."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER, MENTOR, ROLE, TEACHING_ASSISTANT
from board.lti.models import LtiAccount, LtiContext, LtiPendingIdentity
from board.lti.people import board_role
from board.models import Course, Membership, Role, User, utcnow
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


def _sign_in(browser, person):
    login = browser.client.get("/login", base_url=browser.board_url).get_data(as_text=True)
    signed_in = browser.client.post(
        "/login",
        data={"csrf_token": _TOKEN.search(login).group(1), "email": person.email, "password": factories.PASSWORD},
        base_url=browser.board_url,
    )
    assert signed_in.status_code == 302


def _first_launch(browser, lms, sub, **kwargs) -> str:
    """A first launch of an LMS user (cross-site: no Board session cookie goes with it); the identity page's URL."""
    launched = browser.open_from_lms(lms.launch_spec(sub, INSTRUCTOR, **kwargs), identity=None)
    assert launched.status_code == 303
    assert launched.headers["Location"].startswith("/lti/identity/")
    return launched.headers["Location"]


def test_signed_in_person_links_their_existing_account_once(lms, lms_browser):
    existing = factories.user("Ada Existing", email="ada@uni.edu")
    browser = lms_browser()  # the same browser: signed in to Board, then opening Board from the LMS
    _sign_in(browser, existing)
    page_url = _first_launch(browser, lms, "teacher-1", name="Ada", email="other@uni.edu")
    assert db.session.scalar(select(db.func.count()).select_from(LtiAccount)) == 0  # nothing linked nor made yet
    page = browser.client.get(page_url, base_url=browser.board_url).get_data(as_text=True)
    assert "Link this LMS identity to your account Ada Existing" in page
    linked = browser.choose_identity(page_url, "link")
    assert linked.status_code == 303
    assert db.session.scalar(select(LtiAccount.user_id)) == existing.id
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    # Signed in as Ada, on to the course setup of her LMS course.
    assert browser.follow(linked).request.path == "/lti/course-setup"
    # A second LMS user launching in the same browser cannot link the same account: one LMS identity per account.
    second_url = _first_launch(browser, lms, "teacher-2", name="Someone else")
    page = browser.client.get(second_url, base_url=browser.board_url).get_data(as_text=True)
    assert "Link this LMS identity" not in page and "already linked" in page
    assert browser.choose_identity(second_url, "link").status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(LtiAccount)) == 1
    assert browser.choose_identity(second_url, "new").status_code == 303
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2


def test_person_not_signed_in_signs_in_from_the_identity_page_and_links(lms, lms_browser):
    existing = factories.user("Ada Existing", email="ada@uni.edu")
    browser = lms_browser()
    page_url = _first_launch(browser, lms, "student-1", name="Ada")
    page = browser.client.get(page_url, base_url=browser.board_url).get_data(as_text=True)
    assert "Link this LMS identity" not in page and "Use a new Board account" in page
    sign_in = re.search(r'href="(/login\?next=[^"]+)"', page).group(1)
    form = browser.client.get(unescape(sign_in), base_url=browser.board_url).get_data(as_text=True)
    back = browser.client.post(
        unescape(sign_in),
        data={
            "csrf_token": _TOKEN.search(form).group(1),
            "email": existing.email,
            "password": factories.PASSWORD,
            "next": page_url,
        },
        base_url=browser.board_url,
    )
    assert back.status_code == 302 and back.headers["Location"].endswith(page_url)
    assert browser.choose_identity(page_url, "link").status_code == 303
    assert db.session.scalar(select(LtiAccount.user_id)) == existing.id


def test_pending_identity_is_used_once_and_expires(lms, lms_browser):
    browser = lms_browser()
    launched = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada"), identity=None)
    page_url = launched.headers["Location"]
    set_cookie = next(h for h in launched.headers.getlist("Set-Cookie") if h.startswith("lti_identity_"))
    for part in ("Secure", "HttpOnly", "Path=/lti/", "SameSite=None", "Partitioned", "Max-Age=600"):
        assert part in set_cookie
    cookie = next(c for c in browser.client._cookies.values() if c.key.startswith("lti_identity_"))
    page = browser.client.get(page_url, base_url=browser.board_url)
    token = _TOKEN.search(page.get_data(as_text=True)).group(1)
    choice = {"csrf_token": token, "choice": "new"}
    assert browser.client.post(page_url, data=choice, base_url=browser.board_url).status_code == 303
    # Used: the same secret again (the browser put back its cookie) is refused, with a clear page, whether the page
    # is opened or sent again (with a token of the fresh session the sign-in started: a sign-in clears the session).
    browser.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    again = browser.client.get(page_url, base_url=browser.board_url)
    assert again.status_code == 410 and "expired, was already used" in again.get_data(as_text=True)
    fresh = _TOKEN.search(browser.client.get("/courses", base_url=browser.board_url).get_data(as_text=True)).group(1)
    again = browser.client.post(page_url, data={**choice, "csrf_token": fresh}, base_url=browser.board_url)
    assert again.status_code == 410 and "expired, was already used" in again.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    # Expired: ten minutes later, nothing is made.
    late = lms_browser()
    late_url = _first_launch(late, lms, "teacher-3", name="Cy")
    token = _TOKEN.search(late.client.get(late_url, base_url=late.board_url).get_data(as_text=True)).group(1)
    db.session.execute(db.update(LtiPendingIdentity).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    gone = late.client.get(late_url, base_url=late.board_url)
    assert gone.status_code == 410 and "Open Board from your LMS again" in gone.get_data(as_text=True)
    assert (
        late.client.post(late_url, data={"csrf_token": token, "choice": "new"}, base_url=browser.board_url).status_code
        == 410
    )
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_another_signed_in_person_cannot_take_a_pending_identity(lms, lms_browser):
    launcher = lms_browser()
    page_url = _first_launch(launcher, lms, "teacher-1", name="Ada")
    # Bob, signed in to Board in another browser, learns the page's address: without the launch's cookie it is not
    # his to take, neither to link to his account nor as a new one.
    bob = factories.user("Bob", email="bob@uni.edu")
    other = lms_browser()
    _sign_in(other, bob)
    page = other.client.get(page_url, base_url=other.board_url)
    assert page.status_code == 410
    account = other.client.get("/account", base_url=other.board_url)
    assert account.status_code == 200, account.status_code
    token = re.search(r'csrf_token" type="hidden" value="([^"]+)"', account.get_data(as_text=True)).group(1)
    for choice in ("link", "new"):
        taken = other.client.post(page_url, data={"csrf_token": token, "choice": choice}, base_url=other.board_url)
        assert taken.status_code == 410
    assert db.session.scalar(select(db.func.count()).select_from(LtiAccount)) == 0
    # The browser that launched still can.
    assert launcher.choose_identity(page_url, "new").status_code == 303
    assert db.session.scalar(select(LtiAccount.user_id)) != bob.id


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
