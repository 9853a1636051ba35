"""Roster sync (NRPS) from the real platform, paged: members added with their roles, removed when they leave the LMS
course (their posts stay), re-roled; the roster page shows the last sync and any error."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from board.courses import services as courses
from board.extensions import db
from board.lti import roster
from board.lti.demo_platform import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT
from board.lti.models import LtiContext
from board.models import Course, Membership, Post, Role, User, utcnow
from board.outbox import service as outbox
from tests import factories

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CONTEXT = "course-101"


def _set_up(lms, lms_browser, link="link-1"):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris", resource_link_id=link)))
    page = teacher.client.get("/lti/course-setup", base_url=teacher.board_url).get_data(as_text=True)
    done = teacher.client.post(
        "/lti/course-setup",
        data={"csrf_token": _TOKEN.search(page).group(1), "choice": "new"},
        base_url=teacher.board_url,
    )
    assert done.status_code == 302
    return teacher, db.session.scalar(select(Course))


def _roles(course) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(User.display_name, Membership.role).join(Membership).where(Membership.course_id == course.id)
    )
    return {name: role for name, role in rows}


def _roster_page(teacher, course) -> str:
    return teacher.client.get(f"/c/{course.slug}/roster", base_url=teacher.board_url).get_data(as_text=True)


def test_sync_adds_removes_and_re_roles_members(lms, lms_browser):
    lms.page_size = 2  # five members: three pages
    for number, name in enumerate(["Ada", "Bo", "Cy"], start=1):
        lms.enrol(CONTEXT, f"student-{number}", LEARNER, name=name)
    lms.enrol(CONTEXT, "ta-1", TEACHING_ASSISTANT, name="Tess")
    teacher, course = _set_up(lms, lms_browser)  # the course's creation syncs at once
    assert lms.member_pages_served == 3  # five members (Iris launched), two a page, followed by the Link header
    assert _roles(course) == {
        "Iris": Role.INSTRUCTOR,
        "Ada": Role.STUDENT,
        "Bo": Role.STUDENT,
        "Cy": Role.STUDENT,
        "Tess": Role.ASSISTANT,
    }
    page = _roster_page(teacher, course)
    assert "Last synced with the LMS" in page and "The last sync failed" not in page

    # Bo leaves the LMS course (his response stays), Cy becomes a TA, Dee joins; a code-joined member stays.
    bo = db.session.scalar(select(User).where(User.display_name == "Bo"))
    reading = factories.reading(course, title="Week 1")
    factories.response(course, bo, reading, title="Bo's response")
    local = factories.member(course, name="Local Lou")
    lms.unenrol(CONTEXT, "student-2")
    lms.enrol(CONTEXT, "student-3", TEACHING_ASSISTANT, name="Cy")
    lms.enrol(CONTEXT, "student-4", LEARNER, name="Dee")
    # An instructor's launch syncs again.
    assert lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris")).status_code == 303
    roles = _roles(course)
    assert "Bo" not in roles
    assert roles["Cy"] == Role.ASSISTANT and roles["Dee"] == Role.STUDENT and roles[local.display_name] == Role.STUDENT
    assert db.session.scalar(select(Post.title).where(Post.author_id == bo.id)) == "Bo's response"


def test_sync_removes_only_members_the_lms_made(lms, lms_browser):
    """A member who joined by code stays, even with an LMS account (from another LMS course on the same platform);
    a member the LMS enrolled loses access when they leave the LMS course."""
    lms.enrol(CONTEXT, "student-1", LEARNER, name="Ada")
    _teacher, course = _set_up(lms, lms_browser)
    # Zed teaches another LMS course on the same platform: his launch there gave him a Board account and LMS link.
    other = lms_browser().open_from_lms(lms.launch_spec("teacher-9", INSTRUCTOR, name="Zed", context_id="course-202"))
    assert other.status_code == 303
    zed = db.session.scalar(select(User).where(User.display_name == "Zed"))
    # He co-teaches this course in Board, having joined it with the assistant code; he is not on its LMS roster.
    db.session.refresh(course)
    courses.join_by_code(zed, course.assistant_join_code)
    assert _roles(course)["Zed"] == Role.ASSISTANT
    lms.unenrol(CONTEXT, "student-1")  # Ada, enrolled by the LMS, leaves the LMS course
    roster.queue_sync(db.session.scalar(select(LtiContext).where(LtiContext.course_id == course.id)))
    db.session.commit()
    roles = _roles(course)
    assert "Ada" not in roles
    assert roles["Zed"] == Role.ASSISTANT and roles["Iris"] == Role.INSTRUCTOR


def test_sync_asks_for_the_members_of_the_link_the_course_was_set_up_from(lms, lms_browser):
    lms.page_size = 2
    for number, name in enumerate(["Ada", "Bo", "Cy", "Dee"], start=1):
        lms.enrol(CONTEXT, f"student-{number}", LEARNER, name=name)
    lms.restrict_link("section-a", ["student-1", "student-3", "student-4"])  # Bo is in another section
    teacher, course = _set_up(lms, lms_browser, link="section-a")
    assert db.session.scalar(select(LtiContext.resource_link_id)) == "section-a"
    assert _roles(course) == {"Iris": Role.INSTRUCTOR, "Ada": Role.STUDENT, "Cy": Role.STUDENT, "Dee": Role.STUDENT}
    assert lms.rlids_asked == ["section-a", "section-a"]  # two pages: the next-page link kept the rlid

    # Ada loses access to the link (moved to another section); Iris opens Board through another, open link: the
    # course keeps the link it was set up from.
    lms.restrict_link("section-a", ["student-3", "student-4"])
    assert lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris")).status_code == 303
    assert lms.rlids_asked[-1] == "section-a"
    assert _roles(course) == {"Iris": Role.INSTRUCTOR, "Cy": Role.STUDENT, "Dee": Role.STUDENT}
    assert "Last synced with the LMS" in _roster_page(teacher, course)

    # A membership URL with a query of its own keeps it: here a page size (NRPS `limit`), so three members, one page.
    context = db.session.scalar(select(LtiContext))
    context.memberships_url += "?limit=3"
    pages = lms.member_pages_served
    roster.queue_sync(context)
    db.session.commit()
    assert lms.member_pages_served == pages + 1 and lms.rlids_asked[-1] == "section-a"
    assert _roles(course) == {"Iris": Role.INSTRUCTOR, "Cy": Role.STUDENT, "Dee": Role.STUDENT}


def test_sync_without_a_known_link_reads_the_whole_lms_course(lms, lms_browser):
    lms.enrol(CONTEXT, "student-1", LEARNER, name="Ada")
    lms.enrol(CONTEXT, "student-2", LEARNER, name="Bo")
    lms.restrict_link("section-a", ["student-1"])
    _teacher, course = _set_up(lms, lms_browser, link="section-a")
    assert "Bo" not in _roles(course)
    context = db.session.scalar(select(LtiContext))
    context.resource_link_id = None  # as for a course set up before Board kept the link
    roster.queue_sync(context)
    db.session.commit()
    assert lms.rlids_asked[-1] is None
    assert _roles(course) == {"Iris": Role.INSTRUCTOR, "Ada": Role.STUDENT, "Bo": Role.STUDENT}


def test_failed_sync_is_shown_and_changes_nothing(lms, lms_browser):
    lms.enrol(CONTEXT, "student-1", LEARNER, name="Ada")
    teacher, course = _set_up(lms, lms_browser)
    before = _roles(course)
    lms.members[CONTEXT] = []  # the LMS answers with nobody: a glitch, not a class that left
    context = db.session.scalar(select(LtiContext))
    roster.queue_sync(context)
    db.session.commit()
    assert _roles(course) == before
    assert "The last sync failed: The LMS returned an empty roster" in _roster_page(teacher, course)
    # The outbox tries again later; the LMS is back by then.
    lms.enrol(CONTEXT, "student-1", LEARNER, name="Ada")
    lms.enrol(CONTEXT, "student-2", LEARNER, name="Bo")
    outbox.deliver_due(now=utcnow() + timedelta(hours=2))
    assert "Bo" in _roles(course)
    assert "The last sync failed" not in _roster_page(teacher, course)


def test_nightly_sync_queues_each_lms_course_once_a_day(lms, lms_browser):
    _teacher, course = _set_up(lms, lms_browser)
    lms.enrol(CONTEXT, "student-9", LEARNER, name="Nina")
    assert roster.queue_all("2026-12-08") == 1
    assert "Nina" in _roles(course)
    lms.enrol(CONTEXT, "student-10", LEARNER, name="Noor")
    roster.queue_all("2026-12-08")  # the same night again: already done
    assert "Noor" not in _roles(course)
