"""Courses, join codes, roles and the roster; privacy of everything in a course."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from board.courses import services
from board.extensions import db
from board.models import Course, Membership, Role, utcnow
from tests import factories
from tests.concurrency import Rendezvous, at_once


def _membership(course, user):
    db.session.expire_all()
    return db.session.scalar(db.select(Membership).filter_by(course_id=course.id, user_id=user.id))


def test_creating_a_course_makes_you_its_instructor(make_visitor):
    ada = factories.user("Ada")
    visitor = make_visitor(ada)
    response = visitor.post(
        "/courses/new",
        {"title": "Soviet History", "code": "HIST 3644", "term": "Spring 2027", "description": "The Gulag and after."},
    )
    assert response.status_code == 302
    course = db.session.scalar(db.select(Course))
    assert course.slug == "hist-3644-spring-2027"
    assert _membership(course, ada).role == Role.INSTRUCTOR
    assert "Soviet History" in visitor.get(f"/c/{course.slug}/").get_data(as_text=True)


def test_course_needs_a_title(make_visitor):
    visitor = make_visitor(factories.user())
    response = visitor.post("/courses/new", {"title": "", "code": "HIST 1"})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert 'value="HIST 1"' in response.get_data(as_text=True)


@pytest.mark.parametrize("which, role", [("student", Role.STUDENT), ("assistant", Role.ASSISTANT)])
def test_join_code_gives_its_role(make_visitor, which, role):
    course = factories.course()
    bob = factories.user("Bob")
    code = getattr(course, f"{which}_join_code")
    response = make_visitor(bob).post("/courses/join", {"code": code.lower()})
    assert response.status_code == 302
    assert _membership(course, bob).role == role


def test_wrong_join_code_says_so(make_visitor):
    factories.course()
    response = make_visitor(factories.user()).post("/courses/join", {"code": "NOPE123"})
    assert response.status_code == 422
    assert "No course has that join code" in response.get_data(as_text=True)


def test_one_person_can_teach_one_course_and_study_in_another(make_visitor):
    ada = factories.user("Ada")
    taught = factories.course(ada, title="Taught")
    other = factories.course(title="Studied")
    make_visitor(ada).post("/courses/join", {"code": other.student_join_code})
    assert _membership(taught, ada).role == Role.INSTRUCTOR
    assert _membership(other, ada).role == Role.STUDENT


def test_regenerated_code_replaces_the_old_one(make_visitor):
    course = factories.course()
    old = course.student_join_code
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(f"/c/{course.slug}/join-codes/student/regenerate")
    course = factories.reload(course)
    assert course.student_join_code != old
    response = make_visitor(factories.user()).post("/courses/join", {"code": old})
    assert response.status_code == 422


def test_roster_shows_codes_to_instructor_only(make_visitor):
    course = factories.course()
    student = factories.member(course)
    assistant = factories.member(course, Role.ASSISTANT)
    page = make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/roster").get_data(as_text=True)
    assert course.student_join_code in page and course.assistant_join_code in page
    assert make_visitor(student).get(f"/c/{course.slug}/roster").status_code == 403
    assert make_visitor(assistant).get(f"/c/{course.slug}/roster").status_code == 403
    assert make_visitor(student).post(f"/c/{course.slug}/join-codes/student/regenerate").status_code == 403


def test_instructor_changes_roles_and_removes_members(make_visitor):
    course = factories.course()
    student = factories.member(course)
    instructor = make_visitor(factories.instructor_of(course))
    membership = _membership(course, student)
    instructor.post(f"/c/{course.slug}/roster/{membership.id}/role", {"role": "assistant"})
    assert _membership(course, student).role == Role.ASSISTANT
    instructor.post(f"/c/{course.slug}/roster/{membership.id}/remove")
    assert _membership(course, student) is None
    assert make_visitor(student).get(f"/c/{course.slug}/").status_code == 404


def test_the_last_instructor_stays(make_visitor):
    course = factories.course()
    teacher = factories.instructor_of(course)
    membership = _membership(course, teacher)
    response = make_visitor(teacher).post(
        f"/c/{course.slug}/roster/{membership.id}/role", {"role": "student"}, follow_redirects=True
    )
    assert "at least one instructor" in response.get_data(as_text=True)
    assert _membership(course, teacher).role == Role.INSTRUCTOR


def test_students_cannot_change_roles_or_remove(make_visitor):
    course = factories.course()
    student = factories.member(course)
    other = factories.member(course)
    membership = _membership(course, other)
    visitor = make_visitor(student)
    assert visitor.post(f"/c/{course.slug}/roster/{membership.id}/role", {"role": "instructor"}).status_code == 403
    assert visitor.post(f"/c/{course.slug}/roster/{membership.id}/remove").status_code == 403
    assert _membership(course, other).role == Role.STUDENT


def test_roster_actions_cannot_reach_another_course(make_visitor):
    course = factories.course()
    other_course = factories.course()
    stranger = factories.member(other_course)
    membership = _membership(other_course, stranger)
    instructor = make_visitor(factories.instructor_of(course))
    assert instructor.post(f"/c/{course.slug}/roster/{membership.id}/remove").status_code == 404
    assert _membership(other_course, stranger) is not None


@pytest.mark.parametrize(
    "path", ["/", "/roster", "/settings", "/people/1", "/readings/new", "/posts/1", "/posts/1/edit", "/posts/new"]
)
def test_non_members_get_404_for_everything_in_a_course(make_visitor, path):
    course = factories.course()
    factories.reading(course)
    outsider = make_visitor(factories.user())
    assert outsider.get(f"/c/{course.slug}{path}").status_code == 404
    assert outsider.get(f"/c/no-such-course{path}").status_code == 404


def test_non_member_posts_get_404(make_visitor):
    course = factories.course()
    reading = factories.reading(course)
    outsider = make_visitor(factories.user())
    assert outsider.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "hi"}).status_code == 404
    assert (
        outsider.post(
            f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "x", "body": "y", "publish": "1"}
        ).status_code
        == 404
    )


def test_anonymous_visitors_are_sent_to_log_in(client):
    course = factories.course()
    response = client.get(f"/c/{course.slug}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_are_for_instructors(make_visitor):
    course = factories.course()
    assistant = factories.member(course, Role.ASSISTANT)
    assert make_visitor(assistant).get(f"/c/{course.slug}/settings").status_code == 403
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(
        f"/c/{course.slug}/settings",
        {
            "title": "New title",
            "code": "H 1",
            "term": "",
            "description": "",
            "allow_free_posts": "y",
            "moderation_policy": "first",
            "like_policy": "staff",
        },
    )
    course = factories.reload(course)
    assert (course.title, course.allow_free_posts, course.moderation_policy, course.like_policy) == (
        "New title",
        True,
        "first",
        "staff",
    )


def test_course_home_lists_readings_pinned_first_with_counts(make_visitor):
    course = factories.course()
    student = factories.member(course)
    first = factories.reading(course, title="First reading", week="Week 1")
    factories.reading(course, title="Pinned reading", pinned=True)
    factories.response(course, student, first, title="Student answer")
    factories.comment(first, student, "A comment on the reading")
    page = make_visitor(student).get(f"/c/{course.slug}/").get_data(as_text=True)
    assert page.index("Pinned reading") < page.index("First reading")
    assert "1 response" in page
    assert "Student answer" in page
    assert "A comment on the reading" in page


def test_course_home_orders_readings_by_week_then_due_date(make_visitor):
    course = factories.course()
    soon = utcnow() + timedelta(days=1)
    later = soon + timedelta(days=7)
    # Created in shuffled order, so creation order cannot pass for syllabus order.
    factories.reading(course, title="No week, due later", due_at=later)
    factories.reading(course, title="Week 10 reading", week="Week 10")
    factories.reading(course, title="Week 2, due later", week="Week 2", due_at=later)
    factories.reading(course, title="Week 2, undated", week="Week 2")
    factories.reading(course, title="Week 2, due soon", week="Week 2", due_at=soon)
    factories.reading(course, title="No week, due soon", due_at=soon)
    factories.reading(course, title="Pinned from week 10", week="Week 10", pinned=True)
    page = make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/").get_data(as_text=True)
    titles = re.findall(r'class="reading-title"[^>]*>([^<]+)<', page)
    assert titles == [
        "Pinned from week 10",
        "Week 2, due soon",
        "Week 2, due later",
        "Week 2, undated",
        "Week 10 reading",
        "No week, due soon",
        "No week, due later",
    ]
    labels = re.findall(
        r'<li class="week-label">([^<]+?)\s*(?:<span class="tag tag-current">([^<]+)</span>)?</li>', page
    )
    assert labels == [("Week 2", "This week"), ("Week 10", ""), ("Other readings", "")]  # Week 2 contains today


def test_person_page_lists_their_responses_and_comments(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Sasha")
    reading = factories.reading(course)
    factories.response(course, student, reading, title="Sasha's essay")
    factories.comment(reading, student, "Sasha's comment")
    page = make_visitor(factories.member(course)).get(f"/c/{course.slug}/people/{student.id}").get_data(as_text=True)
    assert "Sasha&#39;s essay" in page and "Sasha&#39;s comment" in page


def test_join_code_is_shown_in_the_page_as_text(make_visitor):
    course = factories.course()
    page = make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/roster").get_data(as_text=True)
    assert re.search(r'id="student-code">[A-Z0-9]{10}<', page)


@pytest.mark.parametrize("attempt", range(3))
def test_joining_twice_at_once_makes_one_membership(make_visitor, monkeypatch, attempt):
    # One person, two tabs: both requests find no membership yet before either inserts one.
    monkeypatch.setattr(services, "membership_of", Rendezvous(services.membership_of))
    course = factories.course()
    bob = factories.user("Bob")
    tabs = [make_visitor(bob) for _ in range(2)]
    for tab in tabs:
        tab.csrf_token("/courses")
    results = at_once(*(lambda tab=tab: tab.post("/courses/join", {"code": course.student_join_code}) for tab in tabs))
    assert [getattr(result, "status_code", result) for result in results] == [302, 302]
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == bob.id)) == 1
    messages = [tab.get(f"/c/{course.slug}/").get_data(as_text=True) for tab in tabs]
    assert sum(f"You joined {course.title} as student." in page for page in messages) == 1
    assert sum(f"You are already in {course.title}." in page for page in messages) == 1


def test_changes_to_course_settings_are_in_the_audit_log_and_saving_nothing_new_records_nothing(make_visitor):
    from board.models import AuditEntry

    course = factories.course(title="Old title")
    instructor = factories.instructor_of(course)
    visitor = make_visitor(instructor)
    form = {"title": "Old title", "code": course.code, "term": course.term, "description": course.description}
    form |= {"moderation_policy": course.moderation_policy, "like_policy": course.like_policy}
    visitor.post(f"/c/{course.slug}/settings", form)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0

    visitor.post(f"/c/{course.slug}/settings", form | {"moderation_policy": "all", "allow_anonymous": "y"})

    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.subject_type) == ("course:settings", instructor.id, "course")
    assert "moderation policy: “open” → “all”" in entry.detail and "allow anonymous: off → on" in entry.detail
    log = visitor.get(f"/c/{course.slug}/audit?action=course:settings").get_data(as_text=True)
    assert "moderation policy: “open” → “all”" in log
