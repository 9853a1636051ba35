"""Registering a platform (CLI and admin page), and Board's keys: published at the JWKS URL, rotated by the CLI
with the old key still published."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from board.extensions import db
from board.lti import keys, registration
from board.lti.models import LtiDeployment, LtiKey, LtiPlatform
from board.models import utcnow
from tests import factories

PLATFORM = [
    "--issuer", "https://canvas.instructure.com",
    "--client-id", "10000000000042",
    "--deployment-id", "7:abc",
    "--deployment-id", "8:def",
    "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
    "--key-set-url", "https://sso.canvaslms.com/api/lti/security/jwks",
]  # fmt: skip


def _admin():
    person = factories.user("Site Admin", "admin@example.edu")
    person.is_admin = True
    db.session.commit()
    return person


def test_cli_registers_a_platform_and_its_deployments(app):
    result = app.test_cli_runner().invoke(args=["lti", "add-platform", *PLATFORM])
    assert result.exit_code == 0, result.output
    assert "Registered canvas.instructure.com" in result.output
    platform = db.session.scalar(select(LtiPlatform))
    assert platform.client_id == "10000000000042"
    assert [d.deployment_id for d in platform.deployments] == ["7:abc", "8:def"]
    assert db.session.scalar(select(func.count()).select_from(LtiKey)) == 1  # so the JWKS URL has a key at once
    # Again with another deployment: added to the same platform.
    again = app.test_cli_runner().invoke(
        args=["lti", "add-platform", *PLATFORM[:4], "--deployment-id", "9:x", *PLATFORM[8:]]
    )
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(LtiPlatform)) == 1
    assert db.session.scalar(select(func.count()).select_from(LtiDeployment)) == 3


def test_cli_refuses_an_address_that_is_not_http(app):
    args = [*PLATFORM]
    args[args.index("--key-set-url") + 1] = "file:///etc/passwd"
    result = app.test_cli_runner().invoke(args=["lti", "add-platform", *args])
    assert result.exit_code != 0
    assert "key set (JWKS) URL must be an https:// address" in result.output
    assert db.session.scalar(select(func.count()).select_from(LtiPlatform)) == 0


def test_only_site_admins_see_the_platforms_page(make_visitor):
    course = factories.course()
    for person in (factories.instructor_of(course), factories.member(course)):
        assert make_visitor(person).get("/admin/lti/").status_code == 404
        assert make_visitor(person).post("/admin/lti/platforms", {"issuer": "https://x.example"}).status_code == 404
    assert make_visitor().get("/admin/lti/").status_code == 302


def test_admin_page_shows_what_to_paste_into_the_lms_and_registers_a_platform(make_visitor):
    admin = make_visitor(_admin())
    page = admin.get("/admin/lti/").get_data(as_text=True)
    for url in ("http://localhost/lti/login", "http://localhost/lti/launch", "http://localhost/lti/jwks.json"):
        assert url in page
    assert 'href="/admin/lti/"' in admin.get("/admin/").get_data(as_text=True)
    form = {
        "name": "Moodle",
        "issuer": "https://moodle.uni.edu",
        "client_id": "AbC123",
        "deployment_ids": "1\n2\n",
        "auth_login_url": "https://moodle.uni.edu/mod/lti/auth.php",
        "auth_token_url": "https://moodle.uni.edu/mod/lti/token.php",
        "key_set_url": "https://moodle.uni.edu/mod/lti/certs.php",
    }
    response = admin.post("/admin/lti/platforms", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin.get("/admin/lti/").get_data(as_text=True)
    assert "https://moodle.uni.edu/mod/lti/certs.php" in page and "AbC123" in page
    refused = admin.post("/admin/lti/platforms", {**form, "auth_token_url": "javascript:alert(1)"})
    assert refused.status_code == 400
    assert "must be an https:// address" in refused.get_data(as_text=True)


def test_jwks_publishes_the_signing_key_and_rotation_keeps_the_old_one(app, client):
    assert client.get("/lti/jwks.json").get_json() == {"keys": []}  # none made on GET
    first = keys.signing_key()
    first_id, first_kid = first.id, first.kid
    published = client.get("/lti/jwks.json").get_json()["keys"]
    assert [k["kid"] for k in published] == [first.kid]
    assert published[0]["kty"] == "RSA" and published[0]["alg"] == "RS256" and "d" not in published[0]

    result = app.test_cli_runner().invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0, result.output
    second = keys.signing_key()
    assert second.kid != first.kid and second.kid in result.output
    assert {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]} == {first.kid, second.kid}

    # Once the old key has been retired longer than the overlap, the next rotation stops publishing it.
    old = db.session.get(LtiKey, first_id)
    old.retired_at = utcnow() - keys.KEY_OVERLAP
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lti", "rotate-key"])
    assert first_kid in result.output
    kids = {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]}
    assert first_kid not in kids and second.kid in kids and len(kids) == 2


def test_token_audience_is_kept_for_brightspace(app):
    args = [*PLATFORM, "--auth-audience", "https://api.brightspace.com/auth/token"]
    assert app.test_cli_runner().invoke(args=["lti", "add-platform", *args]).exit_code == 0
    platform = db.session.scalar(select(LtiPlatform))
    assert registration.to_registration(platform).get_auth_audience() == "https://api.brightspace.com/auth/token"


def test_lms_pages_on_another_host_than_the_issuer_may_frame_board(app, client):
    args = [*PLATFORM, "--frame-origin", "https://school.instructure.com/courses/1"]
    assert app.test_cli_runner().invoke(args=["lti", "add-platform", *args]).exit_code == 0
    policy = client.get("/lti/signed-in").headers["Content-Security-Policy"]
    frames = re.search(r"frame-ancestors ([^;]+);", policy).group(1).split()
    assert frames == [
        "'self'",
        "https://canvas.instructure.com",
        "https://school.instructure.com",
        "https://sso.canvaslms.com",
    ]
    refused = app.test_cli_runner().invoke(args=["lti", "add-platform", *PLATFORM, "--frame-origin", "javascript:x"])
    assert refused.exit_code != 0 and "frame origin must be an https:// address" in refused.output
