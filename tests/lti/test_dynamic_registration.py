"""LTI Dynamic Registration with the demo platform's registration endpoint: a site admin confirms, Board registers
itself with the LMS and the LMS in Board, and a launch with the new client id works."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR
from board.lti.models import LtiPlatform
from tests import factories

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _signed_in(browser, user):
    page = browser.client.get("/login", base_url=browser.board_url).get_data(as_text=True)
    response = browser.client.post(
        "/login",
        data={"csrf_token": _TOKEN.search(page).group(1), "email": user.email, "password": factories.PASSWORD},
        base_url=browser.board_url,
    )
    assert response.status_code == 302
    return browser


def _admin():
    person = factories.user("Site Admin", "admin@example.edu")
    person.is_admin = True
    db.session.commit()
    return person


def _url(lms, token) -> str:
    query = {"openid_configuration": lms.url + "/.well-known/openid-configuration", "registration_token": token}
    return "/lti/register?" + urlencode(query)


def _confirm(browser, url):
    page = browser.client.get(url, base_url=browser.board_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    return browser.client.post(
        "/lti/register", data={"csrf_token": _TOKEN.search(html).group(1), **fields}, base_url=browser.board_url
    )


def test_dynamic_registration_registers_both_sides(lms, lms_browser, live_server):
    admin = _signed_in(lms_browser(), _admin())
    done = _confirm(admin, _url(lms, lms.registration_token))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Board is registered" in done.get_data(as_text=True)
    assert "lti-close.js" in done.get_data(as_text=True)  # tells the LMS's window the registration is complete
    (sent,) = lms.registrations
    assert sent["initiate_login_uri"] == f"{live_server}/lti/login"
    assert sent["jwks_uri"] == f"{live_server}/lti/jwks.json"
    assert sent["redirect_uris"] == [f"{live_server}/lti/launch"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    platform = db.session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == "board-dynamic-1"))
    assert [d.deployment_id for d in platform.deployments] == ["deployment-dynamic"]
    assert platform.issuer == lms.issuer and platform.key_set_url == lms.url + "/jwks"
    # The LMS now launches Board with the client id it gave.
    assert lms_browser().open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)).status_code == 303


def test_dynamic_registration_refused_by_the_lms_registers_nothing(lms, lms_browser):
    admin = _signed_in(lms_browser(), _admin())
    refused = _confirm(admin, _url(lms, "wrong-token"))
    assert refused.status_code == 400
    assert "did not complete the registration" in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(LtiPlatform)) == 1  # only the fixture's


def test_only_site_admins_may_register(lms, lms_browser):
    course = factories.course()
    teacher = _signed_in(lms_browser(), factories.instructor_of(course))
    assert teacher.client.get(_url(lms, "x"), base_url=teacher.board_url).status_code == 404
    assert lms.registrations == []
