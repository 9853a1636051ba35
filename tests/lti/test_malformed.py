"""Malformed id_tokens (review finding 1): a header or body that is JSON but not an object, and signed claims of the
wrong type, each get a clear refusal page (4xx) and create nothing, never a 500. The login, the state and its
cookie are the real platform's and Board's; only the id_token is replaced (signed with the platform's own key where
the signature matters)."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from board.lti.deep_linking import DL_SETTINGS
from board.lti.demo_platform import INSTRUCTOR, LEARNER
from board.lti.launch import CLAIM
from board.lti.people import AGS_CLAIM, NRPS_CLAIM

from .conftest import counts
from .test_deep_linking import _post


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _launch_with_token(lms, browser, make_token):
    """A real login through the platform, then the launch posted with `make_token(platform)` as its id_token."""
    started = browser.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    action, form = browser.authenticate(started.headers["Location"])
    return browser.post_launch(action, {**form, "id_token": make_token(lms)})


def _signed_body(body: bytes):
    def make(lms):
        kid, pem = lms.signing
        return jwt.api_jws.encode(body, pem, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})

    return make


def _raw(header: bytes, body: bytes):
    return lambda lms: f"{_b64(header)}.{_b64(body)}.{_b64(b'not a signature')}"


@pytest.mark.parametrize(
    "make_token",
    [
        _signed_body(b"[]"),
        _signed_body(b'"a string"'),
        _signed_body(b"null"),
        _signed_body(b"42"),
        _raw(b"[]", b'{"iss": "x"}'),
        _raw(b'["RS256"]', b"{}"),
        _raw(b"null", b"{}"),
        _raw(b'{"alg": "RS256", "kid": ["k"]}', b'{"iss": "x", "aud": "y", "nonce": "z"}'),
        _raw(b"{not json", b"{}"),
    ],
    ids=[
        "body-list",
        "body-string",
        "body-null",
        "body-number",
        "header-list",
        "header-list-2",
        "header-null",
        "kid-list",
        "header-not-json",
    ],
)
def test_malformed_id_token_is_refused_with_a_clear_page(lms, lms_browser, make_token):
    before = counts()
    response = _launch_with_token(lms, lms_browser(), make_token)
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, page
    assert "Board could not accept this launch" in page or "not started in this browser" in page, page
    assert "Traceback" not in page
    assert counts() == before


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({CLAIM + "target_link_uri": ["https://elsewhere.example/"]}, "its target_link_uri claim is not"),
        ({CLAIM + "deployment_id": ["deployment-1"]}, "its deployment_id claim is not"),
        ({CLAIM + "deployment_id": 1}, "its deployment_id claim is not"),
        ({CLAIM + "message_type": ["LtiResourceLinkRequest"]}, "its message_type claim is not"),
        ({CLAIM + "version": ["1.3.0"]}, "its version claim is not"),
        ({CLAIM + "roles": {"Instructor": True}}, "its roles claim is not"),
        ({CLAIM + "context": ["course-101"]}, "its context claim is not"),
        ({CLAIM + "context": {"id": ["course-101"]}}, "its context claim is not"),
        ({CLAIM + "custom": ["board_target"]}, "its custom claim is not"),
        ({NRPS_CLAIM: ["https://elsewhere.example/"]}, "its namesroleservice claim is not"),
        ({AGS_CLAIM: "everything"}, "its endpoint claim is not"),
    ],
    ids=[
        "target-list",
        "deployment-list",
        "deployment-number",
        "message-type-list",
        "version-list",
        "roles-object",
        "context-list",
        "context-id-list",
        "custom-list",
        "nrps-list",
        "ags-string",
    ],
)
def test_signed_claim_of_the_wrong_type_is_refused(lms, lms_browser, claims, words):
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, extra_claims=claims))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert words in page, page
    assert counts() == before


@pytest.mark.parametrize(
    "claims",
    [
        {NRPS_CLAIM: {"context_memberships_url": ["https://x.example/"]}},
        {AGS_CLAIM: {"lineitems": {"url": "https://x.example/"}, "scope": "all"}},
        {"name": ["Ada", "Lovelace"], "email": ["ada@uni.edu"], "given_name": 3},
        {CLAIM + "context": {"id": "course-101", "title": ["History"], "label": {"x": 1}}},
    ],
    ids=["memberships-url-list", "lineitems-object", "name-and-email-lists", "context-title-list"],
)
def test_odd_optional_claims_never_give_a_500(lms, lms_browser, claims):
    # Optional parts of a claim of the wrong type are ignored; the launch and the course setup still work.
    browser = lms_browser()
    response = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, extra_claims=claims))
    assert response.status_code == 303, response.get_data(as_text=True)
    page = browser.follow(response)
    assert page.status_code == 200 and page.request.path == "/lti/course-setup"
    done = _post(browser, "/lti/course-setup", {"choice": "new"})
    assert done.status_code == 302, done.get_data(as_text=True)
    student = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER, extra_claims=claims))
    assert student.status_code == 303, student.get_data(as_text=True)


def test_deep_link_return_url_of_the_wrong_type_is_refused(lms, lms_browser):
    settings = {"deep_link_return_url": ["https://elsewhere.example/"], "accept_types": ["ltiResourceLink"]}
    # (The platform's own deep linking claim would win over extra claims, so the request is made by extra claims.)
    claims = {CLAIM + "message_type": "LtiDeepLinkingRequest", DL_SETTINGS: settings}
    spec = lms.launch_spec("teacher-1", INSTRUCTOR, extra_claims=claims)
    response = lms_browser().open_from_lms(spec)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert "its deep_linking_settings claim is not" in page, page


def test_sub_of_the_wrong_type_is_refused(lms, lms_browser):
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec(["teacher-1"], INSTRUCTOR))
    page = response.get_data(as_text=True)
    assert response.status_code == 403, page
    assert "Subject must be a string" in page, page  # PyJWT's own check
    assert counts() == before


def test_body_list_sent_as_json_is_refused_before_the_signature(lms, lms_browser):
    # The review's reproduction: valid state and cookie from /lti/login, then a body of `[]` (unsigned).
    response = _launch_with_token(lms, lms_browser(), _raw(json.dumps({"alg": "RS256"}).encode(), b"[]"))
    assert response.status_code == 400, response.get_data(as_text=True)
