"""LTI fixtures: Board served on loopback (the platform fetches its keys), the test platform (tests/lti/platform.py)
registered in Board, and a browser that goes from the LMS to Board and back through real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from board.extensions import db
from board.lti import registration
from board.lti.demo_platform import DemoPlatform, read_launch_form
from board.lti.models import LtiAccount, LtiContext
from board.models import Course, Membership, User
from tests.browser.conftest import live_server  # noqa: F401  (Board over HTTP, for the platform to call)


@pytest.fixture(scope="session")
def test_platform(live_server) -> Iterator[DemoPlatform]:  # noqa: F811
    platform = DemoPlatform()
    platform.tool_url = live_server
    platform.start()
    yield platform
    platform.stop()


@pytest.fixture
def lms(test_platform) -> DemoPlatform:
    """The test platform, reset, and registered in Board as a site admin would."""
    test_platform.reset()
    registration.add_platform(**test_platform.registration_values())
    return test_platform


class LmsBrowser:
    """A person's browser: Board through the test client (at the live server's address, so hosts match), the
    platform through real HTTP."""

    def __init__(self, client, board_url: str, make_client):
        self.client = client
        self.board_url = board_url
        self.last_form: dict | None = None
        self._make_client = make_client

    def start(self, login_url: str):
        """Open Board's login initiation; returns Board's response (a redirect to the platform, or a refusal)."""
        assert login_url.startswith(self.board_url), login_url
        return self.client.get(login_url)

    def authenticate(self, platform_auth_url: str) -> tuple[str, dict]:
        """The platform's answer to Board's authentication request: the launch form's target and fields."""
        answer = requests.get(platform_auth_url, timeout=10)
        assert answer.status_code == 200, answer.text
        return read_launch_form(answer.text)

    def post_launch(self, action: str, form: dict):
        """The platform's form post: cross-site, so a browser sends only Board's SameSite=None cookies (those of
        /lti/), never its Lax session cookie (the werkzeug client would send every cookie: a second client posts,
        with the /lti/ cookies only). What the answer sets comes back into this browser."""
        cross_site = self._make_client()
        for cookie in self.client._cookies.values():
            if cookie.path.startswith("/lti/"):
                cross_site.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        response = cross_site.post(action, data=form)
        for cookie in cross_site._cookies.values():
            self.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        for (domain, path, key), _ in list(self.client._cookies.items()):
            if cross_site.get_cookie(key, domain, path) is None and path.startswith("/lti/"):
                self.client.delete_cookie(key, domain=domain, path=path)  # deleted by the answer
        return response

    def open_from_lms(self, login_url: str, *, identity: str | None = "new"):
        """The whole launch: login initiation, the platform's sign-in, the launch post. Returns the launch response;
        for an LMS user Board has not seen, by default the answer to choosing `identity` ("new": a new Board
        account, "link": the account signed in here) on the identity page it leads to (None: stop before)."""
        started = self.start(login_url)
        assert started.status_code == 302, started.get_data(as_text=True)
        action, form = self.authenticate(started.headers["Location"])
        self.last_form = form
        response = self.post_launch(action, form)
        if identity is None or not response.headers.get("Location", "").startswith("/lti/identity/"):
            return response
        return self.choose_identity(response.headers["Location"], identity)

    def choose_identity(self, page_url: str, choice: str):
        """Choose on the identity page (a same-site page, where Board's session cookie is sent)."""
        page = self.client.get(page_url, base_url=self.board_url)
        assert page.status_code == 200, page.get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        return self.client.post(page_url, data={"csrf_token": token, "choice": choice}, base_url=self.board_url)

    def follow(self, response):
        """Follow redirects within Board; returns the final response."""
        while response.status_code in (302, 303):
            response = self.client.get(response.headers["Location"], base_url=self.board_url)
        return response


@pytest.fixture
def lms_browser(app, live_server):  # noqa: F811
    """A factory of browsers, each with its own cookies."""

    def make() -> LmsBrowser:
        return LmsBrowser(app.test_client(), live_server, app.test_client)

    return make


def counts() -> dict:
    """How many accounts, courses, memberships and LTI links exist (a refused launch changes none)."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Course, Membership, LtiAccount, LtiContext)
    }
