"""Every instructor tool and classroom action against every role, through real requests with CSRF on.

The matrix is data in one place (ACTIONS). test_every_state_changing_route_is_in_the_matrix fails when a POST
route is added without its row; test_no_course_route_changes_anything_for_outsiders sends every POST route in a
course, with real ids, as a logged-out visitor and as a non-member, and checks that no row changes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from board.desk.models import Grade
from board.desk.nudge_models import Nudge
from board.extensions import db
from board.models import (
    AuditEntry,
    Award,
    AwardType,
    Comment,
    Course,
    Membership,
    Post,
    PostLike,
    Report,
    Role,
    Visibility,
)
from board.notifications.models import NotificationPreference, Watch
from board.notifications.read_models import PostRead
from board.notifications.services import KINDS
from board.uploads.models import Upload
from tests import factories
from tests.conftest import Visitor

ROLES = ("instructor", "assistant", "student", "author", "non_member", "anonymous")
STAFF = {"instructor", "assistant"}
MEMBERS_BUT_AUTHOR = {"instructor", "assistant", "student"}


@dataclass
class World:
    """One course with a person in every role, a reading, the author's response and the things actions act on."""

    course: Course
    people: dict[str, object]
    reading: Post
    response: Post
    comment: Comment  # by a classmate, on the response
    held_comment: Comment
    award_type: AwardType
    report: Report
    classmate: object  # a student who is none of the roles above, for the roster actions
    student_join_code: str

    @property
    def url(self) -> str:
        return f"/c/{self.course.slug}"

    def user(self, role: str):
        return self.people.get(role)


def build_world() -> World:
    course = factories.course(factories.user("Iris Instructor"))
    people = {
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Asa Assistant"),
        "student": factories.member(course, Role.STUDENT, "Stu Student"),
        "author": factories.member(course, Role.STUDENT, "Ava Author"),
        "non_member": factories.user("Nora Outsider"),
    }
    classmate = factories.member(course, Role.STUDENT, "Cal Classmate")
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, people["author"], reading, title="Ava's response")
    comment = factories.comment(response, classmate, "A classmate's comment")
    held = factories.comment(response, classmate, "A held comment", visibility=Visibility.HELD)
    award_type = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star")
    report = Report(course_id=course.id, reporter_id=classmate.id, comment_id=comment.id, reason="Rude")
    db.session.add_all([award_type, report])
    db.session.commit()
    return World(
        course, people, reading, response, comment, held, award_type, report, classmate, course.student_join_code
    )


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _liked_by(world: World, role: str) -> bool:
    user = world.user(role)
    if user is None:
        return False
    db.session.expire_all()
    return db.session.get(PostLike, (world.response.id, user.id)) is not None


def _pre_like(world: World, role: str) -> None:
    user = world.user(role)
    if user is not None:
        db.session.add(PostLike(post_id=world.response.id, user_id=user.id))
        db.session.commit()


def _pre_award(world: World, role: str) -> None:
    db.session.add(
        Award(post_id=world.response.id, award_type_id=world.award_type.id, given_by_id=world.people["instructor"].id)
    )
    db.session.commit()


def _awarded(world: World) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(Award.id).where(Award.post_id == world.response.id)) is not None


def _hide_response(world: World, role: str) -> None:
    world.response.visibility = Visibility.HIDDEN
    world.response.hidden_reason = "Off topic"
    db.session.commit()


def _membership_of(world: World, user) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.course_id == world.course.id, Membership.user_id == user.id)
    )


def _reported_by(world: World, role: str) -> bool:
    user = world.user(role)
    db.session.expire_all()
    return (
        user is not None
        and db.session.scalar(
            select(Report.id).where(Report.post_id == world.response.id, Report.reporter_id == user.id)
        )
        is not None
    )


def _watch_level(world: World, role: str) -> str | None:
    user = world.user(role)
    db.session.expire_all()
    return user and db.session.scalar(
        select(Watch.level).where(Watch.post_id == world.response.id, Watch.user_id == user.id)
    )


def _delivery_of_replies(world: World, role: str) -> str | None:
    user = world.user(role)
    db.session.expire_all()
    return user and db.session.scalar(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == "reply"
        )
    )


_APP_ONLY = {kind: "app" for kind in KINDS} | {"email_notifications": "y"}


def _has_read(world: World, role: str) -> bool:
    user = world.user(role)
    db.session.expire_all()
    return user is not None and db.session.get(PostRead, (user.id, world.response.id)) is not None


