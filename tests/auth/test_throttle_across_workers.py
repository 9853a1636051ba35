"""Login limits hold across gunicorn workers when they share a Redis store (RATELIMIT_STORAGE_URI=redis://…).

gunicorn runs with two sync workers on a free local port, on the test database, with its limits in Redis db 1
(TEST_REDIS_URL overrides it), flushed before each test. To prove that a count made in one worker is seen by the
other, one worker is kept busy by a request whose headers are still arriving: every other request then goes to
the second worker. When the second worker has used up the limit, the held request is completed, so the first
worker, which has served nothing else, must refuse it. gunicorn's access log names the worker of each request.
Cost: about 3 s per test (gunicorn start and scrypt logins).
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from tests import factories
from tests.concurrency import Gunicorn

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
LIMIT = 3


class Server(Gunicorn):
    """gunicorn with two workers, its limits in Redis; its access log names the worker and client of each request."""

    def __init__(self, database_url: str, secret_key: str, log_dir: Path):
        env = {
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "TRUSTED_PROXIES": "1",  # so each request can name its own client address
            "LOGIN_ACCOUNT_LIMIT": f"{LIMIT} per minute",
            "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        }
        log_format = "%(p)s %(s)s %({x-forwarded-for}i)s"
        super().__init__(database_url, secret_key, log_dir, workers=2, env=env, access_log_format=log_format)

    def workers_of(self, forwarded_for: str) -> list[str]:
        """The worker pid of each logged request made for this client address, in order."""
        lines = self.access_log.read_text().splitlines()
        return [pid for pid, _, address in (line.split(" ", 2) for line in lines) if address == forwarded_for]


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    running = Server(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"], tmp_path_factory.mktemp("gunicorn")
    )
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _empty_redis():
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    yield
    store.flushdb()
    store.close()


class Browser:
    """One browser's cookies and CSRF token for the gunicorn server."""

    def __init__(self, server: Server):
        self.server = server
        page = server.request("GET", "/login")
        self.cookie = page.getheader("Set-Cookie").split(";", 1)[0]
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)

    def login_request(self, email: str, password: str, client: str) -> tuple[bytes, dict]:
        body = urlencode({"email": email, "password": password, "csrf_token": self.token}).encode()
        headers = {
            "Host": f"127.0.0.1:{self.server.port}",
            "Cookie": self.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
            "X-Forwarded-For": client,
            "Connection": "close",
        }
        return body, headers

    def login(self, email: str, password: str, client: str):
        body, headers = self.login_request(email, password, client)
        return self.server.request("POST", "/login", body, headers)

    def held_login(self, email: str, password: str, client: str) -> HeldRequest:
        return HeldRequest(self.server.port, *self.login_request(email, password, client))


class HeldRequest:
    """A POST whose last header line is withheld, keeping the sync worker that accepted it busy."""

    def __init__(self, port: int, body: bytes, headers: dict):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = "POST /login HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.socket.sendall(head.encode())
        self.rest = b"\r\n" + body
        time.sleep(0.5)  # let one worker accept it and block reading

    def finish(self) -> int:
        self.socket.sendall(self.rest)
        reply = b""
        while chunk := self.socket.recv(65536):
            reply += chunk
        self.socket.close()
        return int(reply.split(b" ", 2)[1])


def test_account_limit_holds_across_workers(server):
    ada = factories.user(email="ada@example.edu")
    browser = Browser(server)
    held = browser.held_login(ada.email, "wrong password", "203.0.113.100")

    codes = [browser.login(ada.email, "wrong password", f"203.0.113.{n}").status for n in range(1, LIMIT + 1)]
    held_code = held.finish()

    assert codes == [200] * LIMIT
    assert held_code == 429
    (counting_worker,) = {pid for n in range(1, LIMIT + 1) for pid in server.workers_of(f"203.0.113.{n}")}
    (refusing_worker,) = server.workers_of("203.0.113.100")
    assert refusing_worker != counting_worker


def test_address_limit_holds_across_workers(server):
    browser = Browser(server)
    held = browser.held_login("guess-held@example.edu", "wrong password", "198.51.100.50")

    codes = []
    for n in range(LIMIT):
        codes.append(browser.login(f"guess{n}@example.edu", "wrong password", "198.51.100.50").status)
    held_code = held.finish()

    assert codes == [200] * LIMIT
    assert held_code == 429
    workers = server.workers_of("198.51.100.50")
    assert len(workers) == LIMIT + 1
    assert set(workers[:LIMIT]) == {workers[0]}
    assert workers[LIMIT] != workers[0]  # the held request was served by the other worker


def test_owner_with_device_cookie_logs_in_through_either_worker(server):
    ada = factories.user(email="ada@example.edu")
    owner = Browser(server)
    first = owner.login(ada.email, factories.PASSWORD, "192.0.2.1")
    assert first.status == 302
    device = next(v for k, v in first.getheaders() if k == "Set-Cookie" and v.startswith("board_device="))
    attacker = Browser(server)
    codes = [attacker.login(ada.email, "wrong password", f"203.0.113.{n}").status for n in range(1, LIMIT + 2)]
    assert codes[-1] == 429

    owner_again = Browser(server)
    owner_again.cookie += "; " + device.split(";", 1)[0]
    assert owner_again.login(ada.email, factories.PASSWORD, "203.0.113.1").status == 302
