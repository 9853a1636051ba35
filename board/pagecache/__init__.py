"""Whole rendered pages, kept for the session that asked for them and reused until anything in the database changes.

The course home, a post's page and a person's page cost 5–40 ms of Python to build (queries, the ORM, Jinja), while
a class mostly reads. So a built page is kept, per process, under the key

    (this browser's session and its CSRF secret, the path with its query string, the database's write version,
     the time this person last marked a post read)

and the next request with the same key gets it back in about a millisecond, without the page's queries.

Why this is never a stale or a wrong page:
- **The write version** (`versioning.py`) is one number in the database that goes up in the same transaction as any
  write to any table (the engine itself sees every INSERT, UPDATE and DELETE, whoever sends it), so a page kept under
  version v is the page any request would build while the version is still v. It is read in the user loader's one
  query (auth/sessions.py), before the page's own queries, so a page is never stored under a version newer than
  its data.
- **Served before anything else**: an app-wide before_request hook (`store._serve_kept`) looks up a cacheable view's
  page with one small query (`sessions.page_versions`: is this session live, and the two versions, sent straight
  through the driver) before Flask-Login or the ORM are touched; loading the user was most of the cost of a kept
  page. Only a miss loads the user and builds the page (one query more than building it alone).
- **Per session**, not per person: a page carries its session's CSRF token, and two people never share a key.
  Logging out ends the session (its key is never sent again); access is checked by the view on the miss that built
  the page, and anything that could change it (a role, a membership, a hidden post) is a write.
- **Time**: a page is kept at most PAGE_CACHE_SECONDS (60 s), so what depends on the clock alone ("past due", a
  late checkpoint) is at most that late.
- Only a 200 HTML page is kept; not when a flashed message is waiting (it shows once), nor when the page set a
  cookie. The page's CSP nonce is replaced by a fresh one on every reuse.

Settings: PAGE_CACHE_BYTES (per process, default 32 MB; 0 turns the cache off), PAGE_CACHE_SECONDS (default 60).
"""

from .store import cached_page, init_app

__all__ = ["cached_page", "init_app"]