def _course_read_by(world: World, role: str) -> bool:
    user = world.user(role)
    membership = _membership_of(world, user) if user is not None else None
    return membership is not None and membership.read_posts_at is not None


@dataclass
class Action:
    endpoint: str
    allowed: set[str]
    request: Callable[[World, Visitor], object]
    succeeded: Callable[[World, str], bool]
    prepare: Callable[[World, str], None] = lambda world, role: None

    @property
    def request_changes_state(self) -> bool:
        return self.endpoint not in PAGES


# Pages: reading them is the action.
PAGES = {"moderation.audit", "moderation.queue", "grading.grades", "grading.my_work", "grading.export_my_work"}
MEMBERS = STAFF | {"student", "author"}


def _uploaded_by(world: World, role: str) -> bool:
    user = world.user(role)
    db.session.expire_all()
    return user is not None and db.session.scalar(select(Upload.id).where(Upload.uploader_id == user.id)) is not None


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 80, 40)).save(out, format="PNG")
    return out.getvalue()


_PNG = _picture()


def _graded(world: World) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(Grade.id).where(Grade.student_id == world.classmate.id)) is not None


def _graded_response(world: World) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(Grade.id).where(Grade.student_id == world.response.author_id)) is not None


def _comment_awarded(world: World) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(Award.id).where(Award.comment_id == world.comment.id)) is not None


PAGES |= {"moderation.audit", "moderation.queue"}  # staff pages: reading them is the action
PAGES |= {"desk.dashboard", "desk.responses", "desk.gradebook_csv", "desk.reading_csv"}


