"""URL helpers shared by the areas."""

from contextlib import AbstractContextManager, nullcontext
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, has_request_context, request


def safe_next(target: str | None) -> str | None:
    """`target` if it stays on this site (a path, not another host), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def referring_page() -> str | None:
    """The page of this site this request came from (its Referer, which Board's Referrer-Policy sends to this site
    only), as a path with its query; None when there is none or it is another site's."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return safe_next(urlunsplit(("", "", referrer.path, referrer.query, "")))


def links_context() -> AbstractContextManager:
    """Where url_for works in a job (no request): a request context for BASE_URL; inside a request, nothing."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=current_app.config["BASE_URL"])
