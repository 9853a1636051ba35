"""Each launch Board must refuse, from the real platform: a clear page, and no account, course or membership made."""

from __future__ import annotations

import pytest

from board.lti.demo_platform import DEPLOYMENT_ID, INSTRUCTOR, LEARNER, MENTOR, new_key
from board.lti.launch import CLAIM, STATE_COOKIE_PREFIX
from board.lti.people import AGS_CLAIM

from .conftest import counts


def _refused(response, status: int, words: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert words in page, page
    assert "Traceback" not in page


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"extra_claims": {"aud": "another-tool", "azp": "another-tool"}}, "meant for another tool"),
        ({"extra_claims": {"azp": "another-tool"}}, "meant for another tool (its azp"),
        ({"expires_in": -600}, "The launch has expired"),
        ({"extra_claims": {CLAIM + "deployment_id": "not-" + DEPLOYMENT_ID}}, "(its deployment) is not registered"),
        (
            {"extra_claims": {CLAIM + "target_link_uri": "https://elsewhere.example/lti/launch"}},
            "an address on another site",
        ),
        ({"remove_claims": (CLAIM + "roles",)}, "does not say what your role"),
        ({"extra_claims": {CLAIM + "version": "1.1"}}, "Incorrect version"),
    ],
    ids=["wrong-aud", "wrong-azp", "expired", "unregistered-deployment", "target-elsewhere", "no-roles", "version"],
)
def test_bad_launch_is_refused_and_creates_nothing(lms, lms_browser, spec, words):
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada", **spec))
    _refused(response, 403, words)
    assert counts() == before


def test_bad_signature_is_refused(lms, lms_browser):
    before = counts()
    impostor = (lms.signing[0], new_key()[1])  # the platform's kid, someone else's key
    response = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, sign_with=impostor))
    _refused(response, 403, "signature does not match")
    assert counts() == before


def test_unknown_kid_is_refused_after_one_refetch(lms, lms_browser):
    lms.jwks_cache_control = "public, max-age=300"
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, sign_with=new_key()))
    _refused(response, 403, "signed with a key the LMS does not publish")
    assert lms.jwks_fetches == 2  # the cached set, then once more for the unknown kid
    assert counts() == before


def test_rotated_platform_key_is_found_by_refetching(lms, lms_browser):
    lms.jwks_cache_control = "public, max-age=300"
    first = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    assert first.status_code == 303
    assert lms.jwks_fetches == 1
    second = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    assert second.status_code == 303
    assert lms.jwks_fetches == 1  # kept, as its Cache-Control allowed
    lms.rotate_key()
    third = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    assert third.status_code == 303, third.get_data(as_text=True)
    assert lms.jwks_fetches == 2


def test_key_set_is_not_kept_when_its_headers_say_no(lms, lms_browser):
    lms.jwks_cache_control = "no-store"
    for _ in range(2):
        assert lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)).status_code == 303
    assert lms.jwks_fetches == 2


def test_reused_nonce_is_refused(lms, lms_browser):
    browser = lms_browser()
    started = browser.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    action, form = browser.authenticate(started.headers["Location"])
    (cookie,) = [c for c in browser.client._cookies.values() if c.key.startswith(STATE_COOKIE_PREFIX)]
    assert browser.post_launch(action, form).status_code == 303
    after_first = counts()
    # The same id_token again, even with the state cookie put back, is refused: its nonce was used.
    browser.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    _refused(browser.post_launch(action, form), 403, "already used")
    assert counts() == after_first


def test_state_from_another_browser_is_refused(lms, lms_browser):
    before = counts()
    victim, attacker = lms_browser(), lms_browser()
    started = attacker.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    action, form = attacker.authenticate(started.headers["Location"])
    response = victim.post_launch(action, form)
    _refused(response, 403, "began in another browser")
    assert "Open Board in a new window" in response.get_data(as_text=True)
    assert counts() == before


