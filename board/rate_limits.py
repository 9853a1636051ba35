"""Limits on writing: registrations and reset requests per address; comments, responses, reports and edits per
account; previews (which render Markdown) per account.

Flask-Limiter counts in RATELIMIT_STORAGE_URI (per process with memory://, shared by every worker with redis://)
and refuses with a 429 TooManyRequests carrying Retry-After. Login throttling is board/auth/throttle.py.

When that store is unreachable (Redis down), nobody gets an error page: Flask-Limiter's in-memory fallback counts
every limit in the process's own memory, and logs that it does, until the store answers again (it checks now and
then). Code that counts with the limiter's strategy itself (logins, account email) goes through `counted()`, which
falls back the same way.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, jsonify, request
from flask.logging import default_handler
from flask_limiter import RequestLimit
from flask_login import current_user
from limits import parse_many
from limits.errors import StorageError
from limits.strategies import RateLimiter

from .extensions import READ_METHODS, limiter

T = TypeVar("T")
logger = logging.getLogger(__name__)


def client_network(address: str | None) -> str:
    """The client as limits count it: its IPv4 address, or its IPv6 /64 (one host may use any address in its /64)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _network_key() -> str:
    return client_network(request.remote_addr)


def _account_key() -> str:
    # The views behind this limit require a login; an address is only a fallback so the key is never empty.
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{_network_key()}"


def _is_preview() -> bool:
    # A composer's Preview button: the route shows the text rendered and saves nothing, so it spends no budget.
    return "preview" in request.form


def init_app(app: Flask) -> None:
    """Bind the limiter, with its per-request check skipped on GET and HEAD. Every limit here is on writing
    (methods=["POST"]; Board sets no default limits), yet Flask-Limiter's before_request hook resolves them on every
    request: about 0.1 ms, even with a request filter."""
    if app.config.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://")):
        # A Redis that stopped answering (rather than refusing) costs a request two seconds, then the fallback.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
    limiter.init_app(app)
    # Flask-Limiter says when its store is unreachable and when it is back, on a logger with only a NullHandler:
    # under gunicorn those lines would go nowhere.
    if all(isinstance(handler, logging.NullHandler) for handler in limiter.logger.handlers):
        limiter.logger.addHandler(default_handler)
    if limiter.logger.level == logging.NOTSET:
        limiter.logger.setLevel(logging.INFO)
    hooks = app.before_request_funcs.get(None, [])
    check = limiter._check_request_limit  # the hook init_app registers (none when RATELIMIT_ENABLED is off)
    if check in hooks:
        # Only decorated limits exist, and each decorator checks its own: tests/test_rate_limits.py fails if a
        # default, application, meta or blueprint limit (which this hook would enforce on reads too) is ever added.
        hooks[hooks.index(check)] = functools.wraps(check)(functools.partial(_unless_reading, check))


def _unless_reading(check) -> None:
    if request.method not in READ_METHODS:
        check()


#: Shared by every route that posts or edits something (one budget per account, whichever form is used): an edit
#: can notify and email as a new comment can.
posting = limiter.shared_limit(
    lambda: current_app.config["POSTING_RATE_LIMIT"],
    scope="posting",
    key_func=_account_key,
    methods=["POST"],
    exempt_when=_is_preview,
)

#: The composers' live preview (posts.formatting), per account: every request renders Markdown, so a loop of
#: worst-case text kept workers busy. Typing asks at most once per pause (board.js), well under the limit.
previewing = limiter.shared_limit(
    lambda: current_app.config["PREVIEW_RATE_LIMIT"],
    scope="preview",
    key_func=_account_key,
    methods=["POST"],
    on_breach=lambda limit: _preview_refused(limit),
)

#: A composer's Preview button (without JavaScript) renders the same way, so it spends the same budget, and not
#: posting's (the same scope: one count per account for both).
preview_button = limiter.shared_limit(
    lambda: current_app.config["PREVIEW_RATE_LIMIT"],
    scope="preview",
    key_func=_account_key,
    methods=["POST"],
    exempt_when=lambda: not _is_preview(),
)


def _preview_refused(limit: RequestLimit) -> Response | None:
    """The live preview's refusal as JSON, for board.js to say calmly under the text and ask again after
    Retry-After (errors.handle_http_error sends a refusal's own response as it is). The formatting page's own
    form (no JavaScript) gets the usual 429 page, with its text."""
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) != "application/json":
        return None
    wait = max(1, int(limit.reset_at - time.time()))
    response = jsonify(
        error=f"The preview pauses for {wait} s (you are typing faster than it updates). Your text is safe.",
        retry_after=wait,
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def upload_allowed() -> bool:
    """Count one upload by the signed-in person against UPLOAD_RATE_LIMIT; False when a limit is used up. Counted
    where the file is taken (board/uploads/services.py), so the upload endpoint and the composers' file inputs (with
    any button, Preview included) spend one budget, and not posting's: pasting pictures into a comment does not use
    up the budget for sending it."""
    items = parse_many(current_app.config["UPLOAD_RATE_LIMIT"])
    key = _account_key()
    return counted(lambda strategy: all(strategy.hit(item, "upload", key) for item in items))


#: Registrations and "forgot password" requests per client network: one budget for both, since each sends an email.
registration = limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="registration", key_func=_network_key, methods=["POST"]
)


def counted(operation: Callable[[RateLimiter], T]) -> T:
    """`operation(strategy)` (hit, test, get_window_stats) on the limiter's store; while that store is unreachable, on
    Flask-Limiter's in-memory fallback, the one its own limits then use (and leave when the store is back)."""
    strategy = limiter.limiter
    try:
        return operation(strategy)
    except Exception as error:
        fallback = getattr(limiter, "_fallback_limiter", None)
        if fallback is None or strategy is fallback or not isinstance(error, _store_errors()):
            raise
        logger.warning("Rate limit store unreachable (%r): counting in this process's memory until it is back.", error)
        # The flag Flask-Limiter's own fallback sets (tests/test_redis_outage.py fails if it is ever renamed).
        limiter._storage_dead = True
        return operation(fallback)


def _store_errors() -> tuple[type[BaseException], ...]:
    errors = limiter.storage.base_exceptions
    return (StorageError, *(errors if isinstance(errors, tuple) else (errors,)))
