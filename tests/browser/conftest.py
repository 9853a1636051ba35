"""Browser fixtures: the session's app served on a free port, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches the system Chromium at /usr/bin/chromium, and a missing
Chromium fails the browser tests (it does not skip them), so a machine without it cannot pass the suite by accident.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from board.seeding import SeedSummary, seed_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the access log, which would bury pytest's output."""

    def log_request(self, code="-", size="-") -> None:
        pass


def _closed_at_once(app):
    """The app with each response read whole and closed before it is sent. Werkzeug's development server closes a
    response only after draining the socket, and a browser that moves on mid-load (a reset connection) skips that
    close: the static file it was sending stayed open until garbage collection, whose ResourceWarning then failed
    whichever test was running (pytest turns warnings into errors). Gunicorn, in production, closes in any case."""

    def buffered(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return buffered


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The session's app served over HTTP in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, _closed_at_once(app), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, shared by the session's browser tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it. "
            "Install it with: sudo apt-get install -y chromium",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Open a page in its own browser context (own cookies) at a given viewport; relative URLs hit the live server."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def demo_course() -> SeedSummary:
    """The demo course and accounts, seeded as `flask --app board seed` would (tables are emptied after each test)."""
    return seed_demo(echo=lambda *_: None)
