"""Awards finished (on comments as well as posts, a limit per award type per reading, the note shown where the award
is), and holding one student's contributions for approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import AuditEntry, Award, AwardType, Comment, Membership, Post, Role, Visibility
from tests import factories


@pytest.fixture
def world():
    course = factories.course(factories.user("Iris Instructor"))
    w = {
        "course": course,
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Asa Assistant"),
        "ada": factories.member(course, Role.STUDENT, "Ada Student"),
        "bo": factories.member(course, Role.STUDENT, "Bo Student"),
    }
    w["reading"] = factories.reading(course, title="The reading")
    w["other_reading"] = factories.reading(course, title="Another reading")
    w["ada_response"] = factories.response(course, w["ada"], w["reading"], title="Ada's response")
    w["bo_response"] = factories.response(course, w["bo"], w["reading"], title="Bo's response")
    w["bo_comment"] = factories.comment(w["ada_response"], w["bo"], "Bo's sharp question")
    w["other_response"] = factories.response(course, w["bo"], w["other_reading"], title="Bo elsewhere")
    w["corner"] = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star", per_reading_limit=1)
    w["sharp"] = AwardType(course_id=course.id, name="Sharp Question", badge="lightbulb")
    db.session.add_all([w["corner"], w["sharp"]])
    db.session.commit()
    w["url"] = f"/c/{course.slug}"
    return w


def _give(visitor, world, kind, item, award_type, note=""):
    return visitor.post(f"{world['url']}/{kind}/{item.id}/awards", {"award_type_id": str(award_type.id), "note": note})


def test_staff_award_a_comment_and_its_note_shows_on_the_comment(make_visitor, world):
    staff = make_visitor(world["assistant"])
    assert _give(staff, world, "comments", world["bo_comment"], world["sharp"], "Made us rethink").status_code == 302
    award = db.session.scalar(select(Award))
    assert (award.comment_id, award.post_id, award.note) == (world["bo_comment"].id, None, "Made us rethink")
    page = make_visitor(world["ada"]).get(f"{world['url']}/posts/{world['ada_response'].id}").get_data(as_text=True)
    assert "Sharp Question: “Made us rethink”" in page
    awards_page = make_visitor(world["ada"]).get(f"{world['url']}/awards").get_data(as_text=True)
    assert "A comment on Ada&#39;s response" in awards_page and "Bo Student" in awards_page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "award:give"))
    assert (entry.subject_type, entry.subject_id, entry.reason) == (
        "comment",
        world["bo_comment"].id,
        "Made us rethink",
    )


def test_a_students_cannot_award_a_comment(make_visitor, world):
    student = make_visitor(world["ada"])
    assert _give(student, world, "comments", world["bo_comment"], world["sharp"]).status_code == 403
    assert db.session.scalar(select(Award.id)) is None


def test_post_award_note_shows_on_the_post_and_post_awards_still_work(make_visitor, world):
    staff = make_visitor(world["instructor"])
    assert _give(staff, world, "posts", world["bo_response"], world["sharp"], "Great sources").status_code == 302
    page = make_visitor(world["bo"]).get(f"{world['url']}/posts/{world['bo_response'].id}").get_data(as_text=True)
    assert "This post received the Sharp Question award: “Great sources”" in page
    award = db.session.scalar(select(Award))
    assert staff.post(f"{world['url']}/awards/{award.id}/revoke").status_code == 302
    assert db.session.scalar(select(Award.id)) is None


def test_a_comment_award_is_taken_back_from_the_moderation_page(make_visitor, world):
    staff = make_visitor(world["instructor"])
    _give(staff, world, "comments", world["bo_comment"], world["sharp"], "note")
    page = staff.get(f"{world['url']}/comments/{world['bo_comment'].id}/moderate").get_data(as_text=True)
    award = db.session.scalar(select(Award))
    assert f"/awards/{award.id}/revoke" in page and "Give an award" in page
    assert staff.post(f"{world['url']}/awards/{award.id}/revoke").status_code == 302
    assert db.session.scalar(select(Award.id)) is None
    assert db.session.scalar(select(AuditEntry.subject_type).where(AuditEntry.action == "award:revoke")) == "comment"


def test_the_limit_per_reading_is_refused_with_a_message(make_visitor, world):
    staff = make_visitor(world["instructor"])
    assert _give(staff, world, "posts", world["ada_response"], world["corner"]).status_code == 302
    # A second one in the same reading, on another response or on a comment, is refused.
    refused = _give(staff, world, "comments", world["bo_comment"], world["corner"])
    assert refused.status_code == 302
    page = staff.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Comrade’s Corner is given at most 1 time per reading" in page
    _give(staff, world, "posts", world["bo_response"], world["corner"])
    assert db.session.scalar(select(db.func.count()).select_from(Award)) == 1
    # Another reading has its own one; a type without a limit is not limited.
    assert _give(staff, world, "posts", world["other_response"], world["corner"]).status_code == 302
    _give(staff, world, "posts", world["bo_response"], world["sharp"])
    _give(staff, world, "comments", world["bo_comment"], world["sharp"])
    assert db.session.scalar(select(db.func.count()).select_from(Award)) == 4


def test_the_limit_is_set_on_the_award_type_form(make_visitor, world):
    staff = make_visitor(world["instructor"])
    response = staff.post(
        f"{world['url']}/awards/types",
        {"name": "Best Reply", "description": "", "badge": "star", "per_reading_limit": "2"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(AwardType.per_reading_limit).where(AwardType.name == "Best Reply")) == 2
    refused = staff.post(
        f"{world['url']}/awards/types", {"name": "Zero", "description": "", "badge": "star", "per_reading_limit": "0"}
    )
    assert refused.status_code == 200 and "A number from 1 to 1000, or empty." in refused.get_data(as_text=True)


def test_an_award_on_an_anonymous_comment_keeps_the_author_anonymous(make_visitor, world):
    world["course"].allow_anonymous = True
    secret = factories.comment(world["ada_response"], world["bo"], "Anonymous insight", anonymous=True)
    _give(make_visitor(world["instructor"]), world, "comments", secret, world["sharp"], "Brave")
    ada = make_visitor(world["ada"])
    assert "Bo Student" not in ada.get(f"{world['url']}/awards").get_data(as_text=True)
    person = ada.get(f"{world['url']}/people/{world['bo'].id}").get_data(as_text=True)
    assert "Brave" not in person  # classmates do not see awards on someone's anonymous comments
    assert "Brave" in make_visitor(world["bo"]).get(f"{world['url']}/people/{world['bo'].id}").get_data(as_text=True)


def _membership(world, who) -> Membership:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.user_id == world[who].id, Membership.course_id == world["course"].id)
    )


def test_holding_one_student_holds_their_new_responses_and_comments(make_visitor, world):
    staff = make_visitor(world["instructor"])
    roster = staff.get(f"{world['url']}/roster").get_data(as_text=True)
    assert f"/roster/{_membership(world, 'ada').id}/hold" in roster
    assert staff.post(f"{world['url']}/roster/{_membership(world, 'ada').id}/hold", {"hold": "1"}).status_code == 302
    assert _membership(world, "ada").hold_contributions
    assert "Held for approval" in staff.get(f"{world['url']}/roster").get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member:hold"))
    assert entry.subject_type == "member" and "Ada Student" in entry.detail

    ada, bo = make_visitor(world["ada"]), make_visitor(world["bo"])
    ada.post(f"{world['url']}/posts/{world['bo_response'].id}/comments", {"body": "Ada's held comment"})
    bo.post(f"{world['url']}/posts/{world['ada_response'].id}/comments", {"body": "Bo's open comment"})
    ada.post(
        f"{world['url']}/readings/{world['other_reading'].id}/respond",
        {"title": "Ada held", "body": "Some words", "publish": "Publish"},
    )
    db.session.expire_all()
    visibility = dict(db.session.execute(select(Comment.body_md, Comment.visibility)).all())
    assert visibility["Ada's held comment"] == Visibility.HELD
    assert visibility["Bo's open comment"] == Visibility.VISIBLE
    assert db.session.scalar(select(Post.visibility).where(Post.title == "Ada held")) == Visibility.HELD
    page = bo.get(f"{world['url']}/posts/{world['bo_response'].id}").get_data(as_text=True)
    assert "Ada&#39;s held comment" not in page and "Ada's held comment" not in page

    assert staff.post(f"{world['url']}/roster/{_membership(world, 'ada').id}/hold", {"hold": "0"}).status_code == 302
    assert not _membership(world, "ada").hold_contributions
    ada.post(f"{world['url']}/posts/{world['bo_response'].id}/comments", {"body": "Ada free again"})
    assert db.session.scalar(select(Comment.visibility).where(Comment.body_md == "Ada free again")) == "visible"
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "member:release")) is not None


@pytest.mark.parametrize("who", ["assistant", "ada"])
def test_only_the_instructor_holds_a_member(make_visitor, world, who):
    visitor = make_visitor(world[who])
    response = visitor.post(f"{world['url']}/roster/{_membership(world, 'bo').id}/hold", {"hold": "1"})
    assert response.status_code == 403
    assert not _membership(world, "bo").hold_contributions


def test_staff_cannot_be_held(make_visitor, world):
    staff = make_visitor(world["instructor"])
    staff.post(f"{world['url']}/roster/{_membership(world, 'assistant').id}/hold", {"hold": "1"})
    assert not _membership(world, "assistant").hold_contributions


@pytest.mark.parametrize("attempt", range(2))
def test_two_awards_given_at_once_stay_within_the_limit(make_visitor, monkeypatch, world, attempt):
    from board.moderation import services
    from tests.concurrency import Rendezvous, at_once

    first, second = make_visitor(world["instructor"]), make_visitor(world["assistant"])
    for grader in (first, second):
        grader.csrf_token("/courses")
    # Both requests have found their reading before either counts its awards.
    monkeypatch.setattr(services, "_reading_of", Rendezvous(services._reading_of))
    results = at_once(
        lambda: _give(first, world, "posts", world["ada_response"], world["corner"]),
        lambda: _give(second, world, "posts", world["bo_response"], world["corner"]),
    )
    statuses = [getattr(result, "status_code", result) for result in results]
    # Both are sent back to the post (one with "Award given.", one refused), or on SQLite one may be told "busy".
    assert sorted(statuses) in ([302, 302], [302, 503]), statuses
    assert db.session.scalar(select(db.func.count()).select_from(Award)) == 1
