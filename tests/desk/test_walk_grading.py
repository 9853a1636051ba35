"""One-pass grading: the grade form beside each response in the responses walk (`?from=` the responses view), with
"Save" and "Save and next" (the next ungraded response in the view's order), under the grading page's rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from board.desk.models import Grade
from board.extensions import db
from board.models import Role
from tests import factories

FROM = "name.asc.all"


@pytest.fixture
def world():
    course = factories.course(factories.user("Iris Instructor"))
    w = {
        "course": course,
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Asa Assistant"),
    }
    reading = factories.reading(course, title="The reading", max_points=10.0)
    w["reading"] = reading
    for name in ("Ada", "Bo", "Cy", "Di"):
        student = factories.member(course, Role.STUDENT, f"{name} Student")
        w[name.lower()] = student
        w[f"{name.lower()}_response"] = factories.response(
            course, student, reading, title=f"{name}'s response", body=f"{name} writes here."
        )
    w["eve"] = factories.member(course, Role.STUDENT, "Eve Student")  # no response: not in the walk
    return w


def _walk(world, who):
    return f"/c/{world['course'].slug}/posts/{world[who + '_response'].id}?from={FROM}"


def _post(visitor, world, who, data):
    url = f"/c/{world['course'].slug}/posts/{world[who + '_response'].id}/grade"
    return visitor.post(url, {"from": FROM, "grade-version": "0", **data})


def _grade(world, who):
    db.session.expire_all()
    return db.session.scalar(select(Grade).where(Grade.student_id == world[who].id))


@pytest.mark.parametrize("role", ["instructor", "assistant"])
def test_staff_see_the_grade_form_beside_the_response_in_the_walk(make_visitor, world, role):
    page = make_visitor(world[role]).get(_walk(world, "bo")).get_data(as_text=True)
    assert 'class="walk-grade"' in page and "Grade Bo Student" in page
    assert 'aria-keyshortcuts="Control+Enter Meta+Enter"' in page and ">Save and next</button>" in page
    assert ">Save</button>" in page and "Next ungraded: Cy Student." in page
    assert 'name="grade-points"' in page and 'name="grade-feedback"' in page and "Out of 10." in page


def test_no_grade_form_for_students_or_outside_the_walk(make_visitor, world):
    student_page = make_visitor(world["ada"]).get(_walk(world, "bo")).get_data(as_text=True)
    assert "walk-grade" not in student_page and "Save and next" not in student_page
    plain = make_visitor(world["instructor"]).get(_walk(world, "bo").split("?")[0]).get_data(as_text=True)
    assert "Save and next" not in plain


def test_save_and_next_saves_and_goes_to_the_next_ungraded_response(make_visitor, world):
    staff = make_visitor(world["instructor"])
    db.session.add(  # Cy is graded already: next after Bo skips to Di
        Grade(
            course_id=world["course"].id,
            reading_id=world["reading"].id,
            student_id=world["cy"].id,
            grader_id=world["instructor"].id,
            points=6,
            feedback_md="",
            feedback_html="",
            version=1,
        )
    )
    db.session.commit()

    response = _post(staff, world, "bo", {"grade-points": "8.5", "grade-feedback": "Good *sources*.", "next": "1"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{world['di_response'].id}?from={FROM}")
    grade = _grade(world, "bo")
    assert (grade.points, grade.feedback_md, grade.grader_id) == (8.5, "Good *sources*.", world["instructor"].id)
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Grade saved for Bo Student." in page and "Grade Di Student" in page
    assert "Next ungraded: Ada Student." in page  # the walk goes round once


def test_save_stays_on_the_response_with_the_saved_grade(make_visitor, world):
    staff = make_visitor(world["assistant"])
    response = _post(staff, world, "ada", {"grade-points": "7", "grade-feedback": "Fine.", "save": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{world['ada_response'].id}?from={FROM}")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="7.0"' in page and "Fine.</textarea>" in page and "Last saved by Asa Assistant" in page


def test_the_last_ungraded_goes_back_to_the_responses_view(make_visitor, world):
    staff = make_visitor(world["instructor"])
    for who in ("ada", "bo", "cy"):
        assert _post(staff, world, who, {"grade-points": "5", "next": "1"}).status_code == 302
    response = _post(staff, world, "di", {"grade-points": "5", "next": "1"})
    assert response.headers["Location"].endswith(f"/desk/readings/{world['reading'].id}/")
    assert "Every response in this view is graded." in staff.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("points", "message"),
    [("lots", "Not a valid float value."), ("11", "graded out of 10 points"), ("-1", "Points are a number from 0 up.")],
)
def test_a_bad_grade_keeps_the_typed_feedback_with_a_message(make_visitor, world, points, message):
    staff = make_visitor(world["instructor"])
    response = _post(staff, world, "bo", {"grade-points": points, "grade-feedback": "Kept *words*.", "next": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "Kept *words*.</textarea>" in page and f'value="{points}"' in page
    assert "Bo writes here." in page and "Not saved" in page  # the same walk page, the response beside the form
    assert _grade(world, "bo") is None


def test_a_grade_saved_meanwhile_is_not_overwritten(make_visitor, world):
    first, second = make_visitor(world["instructor"]), make_visitor(world["assistant"])
    assert _post(first, world, "bo", {"grade-points": "5", "save": "1"}).status_code == 302
    response = _post(second, world, "bo", {"grade-points": "9", "grade-feedback": "Mine", "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "saved a newer grade" in page and "Mine</textarea>" in page
    assert _grade(world, "bo").points == 5.0


def test_students_cannot_grade_from_the_walk_and_get_writes_nothing(make_visitor, world):
    student = make_visitor(world["ada"])
    assert _post(student, world, "bo", {"grade-points": "10", "next": "1"}).status_code == 403
    url = f"/c/{world['course'].slug}/posts/{world['bo_response'].id}/grade"
    assert make_visitor(world["instructor"]).get(url).status_code == 405
    assert _grade(world, "bo") is None


def test_the_walk_grade_form_needs_its_csrf_token(make_visitor, world):
    staff = make_visitor(world["instructor"])
    url = f"/c/{world['course'].slug}/posts/{world['bo_response'].id}/grade"
    response = staff.client.post(url, data={"from": FROM, "grade-version": "0", "grade-points": "4", "next": "1"})
    assert response.status_code == 400
    assert _grade(world, "bo") is None


UNGRADED = "name.asc.ungraded"


def test_save_in_the_not_graded_view_keeps_the_response_in_the_walk(make_visitor, world):
    """Saved, the response no longer matches "Not graded": the page after Save still has its grade form, the saved
    grade, its place in the walk and next/previous."""
    staff = make_visitor(world["instructor"])
    url = f"/c/{world['course'].slug}/posts/{world['bo_response'].id}/grade"
    response = staff.post(url, {"from": UNGRADED, "grade-version": "0", "grade-points": "7", "save": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{world['bo_response'].id}?from={UNGRADED}")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="walk-grade"' in page and "Grade Bo Student" in page
    assert 'value="7.0"' in page and "Last saved by Iris Instructor" in page
    assert "Next ungraded: Cy Student." in page
    assert f"/posts/{world['ada_response'].id}?from={UNGRADED}" in page  # previous
    assert f"/posts/{world['cy_response'].id}?from={UNGRADED}" in page  # next


def test_save_and_next_from_the_last_ungraded_in_the_not_graded_view(make_visitor, world):
    staff = make_visitor(world["instructor"])
    for who in ("ada", "bo", "cy"):
        assert _post(staff, world, who, {"grade-points": "5", "save": "1"}).status_code == 302
    url = f"/c/{world['course'].slug}/posts/{world['di_response'].id}"
    page = staff.get(f"{url}?from={UNGRADED}").get_data(as_text=True)
    assert "Grade Di Student" in page and "Every other response here is graded" in page
    response = staff.post(f"{url}/grade", {"from": UNGRADED, "grade-version": "0", "grade-points": "5", "next": "1"})
    assert response.headers["Location"].endswith(f"/desk/readings/{world['reading'].id}/?show=ungraded")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Every response in this view is graded." in page and "Grade saved for Di Student." in page


@pytest.mark.parametrize("sent_from", [None, "bogus", "name.sideways.all"])
def test_a_refused_walk_form_without_a_valid_from_still_shows_the_form(make_visitor, world, sent_from):
    staff = make_visitor(world["instructor"])
    url = f"/c/{world['course'].slug}/posts/{world['bo_response'].id}/grade"
    data = {"grade-version": "0", "grade-points": "lots", "grade-feedback": "Kept.", "next": "1"}
    response = staff.post(url, data if sent_from is None else {**data, "from": sent_from})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="walk-grade"' in page and "Not a valid float value." in page and "Kept.</textarea>" in page
    assert f'name="from" value="{FROM}"' in page  # the default order from here on


def test_a_refused_walk_form_shows_its_csrf_error(app, monkeypatch, make_visitor, world):
    """Where the form's own token is checked (the app-wide check off, as a deployment may set it), a stale one is
    refused and the refusal says so below "see the message below"."""
    monkeypatch.setitem(app.config, "WTF_CSRF_CHECK_DEFAULT", False)
    staff = make_visitor(world["instructor"])
    url = f"/c/{world['course'].slug}/posts/{world['bo_response'].id}/grade"
    data = {"from": FROM, "grade-version": "0", "grade-points": "4", "grade-csrf_token": "stale", "save": "1"}
    response = staff.post(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not saved: see the message below" in page
    assert "The CSRF token is invalid." in page
    assert _grade(world, "bo") is None
