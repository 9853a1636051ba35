"""Real servers for tests: a person using a running Board over HTTP (cookies kept, forms posted with the CSRF token
their page carried, redirects not followed so each status is seen as sent), gunicorn, and a redis-server of the
test's own."""

from __future__ import annotations

import http.cookiejar
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import redis

from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: dict
    text: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpVisitor:
    """One browser: its own cookies, talking to `base` (http://127.0.0.1:port)."""

    def __init__(self, base: str, timeout: float = 30):
        self.base = base
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Page(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx: the response as sent
            with error:
                return Page(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict | None = None, *, form_page: str | None = None) -> Page:
        """Post `data` to `path` with the CSRF token of `form_page` (the form's own page, `path` by default)."""
        page = self.get(form_page or path)
        match = _TOKEN.search(page.text)
        assert match, f"no CSRF token on {form_page or path} ({page.status})"
        body = urlencode({"csrf_token": match.group(1), **(data or {})}).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def login(self, email: str, password: str) -> Page:
        return self.post("/login", {"email": email, "password": password})


class Gunicorn:
    """`gunicorn board:create_app()` with `workers` sync workers on a socket this test opened (a free port, never a
    fixed one), its settings from `env`; its error log (with the app's own log lines) kept in `log_dir`."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int = 2):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.set_inheritable(True)
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.error_log = log_dir / "gunicorn.log"
        fd = self.listener.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"fd://{fd}"]
            + ["--error-logfile", str(self.error_log), "--capture-output", "--timeout", "60", "board:create_app()"],
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            if self.log().count("Booting worker") == workers:
                try:
                    if HttpVisitor(self.base).get("/login").status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("gunicorn did not start:\n" + self.log())

    def log(self) -> str:
        return self.error_log.read_text() if self.error_log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.listener.close()


class RedisServer:
    """A redis-server of the test's own on a free loopback port, nothing saved to disk: stopped and started again at
    will (the shared one on 6379 is never touched)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while True:
                assert self.process.poll() is None, "redis-server exited"
                try:
                    if client.ping():
                        return
                except redis.exceptions.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it at once (SIGKILL: as a crash or a lost machine would, nothing flushed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
