"""A corpus of XSS payloads (tests/data/xss_payloads.txt) written through every user-text field, then every page that
shows them opened in Chromium: no dialog may open, no script may run, no element the payloads try to inject may exist.

Each payload goes, through the real forms, into: a course's title, code, term and description; a reading's title,
body, source, discussion prompt and week; a response's title and body; a comment; a student's display name; an award
type's name and description; an award's note; a report's reason; a hide reason. The instructor, who sees the most
(held and hidden items, reports, the audit log), then opens the dashboard, every course home, every reading and the
course's lists, with the browser listening for dialogs and for Content Security Policy violations (an injected script
or handler that got past the sanitiser). About 90 s on 2 busy cores: most of it is the 1,300 form posts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import AwardType, Comment, Course
from tests import factories

pytestmark = pytest.mark.browser

PAYLOADS = [
    line
    for line in (Path(__file__).parent.parent / "data" / "xss_payloads.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

# Run in the page after load: anything here was injected (Board's own pages have none of it).
_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value.trim().toLowerCase();
      if (name.startsWith('on')) found.push(`${el.tagName} ${name}`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'srcdoc'].includes(name)
          && /^(javascript|vbscript|data):/.test(value.replace(/[\\s\\x00-\\x1f]/g, ''))) found.push(`${el.tagName} ${name}=${value}`);
      if (name === 'style' || name === 'target') found.push(`${el.tagName} ${name}`);
      // Board's own buttons post the page's one shared form ("acts") to their own address; none live in user text.
      if (name === 'formaction' && (el.closest('.prose') || el.getAttribute('form') !== 'acts'))
        found.push(`${el.tagName} ${name}`);
      if (name === 'id' && value.startsWith('xss')) found.push(`#${value}`);
    }
    const tag = el.tagName.toLowerCase();
    // Board's own per-reader rule (the "New" marks) sits in <head> and carries this response's CSP nonce.
    if (tag === 'style' && el.parentElement === document.head && el.nonce) continue;
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'base', 'style', 'math', 'video', 'audio', 'source',
         'marquee', 'isindex', 'keygen', 'template', 'xmp', 'plaintext', 'listing', 'noembed'].includes(tag))
      found.push(tag);
    if (tag === 'meta' && el.hasAttribute('http-equiv')) found.push('meta http-equiv');
    if (tag === 'script' && !(el.getAttribute('src') || '').startsWith('/static/')) found.push('inline script');
    // Board's own pictures: award badges, and the header's icons (no user text reaches the header's markup).
    if (tag === 'svg' && !el.classList.contains('badge') && !(el.classList.contains('icon') && el.closest('.site-header')))
      found.push('svg');
    if (tag === 'img' && new URL(el.src, location.href).origin !== location.origin) found.push(`img ${el.src}`);
    if (tag === 'input' && el.name === 'csrf_token' && el.value.startsWith('stolen')) found.push('csrf input');
  }
  return found.concat(window.__violations || []);
}"""

_RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(`CSP ${e.violatedDirective}`));
"""


def _write_everything(make_visitor) -> tuple[Course, list[str]]:
    """Every payload through every field; returns the course and the URLs that show them."""
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    slug = course.slug
    reporter = make_visitor(factories.member(course))
    urls = ["/courses", f"/c/{slug}/", f"/c/{slug}/moderation", f"/c/{slug}/awards", f"/c/{slug}/awards/types"]
    urls += [f"/c/{slug}/audit", f"/c/{slug}/roster"]
    for n, payload in enumerate(PAYLOADS):
        short = payload[:40]
        assert (
            instructor.post(
                "/courses/new", {"title": payload, "code": short, "term": payload[:60], "description": payload}
            ).status_code
            == 302
        )
        reading_page = instructor.post(
            f"/c/{slug}/readings/new",
            {
                "title": payload,
                "body": payload,
                "source": payload,
                "prompt": payload,
                "week": payload[:60],
                "timezone": "UTC",
                "unlock_min_words": "0",
                "publish": "Publish",
            },
        )
        assert reading_page.status_code == 302, payload
        reading_id = int(reading_page.headers["Location"].rsplit("/", 1)[1])
        student = make_visitor(factories.member(course))
        assert student.post("/account", {"which": "profile", "profile-display_name": payload}).status_code == 302
        response_page = student.post(
            f"/c/{slug}/readings/{reading_id}/respond", {"title": payload, "body": payload, "publish": "Publish"}
        )
        assert response_page.status_code == 302, payload
        response_id = int(response_page.headers["Location"].rsplit("/", 1)[1])
        assert student.post(f"/c/{slug}/posts/{reading_id}/comments", {"body": payload}).status_code == 302
        comment_id = db.session.scalar(db.select(Comment.id).where(Comment.post_id == reading_id))
        assert reporter.post(f"/c/{slug}/comments/{comment_id}/report", {"reason": payload}).status_code == 302
        assert (
            instructor.post(
                f"/c/{slug}/awards/types", {"name": payload, "description": payload, "badge": "star"}
            ).status_code
            == 302
        )
        type_id = db.session.scalar(
            db.select(AwardType.id).where(AwardType.course_id == course.id).order_by(AwardType.id.desc())
        )
        assert (
            instructor.post(
                f"/c/{slug}/posts/{reading_id}/awards", {"award_type_id": type_id, "note": payload}
            ).status_code
            == 302
        )
        assert instructor.post(f"/c/{slug}/posts/{response_id}/hide", {"reason": payload}).status_code == 302
        # The response's body goes through the same renderer and template as the reading's: its page is not opened.
        urls.append(f"/c/{slug}/posts/{reading_id}")
    db.session.expire_all()
    for other in db.session.scalars(db.select(Course).where(Course.id != course.id)):
        urls.append(f"/c/{other.slug}/")
    return course, urls


def _open_all(page: Page, urls: list[str]) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"), dialog.dismiss()))
    page.add_init_script(_RECORD_VIOLATIONS)
    problems = []
    for url in urls:
        page.goto(url)
        problems += [f"{url}: {found}" for found in page.evaluate(_INJECTED)]
        problems += [f"{url}: dialog {d}" for d in dialogs]
        dialogs.clear()
    return problems


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_no_payload_runs_or_injects_anything(new_page, make_visitor):
    assert len(PAYLOADS) >= 100 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert all(len(payload) <= 80 for payload in PAYLOADS)
    course, urls = _write_everything(make_visitor)
    page = new_page()
    _log_in(page, factories.instructor_of(course).email)
    problems = _open_all(page, urls)
    assert not problems, "\n".join(problems[:50])
