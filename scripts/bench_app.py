"""Board's app as the class-mix benchmark serves it (gunicorn "scripts.bench_app:app"): the same app, plus a response
header telling whether a cacheable page (board/pagecache/) was a kept one, since Board's responses do not say.

    X-Bench-Page-Cache: hit    a kept page was served again (board.pagecache.store._reuse ran for this request)
    X-Bench-Page-Cache: miss   a cacheable view's page was built (the cache off, or nothing kept under its key)

Other responses carry no such header, nor any response of a Board without board/pagecache/. board/ is not changed: _reuse is looked up by name when a page is served, so
wrapping the module's function here sees every reuse (from the before_request hook and from the view's wrapper).
Only for benchmarking; the extra work is one after_request hook (a few microseconds).
"""

from __future__ import annotations

from flask import g, request

from board import create_app

try:
    from board.pagecache import store
except ImportError:  # a Board without the page cache: no header
    store = None
else:
    _reuse = store._reuse

    def _counted_reuse(kept):
        g.bench_page_kept = True
        return _reuse(kept)

    store._reuse = _counted_reuse

app = create_app()


@app.after_request
def _mark_page_cache(response):
    view = app.view_functions.get(request.endpoint or "")
    if getattr(view, "board_page_cache", False):  # store._CACHEABLE, carried to the view by functools.wraps
        response.headers["X-Bench-Page-Cache"] = "hit" if g.get("bench_page_kept") else "miss"
    return response
