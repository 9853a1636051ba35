"""A person using a running Board over real HTTP (gunicorn, the demo server): cookies kept, forms posted with the
CSRF token their page carried, redirects not followed (so each response's status is seen as it was sent)."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

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
