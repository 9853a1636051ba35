"""Flask's signed-cookie sessions, with each cookie's contents kept per process once its signature has been checked.

A browser sends the same session cookie on every request until its session changes. Checking the signature and
decoding the cookie (HMAC, base64, zlib, tagged JSON) cost about 0.05 ms a request
(a fifth of a bare Flask "hello"). A cookie this process has already verified is the same string, signed by the same keys, so its
contents come from here instead:
- copied, since a request may change its session (a flashed message, logging in or out);
- its age checked again against the session's lifetime, as the signature check would;
- kept under the signing keys as well as the cookie, so a changed SECRET_KEY verifies every cookie afresh;
- only cookies up to KEPT_COOKIE_LENGTH characters (a signed-in session is about 250; a client can make its own
  longer, with flashed messages it never reads), and at most KEPT_COOKIES of them, the least recently used dropped
  first: a few MB per process at most.
Everything else (writing the cookie, what a session holds) is Flask's SecureCookieSessionInterface.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

KEPT_COOKIES = 1024  # per process
KEPT_COOKIE_LENGTH = 1024  # characters; longer cookies are verified on every request, as Flask does


class KeptCookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self, size: int = KEPT_COOKIES):
        self.size = size
        self._kept: OrderedDict[tuple, tuple[dict, int]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (value, app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            try:
                data, signed = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # a forged, altered or expired cookie: no session, as in Flask
                return self.session_class()
            kept = (data, int(signed.timestamp()))
            if len(value) <= KEPT_COOKIE_LENGTH:
                with self._lock:
                    self._kept[key] = kept
                    while len(self._kept) > self.size:
                        self._kept.popitem(last=False)
        data, signed_at = kept
        if int(time.time()) - signed_at > max_age:  # expired since it was checked (itsdangerous's own test)
            return self.session_class()
        return self.session_class(copy.deepcopy(data))

    def __len__(self) -> int:
        return len(self._kept)
