"""Upload quotas the site admin sets per course (board/admin/), counted by the upload endpoint, and the usage
shown where people look: the admin's overview, the account page, the course settings."""

from __future__ import annotations

import io
import random

from PIL import Image
from sqlalchemy import select

from board.extensions import db
from board.models import AuditEntry, Course, Membership, Role
from board.uploads.models import Upload
from board.uploads.services import megabytes
from tests import factories
from tests.sql import count_queries


def _admin():
    person = factories.user("Site Admin", "admin@example.edu")
    person.is_admin = True
    db.session.commit()
    return person


def noise_png(seed: int = 1) -> bytes:
    """A picture that does not compress: about 390 KB stored, so three pass 1 MB (and each stays under the test
    client's 500 KB, past which it spools a request to a file it never closes)."""
    pixels = random.Random(seed).randbytes(360 * 360 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (360, 360), pixels).save(out, format="PNG")
    return out.getvalue()


def small_png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


def _upload(visitor, course, data: bytes, name: str = "picture.png"):
    return visitor.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(data), name)})


def _set_quotas(admin, course, person: str = "", whole: str = ""):
    prefix = f"course-{course.id}-"
    return admin.post(
        f"/admin/courses/{course.id}/upload-quotas", {f"{prefix}person_mb": person, f"{prefix}course_mb": whole}
    )


def test_admin_sets_a_person_quota_that_the_upload_endpoint_keeps(make_visitor):
    course = factories.course(title="Soviet History")
    student = make_visitor(factories.member(course))
    admin = make_visitor(_admin())

    assert _set_quotas(admin, course, person="1").status_code == 302
    assert [_upload(student, course, noise_png(seed)).status_code for seed in (1, 2)] == [201, 201]
    refused = _upload(student, course, noise_png(3))
    assert refused.status_code == 422
    assert "Your uploads in this course would pass 1 MB" in refused.get_json()["error"]

    assert _set_quotas(admin, course, person="2").status_code == 302
    assert _upload(student, course, noise_png(3)).status_code == 201


def test_admin_sets_a_course_quota_and_blank_means_the_site_default(make_visitor):
    course = factories.course()
    ann, ben = make_visitor(factories.member(course)), make_visitor(factories.member(course))
    admin = make_visitor(_admin())
    assert _set_quotas(admin, course, whole="1").status_code == 302
    assert [_upload(ann, course, noise_png(seed)).status_code for seed in (1, 2)] == [201, 201]

    refused = _upload(ben, course, noise_png(3))  # Ben is under his own quota; the course is not
    assert refused.status_code == 422 and "This course's uploads would pass 1 MB" in refused.get_json()["error"]

    assert _set_quotas(admin, course).status_code == 302  # both blank: the site's defaults again
    db.session.expire_all()
    saved = db.session.get(Course, course.id)
    assert (saved.upload_person_quota_mb, saved.upload_course_quota_mb) == (None, None)
    assert _upload(ben, course, noise_png(3)).status_code == 201


def test_quota_changes_are_in_the_course_audit_log(make_visitor):
    course = factories.course()
    _set_quotas(make_visitor(_admin()), course, person="80", whole="900")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.course_id == course.id))
    assert entry.action == "course:settings"
    assert "uploads per person: the site's default → 80 MB" in entry.detail
    assert "uploads per course: the site's default → 900 MB" in entry.detail


def test_quotas_must_be_whole_numbers_in_range(make_visitor):
    course = factories.course()
    admin = make_visitor(_admin())
    for person, whole in (("0", ""), ("-3", ""), ("", "100001"), ("lots", ""), ("2.5", "")):
        page = _set_quotas(admin, course, person, whole)
        assert page.status_code == 422, (person, whole)
        assert 'aria-invalid="true"' in page.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Course, course.id)
    assert (saved.upload_person_quota_mb, saved.upload_course_quota_mb) == (None, None)
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_only_the_site_admin_may_set_quotas(make_visitor):
    course = factories.course()
    instructor = factories.instructor_of(course)
    student = factories.member(course)
    assert _set_quotas(make_visitor(), course, person="1").status_code == 302  # to log in
    for person in (instructor, student, factories.user()):
        assert _set_quotas(make_visitor(person), course, person="1").status_code == 404
    db.session.expire_all()
    assert db.session.get(Course, course.id).upload_person_quota_mb is None


