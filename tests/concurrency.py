"""Run requests at the same moment from threads, to show what two people (or two tabs) racing each other get; serve
Board with real gunicorn workers, and use it as people do (their own cookies, logged in through the form, posting
forms with the CSRF token a page gave them)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from flask import current_app

ROOT = Path(__file__).resolve().parents[1]


def at_once(*requests: Callable[[], object], timeout: float = 30) -> list[object]:
    """Start every request together (a Barrier lines the threads up) and return each one's response or exception."""
    start = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)
    app = current_app._get_current_object()

    def run(index: int, request: Callable[[], object]) -> None:
        start.wait(timeout)
        try:
            with app.app_context():  # as the test's own thread has; each request still gets its own
                results[index] = request()
        except Exception as error:  # noqa: BLE001  (a 500 in TESTING mode is raised here; the test reports it)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


class Rendezvous:
    """Wraps a function so that its first `parties` callers wait for each other after it returns; later calls pass.

    Patched over the check a service makes before inserting (does this account or membership exist yet?), it holds
    every racer inside the window between check and insert, so the race happens on every run, not by luck.
    """

    def __init__(self, function: Callable, parties: int = 2, timeout: float = 10):
        self.function = function
        self.barrier = threading.Barrier(parties)
        self.timeout = timeout
        self._calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        with self._lock:
            self._calls += 1
            racing = self._calls <= self.barrier.parties
        if racing:
            self.barrier.wait(self.timeout)
        return result


class Gunicorn:
    """gunicorn serving Board with `workers` sync workers on `database_url`, on a socket this process opened (so the
    port is free and never fixed); `env` adds to the environment the workers read their settings from; a worker busy
    with one request for `timeout` seconds is killed."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        log_dir: Path,
        *,
        workers: int = 2,
        env: dict | None = None,
        access_log_format: str = '%(p)s %(s)s %(L)s "%(r)s"',
        timeout: int = 60,
    ):
        self.workers = workers
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.listener.set_inheritable(True)
        self.port = self.listener.getsockname()[1]
        self.access_log = log_dir / "access.log"
        self.error_log = log_dir / "error.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "SECURE_COOKIES": "0",
            **(env or {}),
        }
        fd = self.listener.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync"]
            + ["--bind", f"fd://{fd}"]
            + ["--access-logfile", str(self.access_log), "--access-logformat", access_log_format]
            + ["--error-logfile", str(self.error_log), "--timeout", str(timeout), "board:create_app()"],
            cwd=ROOT,
            env=environment,
            pass_fds=(fd,),
        )
        self._wait_for_workers()

    def _wait_for_workers(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.error_log.read_text()
            booted = self.error_log.read_text().count("Booting worker") if self.error_log.exists() else 0
            if booted == self.workers:
                try:
                    if self.request("GET", "/login").status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start: " + self.error_log.read_text())

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None):
        """One request on its own connection (a sync worker closes it after answering); the response has `.text`."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.text = response.read().decode()
            return response
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown; nothing is in flight
        self.process.wait(timeout=30)
        self.listener.close()


_CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Person:
    """One browser on a Gunicorn server: its own cookies, logged in through the login form, and posting forms with
    the CSRF token a page of the site gave it."""

    def __init__(self, server: Gunicorn):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        sent = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.server.request(method, path, body, sent)
        for header in response.msg.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str):
        return self.request("GET", path)

    def token_from(self, path: str) -> str:
        """Read the CSRF token from a page, as a browser's form would carry it."""
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        self.token = _CSRF_TOKEN.search(page.text).group(1)
        return self.token

    def post(self, path: str, form: dict | None = None, headers: dict | None = None):
        """Post a form with the token of the last page read."""
        assert self.token is not None, "read a page with a form first (token_from)"
        return self.request("POST", path, {"csrf_token": self.token, **(form or {})}, headers)

    def login(self, email: str, password: str) -> None:
        self.token_from("/login")
        response = self.post("/login", {"email": email, "password": password})
        assert response.status == 302 and "/login" not in response.getheader("Location"), (email, response.status)
