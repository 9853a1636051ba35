"""Calling the platform's services (review findings 5, 13c, 13d): access tokens are kept per registration (issuer,
client id, token URL and scopes), Board's bearer token goes only to the platform's registered hosts, and only the
AGS scopes a launch granted are asked for."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pylti1p3.registration import Registration
from sqlalchemy import select

from board.extensions import db
from board.lti import registration, services
from board.lti.claims import AGS_CLAIM, CLAIM, NRPS_CLAIM
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.models import LtiContext, LtiLineItem, LtiPlatform
from board.models import Course, User
from tests import factories

from .test_deep_linking import _post

NRPS = [services.NRPS_SCOPE]
AGS = services.AGS_SCOPES


@pytest.fixture(autouse=True)
def _no_tokens_kept():
    services._tokens.clear()
    yield
    services._tokens.clear()


def test_two_registrations_with_one_issuer_never_share_a_token(lms):
    ours = registration.find_platform(lms.issuer, lms.client_id)
    token = services.connector(ours).get_access_token(NRPS)
    assert token
    assert services.connector(ours).get_access_token(NRPS) == token  # kept for the same registration

    # Another school on the same issuer (all of Canvas Cloud is https://canvas.instructure.com), its own client id:
    # it asks the platform for its own token rather than reusing school A's.
    other = registration.add_platform(**{**lms.registration_values(), "client_id": "school-b"})
    assert len(lms.token_requests) == 1
    assert services.connector(other).get_access_token(NRPS)
    assert len(lms.token_requests) == 2
    assert services.connector(ours).get_access_token(NRPS) == token
    assert len(lms.token_requests) == 2


def test_a_token_is_kept_per_token_url():
    def key(token_url):
        reg = (
            Registration().set_issuer("https://canvas.instructure.com").set_client_id("c").set_auth_token_url(token_url)
        )
        return services.BoardServiceConnector(reg)._scope_key(NRPS)

    assert key("https://a.example/token") != key("https://b.example/token")
    assert key("https://a.example/token") == key("https://a.example/token")


def _set_up(lms, lms_browser, claims=None):
    teacher = lms_browser()
    spec = lms.launch_spec("teacher-1", INSTRUCTOR, name="Iris", extra_claims=claims or {})
    teacher.follow(teacher.open_from_lms(spec))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    return db.session.scalar(select(LtiContext))


def test_service_urls_on_another_host_are_ignored(lms, lms_browser, caplog):
    elsewhere = {
        NRPS_CLAIM: {"context_memberships_url": "https://elsewhere.example/memberships", "service_versions": ["2.0"]},
        AGS_CLAIM: {"scope": AGS, "lineitems": "https://elsewhere.example/lineitems"},
    }
    context = _set_up(lms, lms_browser, elsewhere)
    assert context.memberships_url is None and context.lineitems_url is None
    assert "elsewhere.example" in caplog.text and "not on the LMS's registered hosts" in caplog.text
    # A later launch naming the platform's own URLs is kept; one naming another host again changes nothing.
    lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER))
    db.session.expire_all()
    assert context.memberships_url == f"{lms.url}/contexts/course-101/memberships"
    lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, extra_claims=elsewhere))
    db.session.expire_all()
    assert context.memberships_url == f"{lms.url}/contexts/course-101/memberships"


def test_deep_linked_line_item_on_another_host_is_ignored(lms, lms_browser):
    context = _set_up(lms, lms_browser)
    course = db.session.get(Course, context.course_id)
    reading = factories.reading(
        course, db.session.scalar(select(User).where(User.display_name == "Iris")), max_points=5
    )
    claims = {
        CLAIM + "custom": {"board_target": f"reading:{reading.id}"},
        AGS_CLAIM: {"scope": AGS, "lineitem": "https://elsewhere.example/lineitems/1"},
    }
    opened = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, extra_claims=claims))
    assert opened.status_code == 303
    assert db.session.scalar(select(LtiLineItem)) is None


def test_bearer_token_never_goes_to_another_host(lms, lms_browser):
    context = _set_up(lms, lms_browser)
    platform = db.session.get(LtiPlatform, context.platform_id)
    connector = services.connector(platform)
    lms.token_requests.clear()  # (the roster sync after the setup asked for one)
    # The platform's own memberships endpoint, reached by another name: a real server that would take the token.
    other_name = f"http://localhost:{urlsplit(lms.url).port}/contexts/course-101/memberships"
    with pytest.raises(services.ServiceRefused, match="not on the LMS's registered hosts"):
        connector.make_service_request(NRPS, other_name)
    assert lms.token_requests == []
    assert connector.make_service_request(NRPS, context.memberships_url)["body"]["members"]


def test_only_the_granted_ags_scopes_are_asked_for(lms, lms_browser):
    granted = [AGS[0], AGS[2]]  # lineitem and score, not lineitem.readonly
    context = _set_up(lms, lms_browser, {AGS_CLAIM: {"scope": granted, "lineitems": "LINEITEMS"}})
    db.session.expire_all()
    assert context.lineitems_url is None  # not a URL on the platform
    context = _set_up_again(
        lms, lms_browser, {AGS_CLAIM: {"scope": granted, "lineitems": f"{lms.url}/contexts/course-101/lineitems"}}
    )
    assert context.ags_scopes.split() == granted
    assert list(services.ags(context).get_lineitems()) == []  # the platform took the token
    (asked,) = [r for r in lms.token_requests if "lti-ags" in r["scope"]]
    assert sorted(asked["scope"].split()) == sorted(granted)


def _set_up_again(lms, lms_browser, claims):
    assert lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, extra_claims=claims)).status_code == 303
    db.session.expire_all()
    return db.session.scalar(select(LtiContext))
