"""Grading in context: who may grade, what the grader sees, refusing a save over a newer grade, the audit log, and
release: a student sees their own released grade and feedback, never anyone else's, never before release."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board.desk.models import Grade
from board.extensions import db
from board.models import AuditEntry, Role
from tests import factories

VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


@pytest.fixture
def world():
    course = factories.course(factories.user("Iris Instructor"))
    w = {
        "course": course,
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Asa Assistant"),
        "ada": factories.member(course, Role.STUDENT, "Ada Student"),
        "bo": factories.member(course, Role.STUDENT, "Bo Student"),
        "cy": factories.member(course, Role.STUDENT, "Cy Student"),
    }
    reading = factories.reading(course, title="The reading", max_points=10.0)
    w["reading"] = reading
    w["ada_response"] = factories.response(course, w["ada"], reading, title="Ada's response", body="Ada thinks *so*.")
    w["bo_response"] = factories.response(course, w["bo"], reading, title="Bo's response", body="Bo disagrees here.")
    w["bo_comment"] = factories.comment(w["bo_response"], w["cy"], "Cy asks Bo a question")
    w["ada_reply"] = factories.comment(w["bo_response"], w["ada"], "Ada answers Cy", parent=w["bo_comment"])
    w["ada_top"] = factories.comment(w["bo_response"], w["ada"], "Ada on Bo's response")
    w["url"] = f"/c/{course.slug}/readings/{reading.id}/grades"
    return w


def _version(page: str) -> str:
    match = VERSION.search(page)
    assert match, "no version field"
    return match.group(1) or match.group(2)


def _grade(visitor, world, student, points, feedback, version=None):
    url = f"{world['url']}/{world[student].id}"
    if version is None:
        version = _version(visitor.get(url).get_data(as_text=True))
    return visitor.post(url, {"points": points, "feedback": feedback, "version": version})


def test_grader_sees_the_students_response_and_every_comment_with_what_it_answered(make_visitor, world):
    page = make_visitor(world["instructor"]).get(f"{world['url']}/{world['ada'].id}").get_data(as_text=True)
    assert "Ada thinks <em>so</em>." in page
    assert "Ada answers Cy" in page and "Cy asks Bo a question" in page  # the reply, and the comment it answered
    assert "Ada on Bo&#39;s response" in page or "Ada on Bo's response" in page
    assert "Bo&#39;s response" in page or "Bo's response" in page  # the post a top-level comment answered
    assert "Bo disagrees here" not in page  # the classmate's response body is not Ada's work
    assert "Out of 10." in page


def test_next_and_previous_follow_roster_order(make_visitor, world):
    visitor = make_visitor(world["instructor"])
    page = visitor.get(f"{world['url']}/{world['bo'].id}").get_data(as_text=True)
    assert f'rel="prev" href="{world["url"]}/{world["ada"].id}"' in page
    assert f'rel="next" href="{world["url"]}/{world["cy"].id}"' in page
    first = visitor.get(f"{world['url']}/{world['ada'].id}").get_data(as_text=True)
    assert 'rel="prev"' not in first and "First student" in first


@pytest.mark.parametrize("role", ["instructor", "assistant"])
def test_staff_grade_and_the_change_is_audited(make_visitor, world, role):
    visitor = make_visitor(world[role])
    response = _grade(visitor, world, "ada", "8.5", "Good *sources*.")
    assert response.status_code == 302
    grade = db.session.scalar(select(Grade).where(Grade.student_id == world["ada"].id))
    assert (grade.points, grade.feedback_html, grade.version) == (8.5, "<p>Good <em>sources</em>.</p>\n", 1)
    assert _grade(visitor, world, "ada", "9", "Good *sources*.").status_code == 302
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "grade:save").order_by(AuditEntry.id))
    details = [(e.actor_id, e.subject_type, e.detail) for e in entries]
    assert details == [
        (world[role].id, "grade", "Ada Student on “The reading”: none → 8.5 points, feedback changed"),
        (world[role].id, "grade", "Ada Student on “The reading”: 8.5 points → 9 points, same feedback"),
    ]


@pytest.mark.parametrize("role", ["ada", "bo"])
def test_students_cannot_open_or_save_grades(make_visitor, world, role):
    visitor = make_visitor(world[role])
    assert visitor.get(world["url"]).status_code == 403
    assert visitor.get(f"{world['url']}/{world['ada'].id}").status_code == 403
    assert visitor.post(f"{world['url']}/{world['ada'].id}", {"points": "10", "version": "0"}).status_code == 403
    assert visitor.post(f"{world['url']}/release", {"released": "1"}).status_code == 403
    assert db.session.scalar(select(Grade.id)) is None


def test_outsiders_get_404_and_staff_cannot_grade_a_non_student(make_visitor, world):
    outsider = make_visitor(factories.user("Nora Outsider"))
    assert outsider.get(world["url"]).status_code == 404
    assert outsider.get(f"{world['url']}/{world['ada'].id}").status_code == 404
    staff = make_visitor(world["instructor"])
    assert staff.get(f"{world['url']}/{world['assistant'].id}").status_code == 404
    assert staff.get(f"/c/{world['course'].slug}/readings/{world['ada_response'].id}/grades").status_code == 404


def test_points_over_the_maximum_are_refused_with_the_text_kept(make_visitor, world):
    visitor = make_visitor(world["instructor"])
    for points in ("11", "-1", "NaN", "inf", "lots"):
        response = _grade(visitor, world, "ada", points, "Keep this feedback")
        assert response.status_code == 422, points
        page = response.get_data(as_text=True)
        assert "Keep this feedback" in page
    assert "graded out of 10 points" in _grade(visitor, world, "ada", "11", "x").get_data(as_text=True)
    assert db.session.scalar(select(Grade.id)) is None


def test_a_save_over_a_newer_grade_is_refused_showing_both(make_visitor, world):
    first, second = make_visitor(world["instructor"]), make_visitor(world["assistant"])
    url = f"{world['url']}/{world['ada'].id}"
    stale = _version(second.get(url).get_data(as_text=True))  # the assistant opens the page first
    assert _grade(first, world, "ada", "7", "Instructor's view").status_code == 302

    refused = _grade(second, world, "ada", "9", "Assistant's view", version=stale)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Iris Instructor saved a newer grade" in page
    assert "<p>Instructor's view</p>" in page and "Theirs: 7 / 10" in page  # theirs
    assert "Assistant&#39;s view" in page and 'value="9"' in page  # yours, kept in the form
    grade = factories.reload(db.session.scalar(select(Grade)))
    assert (grade.points, grade.feedback_md, grade.version) == (7.0, "Instructor's view", 1)

    # The form now carries the newer version: saving again replaces theirs on purpose.
    again = second.post(url, {"points": "9", "feedback": "Assistant's view", "version": _version(page)})
    assert again.status_code == 302
    grade = factories.reload(grade)
    assert (grade.points, grade.version, grade.grader_id) == (9.0, 2, world["assistant"].id)


def test_two_first_grades_at_once_do_not_overwrite(make_visitor, world):
    first, second = make_visitor(world["instructor"]), make_visitor(world["assistant"])
    assert _grade(first, world, "ada", "5", "one", version="0").status_code == 302
    assert _grade(second, world, "ada", "6", "two", version="0").status_code == 409
    assert factories.reload(db.session.scalar(select(Grade))).points == 5.0


def _release(visitor, world, released="1"):
    """Release (confirmed, as after the check page: some students are ungraded here) or withdraw."""
    return visitor.post(f"{world['url']}/release", {"released": released, "confirmed": "1"})


def test_students_see_only_their_own_grade_and_only_once_released(make_visitor, world):
    staff = make_visitor(world["instructor"])
    _grade(staff, world, "ada", "8", "Ada's *feedback*")
    _grade(staff, world, "bo", "4", "Bo's feedback")
    reading_url = f"/c/{world['course'].slug}/posts/{world['reading'].id}"
    ada, bo, cy = (make_visitor(world[n]) for n in ("ada", "bo", "cy"))

    assert "Your grade" not in ada.get(reading_url).get_data(as_text=True)
    assert "feedback" not in ada.get(f"/c/{world['course'].slug}/my-work").get_data(as_text=True)

    assert _release(staff, world).status_code == 302
    page = ada.get(reading_url).get_data(as_text=True)
    assert "Your grade: 8 / 10" in page and "Ada's <em>feedback</em>" in page
    assert "Bo's feedback" not in page and "4 / 10" not in page
    assert "Your grade: 4 / 10" in bo.get(reading_url).get_data(as_text=True)
    assert "Your grade" not in cy.get(reading_url).get_data(as_text=True)  # never graded
    assert "Grade: 8 / 10" in ada.get(f"/c/{world['course'].slug}/my-work").get_data(as_text=True)

    assert _release(staff, world, "0").status_code == 302
    assert "Your grade" not in ada.get(reading_url).get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("grade:%"))).all()
    assert sorted(actions) == ["grade:release", "grade:save", "grade:save", "grade:withdraw"]


def test_release_is_shown_on_the_grades_page(make_visitor, world):
    staff = make_visitor(world["assistant"])
    assert "Release grades" in staff.get(world["url"]).get_data(as_text=True)
    _release(staff, world)
    page = staff.get(world["url"]).get_data(as_text=True)
    assert "Withdraw grades" in page and "Released to students" in page
    assert factories.reload(world["reading"]).grades_released_at is not None


@pytest.mark.parametrize("attempt", range(2))
def test_two_graders_saving_at_the_same_moment_never_overwrite_silently(make_visitor, monkeypatch, world, attempt):
    from board.desk import grading
    from tests.concurrency import Rendezvous, at_once

    first, second = make_visitor(world["instructor"]), make_visitor(world["assistant"])
    assert _grade(first, world, "ada", "5", "start").status_code == 302
    url = f"{world['url']}/{world['ada'].id}"
    version = _version(first.get(url).get_data(as_text=True))
    for grader in (first, second):
        grader.csrf_token("/courses")
    # Both requests pass the version check before either writes (the rendezvous is just after it).
    monkeypatch.setattr(grading, "_points_text", Rendezvous(grading._points_text))
    results = at_once(
        lambda: first.post(url, {"points": "7", "feedback": "first", "version": version}),
        lambda: second.post(url, {"points": "9", "feedback": "second", "version": version}),
    )
    statuses = [getattr(result, "status_code", result) for result in results]
    # One wins; the other is refused with both shown (409), or on SQLite may be told the board is busy (503).
    assert sorted(statuses) in ([302, 409], [302, 503]), statuses
    winner = "first" if statuses[0] == 302 else "second"
    grade = factories.reload(db.session.scalar(select(Grade)))
    assert (grade.feedback_md, grade.version) == (winner, 2)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == 2


def test_the_maximum_points_are_set_on_the_reading_form(make_visitor, world):
    staff = make_visitor(world["instructor"])
    url = f"/c/{world['course'].slug}/posts/{world['reading'].id}/edit"
    form = {"title": "The reading", "body": "Read this.", "timezone": "UTC", "publish": "Save changes"}
    refused = staff.post(url, {**form, "max_points": "NaN"})
    assert refused.status_code == 200 and "Enter a number" in refused.get_data(as_text=True)
    assert factories.reload(world["reading"]).max_points == 10.0
    assert staff.post(url, {**form, "max_points": "12.5"}).status_code == 302
    assert factories.reload(world["reading"]).max_points == 12.5
    assert staff.post(url, {**form, "max_points": ""}).status_code == 302
    assert factories.reload(world["reading"]).max_points is None
