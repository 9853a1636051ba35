"""A second, independent platform: lti-provider-mock (FastAPI, jwcrypto-signed tokens, its own login flow), served
by uvicorn in a subprocess. Its login initiation and launch pass every one of Board's checks; it always sends an
empty roles claim, so the launch ends on Board's clear "your role gives no access" page, with nothing created."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from http.cookies import SimpleCookie

import pytest
import requests

from board.lti import registration
from tests.conftest import free_port

from .conftest import counts

_INPUT = re.compile(r'name="([a-z_]+)"\s+value="([^"]*)"')
_ACTION = re.compile(r'action="([^"]+)"')


@pytest.fixture(scope="module")
def provider_mock(live_server) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "LTI_PROVIDER_MOCK__LTI__ISS": url,
        "LTI_PROVIDER_MOCK__LTI__LOGIN_URL": f"{live_server}/lti/login",
        "LTI_PROVIDER_MOCK__LTI__LAUNCH_URL": f"{live_server}/lti/launch",
        "LTI_PROVIDER_MOCK__USERS": json.dumps(
            [{"id": "mock-user-1", "given_name": "Mo", "family_name": "Mock", "email": "mo@mock.example"}]
        ),
        "LTI_PROVIDER_MOCK__COURSES": json.dumps([{"id": "mock-course", "name": "Mock Course"}]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lti_provider_mock.server:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(url + "/jwks", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("lti-provider-mock did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


class _MockBrowser:
    """The person's browser as the mock platform sees it. Its cookies are kept as sent (quoted JSON): requests'
    cookie jar unquotes them, and the mock's signed values then fail their signature check."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def _keep(self, response: requests.Response) -> requests.Response:
        for header in response.raw.headers.getlist("Set-Cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value
        return response

    def _headers(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def get(self, url: str) -> requests.Response:
        return self._keep(requests.get(url, headers=self._headers(), allow_redirects=False, timeout=10))

    def post(self, url: str, data: dict) -> requests.Response:
        return self._keep(requests.post(url, data=data, headers=self._headers(), allow_redirects=False, timeout=10))


def _fields(html: str) -> tuple[str, dict]:
    return unescape(_ACTION.search(html).group(1)), {k: unescape(v) for k, v in _INPUT.findall(html)}


def test_independent_platform_launch_passes_boards_checks(app, provider_mock, live_server):
    registration.add_platform(
        issuer=provider_mock,
        client_id="lti-provider-mock",
        deployment_ids=["1"],
        auth_login_url=provider_mock + "/authorize",
        auth_token_url=provider_mock + "/token",
        key_set_url=provider_mock + "/jwks",
    )
    before = counts()
    lms = _MockBrowser()
    assert lms.post(provider_mock + "/login", {"userid": "mock-user-1"}).status_code == 303
    course_page = lms.get(provider_mock + "/courses/mock-course")
    assert course_page.status_code == 200, (course_page.status_code, course_page.text[:500])
    action, login = _fields(course_page.text)
    assert action == f"{live_server}/lti/login"

    board = app.test_client()  # the same browser, as Board sees it
    started = board.post(action, data=login)
    assert started.status_code == 302, started.get_data(as_text=True)
    assert started.headers["Location"].startswith(provider_mock + "/authorize?")
    action, form = _fields(lms.get(started.headers["Location"]).text)
    assert action == f"{live_server}/lti/launch" and form["id_token"].count(".") == 2

    launched = board.post(action, data=form)
    page = launched.get_data(as_text=True)
    # Signature (its kid, from its JWKS), issuer, audience, expiry, nonce, state, deployment, message, target link:
    # all accepted. The mock names no role, which Board does not admit.
    assert launched.status_code == 403, page
    assert "Your role in this LMS course gives no access to Board" in page
    assert counts() == before
