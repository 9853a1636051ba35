"""Walk every page of the seeded demo course as each kind of person, following the links the pages offer.

No GET request writes to the database, every page a signed-in person reaches offers "Log out", and a logged-out
visitor learns nothing about which courses exist.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Membership, Role, User
from board.seeding import DEMO_PASSWORD, seed_demo
from tests.conftest import Visitor
from tests.sql import count_queries

_HREF = re.compile(r'href="([^"]+)"')
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _walk(visitor: Visitor, start: str, limit: int = 400) -> dict[str, int]:
    """Breadth-first over same-site links from `start`; returns each page's status. Downloads (an attachment, such
    as the exported My work file) are fetched, so they too must not write, but they are files, not pages."""
    seen: dict[str, int] = {}
    downloads: set[str] = set()
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url in downloads:
            continue
        response = visitor.client.get(url)
        if response.headers.get("Content-Disposition", "").startswith("attachment") and response.status_code == 200:
            downloads.add(url)
            continue
        seen[url] = response.status_code
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for href in _HREF.findall(response.get_data(as_text=True)):
            href = urldefrag(urljoin(url, href.replace("&amp;", "&"))).url  # post pages link relatively
            if href.startswith("/") and not href.startswith(("//", "/static/")) and href not in seen:
                queue.append(href)
    return seen


@pytest.mark.parametrize("email", ["instructor@example.edu", "student3@example.edu", "assistant"])
def test_no_page_writes_and_every_page_offers_log_out(make_visitor, email):
    seed_demo(echo=lambda *_: None)
    if email == "assistant":
        email = "student7@example.edu"
        membership = db.session.scalar(
            select(Membership).join(User, User.id == Membership.user_id).where(User.email == email)
        )
        membership.role = Role.ASSISTANT
        db.session.commit()
    visitor = make_visitor()
    assert visitor.login(email, DEMO_PASSWORD).status_code == 302

    with count_queries() as statements:
        pages = _walk(visitor, "/courses")
    writes = [s for s in statements if _WRITE.match(s)]
    assert not writes, "GET requests wrote to the database:\n" + "\n".join(writes)

    course_pages = [url for url in pages if url.startswith("/c/hist-3644/")]
    assert len(course_pages) > 15, sorted(pages)
    print(f"{email}: {len(pages)} pages, {len(statements)} statements")
    assert all(status in (200, 302) for status in pages.values()), {u: s for u, s in pages.items() if s >= 400}
    for url, status in pages.items():
        if status == 200:
            page = visitor.client.get(url)
            # Pages, not downloads (the desk's CSVs).
            assert page.mimetype != "text/html" or "Log out" in page.get_data(as_text=True), url


def test_logged_out_visitors_cannot_tell_real_courses_from_made_up_ones(client):
    seed_demo(echo=lambda *_: None)
    real = client.get("/c/hist-3644/")
    made_up = client.get("/c/no-such-course/")
    assert real.status_code == made_up.status_code == 302
    assert real.headers["Location"].replace("hist-3644", "X") == made_up.headers["Location"].replace(
        "no-such-course", "X"
    )
    assert "/login" in real.headers["Location"]