ACTIONS: dict[str, Action] = {
    "like": Action(
        "moderation.like",
        MEMBERS_BUT_AUTHOR,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/like", {"liked": "1"}),
        lambda w, role: _liked_by(w, role),
    ),
    "unlike": Action(
        "moderation.like",
        MEMBERS_BUT_AUTHOR,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/like", {"liked": "0"}),
        lambda w, role: w.user(role) is not None and not _liked_by(w, role),
        prepare=_pre_like,
    ),
    "award": Action(
        "moderation.give_award",
        STAFF,
        lambda w, v: v.post(
            f"{w.url}/posts/{w.response.id}/awards", {"award_type_id": w.award_type.id, "note": "Great sources"}
        ),
        lambda w, role: _awarded(w),
    ),
    "revoke": Action(
        "moderation.revoke_award",
        STAFF,
        lambda w, v: v.post(f"{w.url}/awards/{db.session.scalar(select(Award.id))}/revoke"),
        lambda w, role: not _awarded(w),
        prepare=_pre_award,
    ),
    "hide": Action(
        "moderation.hide",
        STAFF,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/hide", {"reason": "Off topic"}),
        lambda w, role: _fresh(Post, w.response.id).visibility == Visibility.HIDDEN,
    ),
    "unhide": Action(
        "moderation.unhide",
        STAFF,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/unhide"),
        lambda w, role: _fresh(Post, w.response.id).visibility == Visibility.VISIBLE,
        prepare=_hide_response,
    ),
    "delete": Action(
        "moderation.remove",
        STAFF,
        lambda w, v: v.post(f"{w.url}/comments/{w.comment.id}/remove"),
        lambda w, role: _fresh(Comment, w.comment.id) is None,
    ),
    "lock": Action(
        "moderation.lock",
        STAFF,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/lock", {"locked": "1"}),
        lambda w, role: _fresh(Post, w.response.id).comments_locked,
    ),
    "pin": Action(
        "moderation.pin",
        STAFF,
        lambda w, v: v.post(f"{w.url}/posts/{w.reading.id}/pin", {"pinned": "1"}),
        lambda w, role: _fresh(Post, w.reading.id).pinned,
    ),
    "approve": Action(
        "moderation.approve",
        STAFF,
        lambda w, v: v.post(f"{w.url}/comments/{w.held_comment.id}/approve"),
        lambda w, role: _fresh(Comment, w.held_comment.id).visibility == Visibility.VISIBLE,
    ),
    "report": Action(
        "moderation.report",
        MEMBERS_BUT_AUTHOR,
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/report", {"reason": "Plagiarised"}),
        _reported_by,
    ),
    "resolve": Action(
        "moderation.dismiss_report",
        STAFF,
        lambda w, v: v.post(f"{w.url}/reports/{w.report.id}/dismiss"),
        lambda w, role: _fresh(Report, w.report.id).resolved_at is not None,
    ),
    "change settings": Action(
        "courses.settings",
        {"instructor"},
        lambda w, v: v.post(
            f"{w.url}/settings",
            {
                "title": "Renamed",
                "code": "",
                "term": "",
                "description": "",
                "moderation_policy": "all",
                "like_policy": "everyone",
            },
        ),
        lambda w, role: _fresh(Course, w.course.id).title == "Renamed",
    ),
    "manage award types": Action(
        "moderation.award_type",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/awards/types", {"name": "Sharp Question", "description": "", "badge": "star"}),
        lambda w, role: db.session.scalar(select(AwardType.id).where(AwardType.name == "Sharp Question")) is not None,
    ),
    "delete award type": Action(
        "moderation.delete_award_type",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/awards/types/{w.award_type.id}/delete"),
        lambda w, role: _fresh(AwardType, w.award_type.id) is None,
    ),
    "change a member's role": Action(
        "courses.change_role",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/roster/{_membership_of(w, w.classmate).id}/role", {"role": "assistant"}),
        lambda w, role: _membership_of(w, w.classmate).role == Role.ASSISTANT,
    ),
    "remove a member": Action(
        "courses.remove_member",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/roster/{_membership_of(w, w.classmate).id}/remove"),
        lambda w, role: _membership_of(w, w.classmate) is None,
    ),
    "regenerate a join code": Action(
        "courses.regenerate_code",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/join-codes/student/regenerate"),
        lambda w, role: _fresh(Course, w.course.id).student_join_code != w.student_join_code,
    ),
    "award a comment": Action(
        "moderation.give_award",
        STAFF,
        lambda w, v: v.post(f"{w.url}/comments/{w.comment.id}/awards", {"award_type_id": w.award_type.id}),
        lambda w, role: _comment_awarded(w),
    ),
    "hold a member's contributions": Action(
        "moderation.hold_member",
        {"instructor"},
        lambda w, v: v.post(f"{w.url}/roster/{_membership_of(w, w.classmate).id}/hold", {"hold": "1"}),
        lambda w, role: _membership_of(w, w.classmate).hold_contributions,
    ),
    "grade a student": Action(
        "grading.grade",
        STAFF,
        lambda w, v: v.post(
            f"{w.url}/readings/{w.reading.id}/grades/{w.classmate.id}", {"points": "4", "feedback": "", "version": "0"}
        ),
        lambda w, role: _graded(w),
    ),
    "grade a response in the responses walk": Action(
        "grading.grade_in_walk",
        STAFF,
        lambda w, v: v.post(
            f"{w.url}/posts/{w.response.id}/grade",
            {"grade-points": "4", "grade-feedback": "", "grade-version": "0", "next": "1"},
        ),
        lambda w, role: _graded_response(w),
    ),
    "release a reading's grades": Action(
        "grading.release",
        STAFF,
        lambda w, v: v.post(f"{w.url}/readings/{w.reading.id}/grades/release", {"released": "1", "confirmed": "1"}),
        lambda w, role: _fresh(Post, w.reading.id).grades_released_at is not None,
    ),
    "open a reading's grades": Action(
        "grading.grades",
        STAFF,
        lambda w, v: v.get(f"{w.url}/readings/{w.reading.id}/grades"),
        lambda w, role: True,  # a read: success is judged by the status code alone
    ),
    "open my work": Action(
        "grading.my_work",
        MEMBERS,
        lambda w, v: v.get(f"{w.url}/my-work"),
        lambda w, role: True,  # a read: success is judged by the status code alone
    ),
    "export my work": Action(
        "grading.export_my_work",
        MEMBERS,
        lambda w, v: v.get(f"{w.url}/my-work/export"),
        lambda w, role: True,  # a read: success is judged by the status code alone
    ),
    "watch, unwatch or mute a post": Action(
        "notifications.watch",
        MEMBERS_BUT_AUTHOR | {"author"},
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/watch", {"level": "muted"}),
        lambda w, role: _watch_level(w, role) == "muted",
    ),
    "choose notification settings": Action(
        "notifications.preferences",
        MEMBERS_BUT_AUTHOR | {"author"},
        lambda w, v: v.post(f"{w.url}/notifications", _APP_ONLY),
        lambda w, role: _delivery_of_replies(w, role) == "app",
    ),
    "mark a post read": Action(
        "reads.mark_read",
        MEMBERS_BUT_AUTHOR | {"author"},  # one's own read state: every member has one
        lambda w, v: v.post(f"{w.url}/posts/{w.response.id}/read"),
        lambda w, role: _has_read(w, role),
    ),
    "mark a course read": Action(
        "reads.mark_all_read",
        MEMBERS_BUT_AUTHOR | {"author"},
        lambda w, v: v.post(f"{w.url}/read"),
        lambda w, role: _course_read_by(w, role),
    ),
    "open the moderation queue": Action(
        "moderation.queue",
        STAFF,
        lambda w, v: v.get(f"{w.url}/moderation"),
        lambda w, role: True,  # a read: success is judged by the status code alone
    ),
    "open the participation dashboard": Action(
        "desk.dashboard", STAFF, lambda w, v: v.get(f"{w.url}/desk/"), lambda w, role: True
    ),
    "download the gradebook CSV": Action(
        "desk.gradebook_csv", STAFF, lambda w, v: v.get(f"{w.url}/desk/gradebook.csv"), lambda w, role: True
    ),
    "open a reading's responses view": Action(
        "desk.responses", STAFF, lambda w, v: v.get(f"{w.url}/desk/readings/{w.reading.id}/"), lambda w, role: True
    ),
    "download a reading's CSV": Action(
        "desk.reading_csv",
        STAFF,
        lambda w, v: v.get(f"{w.url}/desk/readings/{w.reading.id}/responses.csv"),
        lambda w, role: True,
    ),
    "nudge who has not responded": Action(
        "desk.nudge",
        STAFF,
        lambda w, v: v.post(f"{w.url}/desk/readings/{w.reading.id}/nudge"),
        lambda w, role: db.session.scalar(select(db.func.count()).select_from(Nudge)) > 0,
    ),
    "upload a picture": Action(
        "uploads.create",
        MEMBERS,
        lambda w, v: v.post(f"{w.url}/uploads", {"file": (io.BytesIO(_PNG), "picture.png")}),
        lambda w, role: _uploaded_by(w, role),
    ),
    "read the audit log": Action(
        "moderation.audit",
        {"instructor"},
        lambda w, v: v.get(f"{w.url}/audit"),
        lambda w, role: True,  # a read: success is judged by the status code alone
    ),
}


