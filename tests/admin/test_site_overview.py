"""The site admin's overview at /admin: who may open it, what it lists, and that it reveals no course content."""

from __future__ import annotations

from board.auth import services as accounts
from board.extensions import db
from tests import factories
from tests.sql import count_queries


def _admin():
    person = factories.user("Site Admin", "admin@example.edu")
    person.is_admin = True
    db.session.commit()
    return person


def test_only_site_admins_may_open_the_overview(make_visitor):
    course = factories.course(title="Soviet History")
    instructor = factories.instructor_of(course)
    student = factories.member(course)

    assert make_visitor().get("/admin/").status_code == 302  # to the login page
    for person in (instructor, student, factories.user()):
        visitor = make_visitor(person)
        assert visitor.get("/admin/").status_code == 404
        assert 'href="/admin/"' not in visitor.get("/courses").get_data(as_text=True)

    admin = make_visitor(_admin())
    assert 'href="/admin/"' in admin.get("/courses").get_data(as_text=True)
    assert admin.get("/admin/").status_code == 200


def test_overview_lists_courses_and_accounts_without_course_content(make_visitor):
    course = factories.course(title="Soviet History", code="HIST 3644")
    instructor = factories.instructor_of(course)
    instructor.display_name = "Dr Ivanova"
    student = factories.member(course, name="Sasha")
    reading = factories.reading(course, title="A reading only members may see")
    factories.response(reading, student, title="A private response")
    empty = factories.course(title="Empty Seminar")
    factories.instructor_of(empty)
    accounts.create_user("imported@example.edu", "Imported Person", None)
    db.session.commit()

    page = make_visitor(_admin()).get("/admin/").get_data(as_text=True)

    assert "2 courses, 5 accounts" in page  # two instructors, a student, the imported person and the admin
    assert "HIST 3644" in page and "Soviet History" in page and "Empty Seminar" in page
    assert "Dr Ivanova" in page and course.slug in page
    assert "imported@example.edu" in page and "No password yet" in page
    assert "A reading only members may see" not in page and "A private response" not in page
    assert student.email in page


def test_overview_query_count_does_not_grow_with_courses(make_visitor):
    admin = make_visitor(_admin())

    def queries_for_overview() -> int:
        admin.get("/admin/")
        with count_queries() as statements:
            assert admin.get("/admin/").status_code == 200
        return len(statements)

    course = factories.course()
    factories.member(course)
    few = queries_for_overview()
    for _ in range(20):
        extra = factories.course()
        for _ in range(3):
            factories.member(extra)
    assert queries_for_overview() == few