def test_forged_state_is_refused(lms, lms_browser):
    browser = lms_browser()
    started = browser.start(lms.launch_spec("teacher-1", INSTRUCTOR))
    action, form = browser.authenticate(started.headers["Location"])
    _refused(browser.post_launch(action, {**form, "state": form["state"][:-4] + "AAAA"}), 400, "not started by Board")


def test_mentor_gets_no_access(lms, lms_browser):
    before = counts()
    _refused(lms_browser().open_from_lms(lms.launch_spec("parent-1", MENTOR)), 403, "observers and mentors")
    assert counts() == before


def test_student_before_the_course_exists_sees_a_clear_page(lms, lms_browser):
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER))
    _refused(response, 409, "has not set up Board for this course yet")
    assert counts() == before


def test_unregistered_platform_is_refused_at_login(lms, lms_browser, live_server):
    browser = lms_browser()
    response = browser.client.get(f"{live_server}/lti/login?iss=https://unknown.example&login_hint=x")
    _refused(response, 403, "does not know this LMS")


def test_login_target_on_another_host_is_refused(lms, lms_browser, live_server):
    url = lms.launch_spec("teacher-1", INSTRUCTOR).replace(
        "target_link_uri=http", "target_link_uri=https%3A%2F%2Fevil.example%2F&x="
    )
    _refused(lms_browser().client.get(url), 403, "an address on another site")


def test_login_and_launch_pages_may_be_framed_by_registered_platforms_only(lms, lms_browser):
    response = lms_browser().open_from_lms(lms.launch_spec("student-1", LEARNER))
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.url};" in policy
    assert "X-Frame-Options" not in response.headers
    home = lms_browser().client.get("/login")
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Frame-Options"] == "DENY"


def test_signed_in_page_stays_on_board(lms, lms_browser):
    browser = lms_browser()
    browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))  # signed in
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"):
        response = browser.client.get("/lti/signed-in", query_string={"next": target}, base_url=browser.board_url)
        assert response.status_code == 302
        assert response.headers["Location"] == "/courses", target


@pytest.mark.parametrize(
    "spec",
    [
        {
            "extra_claims": {
                CLAIM + "message_type": "LtiSubmissionReviewRequest",
                CLAIM + "for_user": {"user_id": "student-1"},
                AGS_CLAIM: {"scope": [], "lineitems": "x", "lineitem": "https://lms.example/lineitems/1"},
            }
        },
        {
            "extra_claims": {CLAIM + "message_type": "DataPrivacyLaunchRequest", CLAIM + "for_user": {"user_id": "s"}},
            "remove_claims": (CLAIM + "resource_link", CLAIM + "context"),
            "context_id": None,
        },
    ],
    ids=["submission-review", "data-privacy"],
)
def test_other_message_types_are_refused(lms, lms_browser, spec):
    # pylti1p3 accepts these; Board has nothing to show for them, and must not treat them as ordinary launches.
    before = counts()
    response = lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, **spec))
    _refused(response, 400, "Board does not support this kind of launch")
    assert counts() == before


@pytest.mark.parametrize("path", ["/lti/link", "/lti/register", "/lti/jwks.json"])
def test_other_lti_pages_may_not_be_framed(lms, lms_browser, path):
    browser = lms_browser()
    browser.follow(browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))  # signed in
    response = browser.client.get(path, base_url=browser.board_url)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    assert response.headers["X-Frame-Options"] == "DENY"


def test_launch_pages_may_be_framed_by_the_platform(lms, lms_browser):
    browser = lms_browser()
    launched = browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR))
    signed_in = browser.client.get(launched.headers["Location"], base_url=browser.board_url)
    setup = browser.client.get("/lti/course-setup", base_url=browser.board_url)
    login = lms_browser().start(lms.launch_spec("teacher-1", INSTRUCTOR))
    for response in (launched, signed_in, setup, login):
        assert f"frame-ancestors 'self' {lms.url};" in response.headers["Content-Security-Policy"]