def _visitor(app, world: World, role: str) -> Visitor:
    visitor = Visitor(app.test_client())
    if role != "anonymous":
        assert visitor.login(world.user(role).email).status_code == 302
    return visitor


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_permission_matrix(app, name, role):
    action = ACTIONS[name]
    world = build_world()
    action.prepare(world, role)
    before_audit = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
    response = action.request(world, _visitor(app, world, role))

    if role in action.allowed:
        assert response.status_code in (200, 201, 302), f"{role} should be able to {name}"
        assert action.succeeded(world, role), f"{role} could not {name}"
        if response.status_code == 302:
            assert "/login" not in response.headers["Location"]
    else:
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        elif role == "non_member":
            assert response.status_code == 404, f"a non-member must not learn the course exists ({name})"
        else:
            # 403 where they may see the thing but not act; 404 where they may not even see it (a hidden post).
            assert response.status_code in (403, 404, 422), f"{role} got {response.status_code} for {name}"
        if action.request_changes_state:
            assert not action.succeeded(world, role), f"{role} managed to {name}"
            db.session.expire_all()
            assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == before_audit


# Routes whose rules are about authorship rather than role; each has its own tests of who may and may not.
AUTHOR_ROUTES = {
    "posts.new_reading": "tests/posts/test_readings_and_responses.py (staff only)",
    "posts.new_response": "tests/posts/test_readings_and_responses.py (members; free posts by setting)",
    "posts.edit": "tests/posts/test_readings_and_responses.py (the author; staff for readings)",
    "posts.delete": "tests/posts/test_readings_and_responses.py (the author; staff for readings)",
    "posts.comment": "tests/posts/test_comments.py (members, unless locked)",
    "posts.edit_comment": "tests/posts/test_comments.py (the author)",
    "posts.delete_comment": "tests/posts/test_comments.py (the author)",
    "posts.formatting": "tests/posts/test_preview.py (members; a preview writes nothing, non-members get 404)",
    "uploads.create": "tests/uploads/test_uploads.py (members, into their own course; refusals store nothing)",
}
# Routes outside any course: accounts, creating and joining courses (tests/auth, tests/courses).
SITE_ROUTES = {"auth.login", "auth.logout", "auth.register", "auth.account", "courses.new_course", "courses.join"}
# One's own signed-in sessions (tests/auth/test_sessions.py: another person's session is a 404).
SITE_ROUTES |= {"auth.end_session", "auth.end_other_sessions"}
# Accounts by email: a signed link names what may change (tests/auth/test_email_flows.py).
SITE_ROUTES |= {"auth.forgot_password", "auth.reset_password", "auth.confirm_registration"}
# One's own notifications (another person's is a 404) and the signed unsubscribe link (tests/notifications).
SITE_ROUTES |= {"notifications.open_one", "notifications.read_all", "notifications.unsubscribe"}
# Sending the registration link again: rate-limited, says nothing of accounts (tests/auth/test_registration_sent.py).
SITE_ROUTES |= {"auth.resend_registration"}
# One's own time zone, reported once by the browser (tests/test_time_zones.py).
SITE_ROUTES |= {"auth.time_zone"}
# The batched email's signed one-click switch (tests/notifications/test_batches.py: a forged link is a 404).
SITE_ROUTES |= {"notifications.switch"}
# The site admin's upload quotas for a course (tests/admin/test_upload_quotas.py: anyone else gets 404).
SITE_ROUTES |= {"admin.upload_quotas"}
# One's own feed links: turned on, renewed, turned off (tests/feeds/test_feeds.py).
SITE_ROUTES |= {"feeds.renew", "feeds.turn_off"}
# LTI: the login and launch the LMS posts (guarded by the signed state, the browser's nonce cookie and the id_token:
# tests/lti/test_refusals.py), an instructor's first launch (their own pending LMS course only) and asking to link
# one's own account (tests/lti/test_people.py), registering a platform (site admin only: tests/lti/test_registration.py),
# choosing a deep link's content (staff of the course their own pending LMS request names: tests/lti/test_deep_linking.py),
# Dynamic Registration (site admin only: tests/lti/test_dynamic_registration.py).
SITE_ROUTES |= {
    "lti.login",
    "lti.launch",
    "lti.course_setup",
    "lti.identity",
    "lti_admin.add_platform",
    "lti.deep_link",
}
SITE_ROUTES |= {"lti.dynamic_register"}


