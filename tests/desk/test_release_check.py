"""'Release grades' asks first: who is ungraded (with or without a response) and who was graded without a response
are listed, and nothing is released until the instructor confirms; with everyone graded it still asks (once)."""

from __future__ import annotations

import pytest

from board.desk.models import Grade
from board.extensions import db
from board.models import Role
from tests import factories


@pytest.fixture
def world():
    course = factories.course(factories.user("Iris Instructor"))
    w = {
        "course": course,
        "instructor": factories.instructor_of(course),
        "ada": factories.member(course, Role.STUDENT, "Ada Student"),
        "bo": factories.member(course, Role.STUDENT, "Bo Student"),
        "cy": factories.member(course, Role.STUDENT, "Cy Student"),
        "di": factories.member(course, Role.STUDENT, "Di Student"),
    }
    reading = factories.reading(course, title="The reading", max_points=10.0)
    w["reading"] = reading
    factories.response(course, w["ada"], reading, title="Ada's response")
    factories.response(course, w["bo"], reading, title="Bo's response")
    w["url"] = f"/c/{course.slug}/readings/{reading.id}/grades"
    return w


def _give(world, student, points):
    db.session.add(
        Grade(
            course_id=world["course"].id,
            reading_id=world["reading"].id,
            student_id=world[student].id,
            grader_id=world["instructor"].id,
            points=points,
            feedback_md="",
            feedback_html="",
            version=1,
        )
    )
    db.session.commit()


def test_release_with_ungraded_students_asks_first_and_lists_them(make_visitor, world):
    _give(world, "ada", 8)  # responded, graded
    _give(world, "cy", 0)  # graded without a response; Bo responded, ungraded; Di neither
    staff = make_visitor(world["instructor"])

    response = staff.post(f"{world['url']}/release", {"released": "1"})

    assert response.status_code == 303 and response.headers["Location"].endswith(f"{world['url']}/release")
    assert factories.reload(world["reading"]).grades_released_at is None
    page = staff.get(f"{world['url']}/release").get_data(as_text=True)
    ungraded = page.split('id="ungraded-heading"')[1].split("</section>")[0]
    missing = page.split('id="missing-heading"')[1].split("</section>")[0]
    graded_anyway = page.split('id="no-response-heading"')[1].split("</section>")[0]
    assert "Bo Student" in ungraded and "Ada Student" not in ungraded and "(1)" in ungraded
    assert "Di Student" in missing and "Cy Student" not in missing
    assert "Cy Student" in graded_anyway and "0 / 10 points" in graded_anyway
    assert "Release anyway" in page and "Go back" in page
    assert factories.reload(world["reading"]).grades_released_at is None  # looking is no release


def test_release_anyway_releases(make_visitor, world):
    staff = make_visitor(world["instructor"])
    response = staff.post(f"{world['url']}/release", {"released": "1", "confirmed": "1"})
    assert response.status_code == 302
    assert factories.reload(world["reading"]).grades_released_at is not None


def test_release_with_everyone_graded_still_asks_first(make_visitor, world):
    for student in ("ada", "bo"):
        _give(world, student, 7)
    for student in ("cy", "di"):
        factories.response(world["course"], world[student], world["reading"], title=f"{student}'s response")
        _give(world, student, 6)
    staff = make_visitor(world["instructor"])
    grades = staff.get(world["url"]).get_data(as_text=True)
    assert f'href="{world["url"]}/release">Release grades</a>' in grades  # a link to the check, not a release

    response = staff.post(f"{world['url']}/release", {"released": "1"})

    assert response.status_code == 303 and response.headers["Location"].endswith(f"{world['url']}/release")
    assert factories.reload(world["reading"]).grades_released_at is None
    page = staff.get(f"{world['url']}/release").get_data(as_text=True)
    assert "All 4 students are graded" in page and ">Release grades</button>" in page
    assert "ungraded-heading" not in page and "Release anyway" not in page

    response = staff.post(f"{world['url']}/release", {"released": "1", "confirmed": "1"})

    assert response.status_code == 302 and response.headers["Location"].endswith(world["url"])
    assert factories.reload(world["reading"]).grades_released_at is not None


@pytest.mark.parametrize("who", ["ada", None])
def test_students_and_strangers_cannot_see_the_check_or_release(make_visitor, world, who):
    visitor = make_visitor(world[who] if who else factories.user("Stranger"))
    assert visitor.get(f"{world['url']}/release").status_code in (403, 404)
    assert visitor.post(f"{world['url']}/release", {"released": "1", "confirmed": "1"}).status_code in (403, 404)
    assert factories.reload(world["reading"]).grades_released_at is None


def test_release_without_csrf_token_is_refused(make_visitor, world):
    staff = make_visitor(world["instructor"])
    response = staff.client.post(f"{world['url']}/release", data={"released": "1", "confirmed": "1"})
    assert response.status_code == 400
    assert factories.reload(world["reading"]).grades_released_at is None
