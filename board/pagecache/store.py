"""The kept pages (a per-process LRU bounded in bytes) and the decorator that serves them (see __init__.py)."""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_login import current_user

from ..auth import sessions
from ..extensions import login_manager
from . import versioning

_EXTENSION = "board_page_cache"
_CACHEABLE = "board_page_cache"  # set on the views that keep their pages


@dataclass(frozen=True)
class Page:
    body: bytes
    mimetype: str
    nonce: bytes | None  # the CSP nonce written into the body, replaced by a fresh one on reuse
    made: float  # time.monotonic() when built
    fresh: tuple = ()  # (value, make) of each per_response() value in the body, made again on reuse


def per_response(make: Callable[[], str]) -> str:
    """A value that must differ on every response, such as a composer's submission key (a resend of one form creates
    one comment; two tabs must not share one): made now, and made again whenever a kept page holding it is reused."""
    value = make()
    if has_request_context():
        g.setdefault("page_cache_fresh", []).append((value.encode(), make))
    return value


class PageStore:
    """Pages by key, least recently used dropped first once the bodies pass `limit` bytes. Thread-safe."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._pages: OrderedDict[tuple, Page] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if time.monotonic() - page.made > self.seconds:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: Page) -> None:
        if len(page.body) > self.limit:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._size += len(page.body)
            while self._size > self.limit:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: tuple) -> None:
        self._size -= len(self._pages.pop(key).body)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = PageStore(app.config["PAGE_CACHE_BYTES"], app.config["PAGE_CACHE_SECONDS"])
    versioning.install_for(app)
    app.before_request(_serve_kept)


def store() -> PageStore:
    return current_app.extensions[_EXTENSION]


def _keeping() -> bool:
    """Whether this request's page may be served from the store or kept in it at all."""
    return request.method == "GET" and bool(current_app.config["PAGE_CACHE_BYTES"]) and "_flashes" not in session


def _key_for(token: str | None, version: tuple | None) -> tuple | None:
    """The key of this request's page for the session with this token, at these versions (sessions.page_versions)."""
    # The page's forms carry the CSRF token made from this secret; a login restored from the remember-me cookie has
    # the same session token but a new Flask session (and secret), so it must not get the old page.
    csrf_secret = session.get("csrf_token")
    if version is None or version[0] is None or token is None or csrf_secret is None:
        return None
    return (token, csrf_secret, request.full_path, version)


def _key() -> tuple | None:
    """This request's key, from the loaded user, or None when its page must be built and not kept."""
    if not _keeping():
        return None
    user = current_user._get_current_object()
    # (write version, the user's latest read mark) and the session's token: set by sessions.load
    return _key_for(getattr(user, "session_token", None), getattr(user, "page_version", None))


def _serve_kept():
    """Before any other of the request's work (the app's before_request hook, ahead of the blueprints' login checks):
    a cacheable page this session already has, found by the session's one query (sessions.page_versions), without
    loading the user (Flask-Login and the ORM were most of the cost of a kept page). When there is none, the request
    goes on as usual: the view's wrapper loads the user, builds the page and keeps it."""
    view = current_app.view_functions.get(request.endpoint or "")
    session_user_id = session.get("_user_id")
    if not getattr(view, _CACHEABLE, False) or not session_user_id or "csrf_token" not in session or not _keeping():
        return None
    if login_manager.session_protection == "strong":
        return None  # Flask-Login may end this session for a changed address or browser: only the usual path knows
    live = sessions.page_versions(session_user_id)
    if live is None:
        return None  # an ended session: the usual path sends the browser to log in
    key = _key_for(*live)
    kept = None if key is None else store().get(key)
    return None if kept is None else _reuse(kept)


def _reuse(kept: Page) -> Response:
    body = kept.body
    if kept.nonce is not None:
        from .. import style_nonce  # the page's nonce must be this response's (its CSP header names it)

        body = body.replace(kept.nonce, style_nonce().encode())
    for value, make in kept.fresh:
        body = body.replace(value, make().encode())
    return Response(body, mimetype=kept.mimetype)


def cached_page(view):
    """Keep the view's page for this session at this write version; the app's before_request hook (_serve_kept)
    serves it again. Goes under @login_required (the session must be live and loaded first), and nothing else may
    go above it: a kept page is served before any decorator or blueprint hook runs, so every access check belongs in
    the view, where it runs when the page is built (anything that changes its answer is a write)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        kept = store().get(key)
        if kept is not None:
            return _reuse(kept)
        response = current_app.make_response(view(*args, **kwargs))
        if (
            response.status_code == 200
            and response.mimetype == "text/html"
            and not response.direct_passthrough
            and "Set-Cookie" not in response.headers
            and "_flashes" not in session
        ):
            nonce = g.get("style_nonce")
            page = Page(
                response.get_data(),
                response.mimetype,
                nonce.encode() if nonce else None,
                time.monotonic(),
                tuple(g.get("page_cache_fresh", ())),
            )
            store().put(key, page)
        return response

    setattr(wrapper, _CACHEABLE, True)  # functools.wraps carries it to the decorators above (login_required)
    return wrapper