def _post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def test_every_state_changing_route_is_in_the_matrix(app):
    """A new POST route fails here until it has a row in ACTIONS (or is listed, with its tests, above)."""
    covered = {action.endpoint for action in ACTIONS.values()} | set(AUTHOR_ROUTES) | SITE_ROUTES
    missing = {rule.endpoint for rule in _post_rules(app)} - covered
    assert not missing, f"add rows to ACTIONS for: {sorted(missing)}"


def _database_contents() -> dict[str, list[tuple]]:
    """Every row of every table, to show that nothing at all changed."""
    db.session.expire_all()
    return {
        table.name: sorted(tuple(map(repr, row)) for row in db.session.execute(select(table)))
        for table in db.metadata.sorted_tables
    }


def _url_values(world: World) -> dict[str, object]:
    award = Award(
        post_id=world.response.id, award_type_id=world.award_type.id, given_by_id=world.people["instructor"].id
    )
    db.session.add(award)
    db.session.commit()
    return {
        "slug": world.course.slug,
        "membership_id": _membership_of(world, world.classmate).id,
        "which": "student",
        "kind": "posts",
        "item_id": world.response.id,
        "post_id": world.response.id,
        "reading_id": world.reading.id,
        "comment_id": world.comment.id,
        "type_id": world.award_type.id,
        "report_id": world.report.id,
        "award_id": award.id,
        "student_id": world.classmate.id,
    }


@pytest.mark.parametrize("role", ["anonymous", "non_member"])
def test_no_course_route_changes_anything_for_outsiders(app, role):
    """Every POST route inside a course, with real ids: logged out, you are sent to log in; outside the course,
    404 (its existence does not leak); either way, no row anywhere changes."""
    world = build_world()
    values = _url_values(world)
    visitor = _visitor(app, world, role)
    course_rules = [rule for rule in _post_rules(app) if "slug" in rule.arguments]
    assert len(course_rules) > 20
    before = _database_contents()
    for rule in course_rules:
        _, path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
        response = visitor.post(path, {"body": "x", "title": "x", "reason": "x", "liked": "1", "role": "assistant"})
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
        else:
            assert response.status_code == 404, path
    assert _database_contents() == before
