"""Migration 0027 marks as the LMS's only the existing memberships the data shows a launch or sync made: created
within seconds of the person's LMS account on the linked LMS course's platform. Anything else stays unmarked (the
safe side: a roster sync never removes it)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta

from sqlalchemy import select

from board.extensions import db
from board.lti import registration
from board.lti.models import LtiAccount, LtiContext, LtiMembership
from board.models import Membership, Role, utcnow
from board.paths import resource_dir
from tests import factories


def _migration():
    path = resource_dir("migrations") / "versions" / "0027_lti_memberships_pending_identities.py"
    spec = importlib.util.spec_from_file_location("migration_0027", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _platform(issuer: str):
    return registration.add_platform(
        issuer=issuer,
        client_id="board",
        deployment_ids=["1"],
        auth_login_url=issuer + "/auth",
        auth_token_url=issuer + "/token",
        key_set_url=issuer + "/jwks",
    )


def test_backfill_marks_only_memberships_made_with_the_lms_account():
    lms, other_lms = _platform("https://lms.example"), _platform("https://other.example")
    teacher = factories.user("Teacher")
    course = factories.course(teacher)
    context = LtiContext(platform_id=lms.id, context_id="c-1", course_id=course.id)
    db.session.add(context)
    db.session.commit()
    start = utcnow() - timedelta(days=30)

    def person(name, *, account_on, account_at, joined_at):
        member = factories.member(course, Role.STUDENT, name=name)
        membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
        membership.created_at = joined_at
        if account_on is not None:
            db.session.add(LtiAccount(platform_id=account_on.id, sub=name, user_id=member.id, created_at=account_at))
        db.session.commit()
        return membership.id

    made_by_launch = person("Launched", account_on=lms, account_at=start, joined_at=start + timedelta(seconds=1))
    joined_by_code = person("Coded", account_on=None, account_at=None, joined_at=start)
    code_then_link = person("Linked", account_on=lms, account_at=start + timedelta(days=3), joined_at=start)
    later_course = person("Later", account_on=lms, account_at=start, joined_at=start + timedelta(days=2))
    other_platform = person("Elsewhere", account_on=other_lms, account_at=start, joined_at=start)

    marked = _migration().mark_lms_memberships(db.session.connection())
    rows = dict(db.session.execute(select(LtiMembership.membership_id, LtiMembership.context_id)).all())
    assert marked == 1
    assert rows == {made_by_launch: context.id}
    assert not {joined_by_code, code_then_link, later_course, other_platform} & rows.keys()
    # Running it again marks nothing twice.
    assert _migration().mark_lms_memberships(db.session.connection()) == 0