def test_overview_shows_each_course_usage_and_its_quota_form(make_visitor):
    course = factories.course(code="HIST 3644")
    student = factories.member(course)
    assert _upload(make_visitor(student), course, small_png()).status_code == 201
    admin = make_visitor(_admin())
    _set_quotas(admin, course, whole="700")

    page = admin.get("/admin/").get_data(as_text=True)
    assert "KB of 700 MB" in page
    assert f'action="/admin/courses/{course.id}/upload-quotas"' in page
    assert 'value="700"' in page and "50 MB (site default)" in page


def _join(course, person, role=Role.STUDENT):
    db.session.add(Membership(course_id=course.id, user_id=person.id, role=role))
    db.session.commit()


def test_account_page_shows_uploads_in_each_course(make_visitor):
    history, art = factories.course(code="HIST 3644"), factories.course(code="ART 1010")
    student = factories.member(history)
    _join(art, student)
    visitor = make_visitor(student)
    assert _upload(visitor, history, noise_png()).status_code == 201
    stored = db.session.scalar(select(Upload.size))
    _set_quotas(make_visitor(_admin()), art, person="80")

    page = visitor.get("/account").get_data(as_text=True)

    assert f"HIST 3644</span>: {megabytes(stored)} of 50 MB" in page
    assert "ART 1010</span>: 0 KB of 80 MB" in page


def test_account_page_query_count_does_not_grow_with_courses(make_visitor):
    student = factories.user()
    visitor = make_visitor(student)

    def queries_for_account() -> int:
        visitor.get("/account")
        with count_queries() as statements:
            assert visitor.get("/account").status_code == 200
        return len(statements)

    _join(factories.course(), student)
    few = queries_for_account()
    for _ in range(6):
        _join(factories.course(), student)
    assert queries_for_account() == few


def test_course_settings_show_usage_and_largest_uploaders_to_the_instructor(make_visitor):
    course = factories.course()
    instructor = factories.instructor_of(course)
    people = [factories.member(course, name=f"Student {n}") for n in range(7)]
    for n, person in enumerate(people):
        visitor = make_visitor(person)
        for shade in range(n + 1):  # Student 6 uploads the most
            assert _upload(visitor, course, small_png((shade * 30, n * 30, 90))).status_code == 201

    page = make_visitor(instructor).get(f"/c/{course.slug}/settings").get_data(as_text=True)

    assert "Uploads in this course: " in page and " of 500 MB." in page
    listed = page[page.index("Largest uploaders") :]
    assert [f"Student {n}" in listed for n in range(7)] == [False, False, True, True, True, True, True]
    assert listed.index("Student 6") < listed.index("Student 2")
    assert make_visitor(people[0]).get(f"/c/{course.slug}/settings").status_code == 403


def test_uploads_have_their_own_budget_and_leave_posting_s_alone(limits, make_visitor):
    """Uploading is rate-limited per account (UPLOAD_RATE_LIMIT), like posting but on its own budget: pasting two
    pictures does not use up the budget for sending the comment that holds them."""
    limits(POSTING_RATE_LIMIT="2 per minute", UPLOAD_RATE_LIMIT="2 per minute")
    course = factories.course()
    reading = factories.reading(course, title="The reading")
    student = make_visitor(factories.member(course))

    assert _upload(student, course, small_png((1, 2, 3))).status_code == 201
    assert _upload(student, course, small_png((7, 8, 9))).status_code == 201
    assert student.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "A comment"}).status_code == 302
    refused = _upload(student, course, small_png((4, 5, 6)))

    assert refused.status_code == 429
    assert db.session.scalar(select(db.func.count()).select_from(Upload)) == 2
