"""The composer's preview shows the text exactly as it will be published, and never loses or saves what is typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from board.extensions import db
from board.models import Comment, Post
from tests import factories
from tests.posts.test_composer import form_where, forms, send

DATA = Path(__file__).parent.parent / "data"
ORDINARY = [case["markdown"] for case in json.loads((DATA / "markdown_ordinary.json").read_text())]
HOSTILE = [line for line in (DATA / "xss_payloads.txt").read_text().splitlines() if line.strip() and line[0] != "#"]
# Edge cases of their own: nesting, entities, raw HTML, pictures on and off the site, tables, a lone bracket.
TRICKY = [
    "*a **b *c* d** e*",
    "&amp; &copy; &#x41; &bogus;",
    "<details><summary>x</summary>y</details>",
    "![here](/static/favicon.svg) ![there](https://tracker.example/p.png)",
    "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "[" * 50 + "never closed",
    "    indented code <b>\n\n```\nfenced <i>\n```",
    "line  \nbreak\\\nand a backslash",
]
# A body of nothing but spaces cannot be published ("This field is required"), so it has no published HTML to match.
CORPUS = [text for text in ORDINARY + TRICKY + HOSTILE if text.strip()]


def _composer(page: str) -> dict:
    """The page's one form with a body field."""
    [found] = [f for f in forms(page) if "body" in dict(f["fields"])]
    return found


def _preview_panel(page: str, id: str) -> str:
    """The HTML inside a preview panel, as the page shows it."""
    start = page.index(f'id="{id}-preview"')
    body = page.index('<div class="prose preview-body">', start) + len('<div class="prose preview-body">')
    return page[body : page.index("</div>\n  </section>", body)]


@pytest.fixture
def klass(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Stu Student")
    reading = factories.reading(course, title="Gulag memoirs")
    return course, reading, student, make_visitor(student)


def _live_preview(visitor, course, text: str):
    return visitor.post(f"/c/{course.slug}/formatting", {"body": text}, headers={"Accept": "application/json"})


def test_preview_is_the_published_html_for_a_corpus_of_tricky_markdown(klass):
    course, reading, _, visitor = klass
    editor = f"/c/{course.slug}/readings/{reading.id}/respond"
    form = _composer(visitor.get(editor).get_data(as_text=True))
    assert len(CORPUS) > 150
    for n, text in enumerate(CORPUS):
        live = _live_preview(visitor, course, text)
        assert live.status_code == 200 and live.mimetype == "application/json"
        shown = send(visitor, form, editor, title=f"Response {n}", body=text, preview="Preview")
        assert shown.status_code == 200
        published = send(
            visitor, form, editor, title=f"Response {n}", body=text, publish="Publish", submission_key=f"k{n}"
        )
        assert published.status_code == 302, text
        post = db.session.scalar(db.select(Post).where(Post.submission_key == f"k{n}"))
        assert live.get_json()["html"] == post.body_html, text
        # The no-JavaScript preview is the same HTML, placed in the page as it is (it is sanitised already).
        assert _preview_panel(shown.get_data(as_text=True), "body") == post.body_html, text


def test_preview_button_shows_the_form_again_with_everything_typed_and_saves_nothing(klass):
    course, reading, _, visitor = klass
    editor = f"/c/{course.slug}/readings/{reading.id}/respond"
    form = _composer(visitor.get(editor).get_data(as_text=True))
    key = dict(form["fields"])["submission_key"]
    typed = "On *amnesty* and 2 < 3.\n\n> A quotation & more"
    shown = send(visitor, form, editor, title="Returnees & 1956", body=typed, preview="Preview")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    again = dict(_composer(page)["fields"])
    assert again["title"] == "Returnees & 1956" and again["body"] == typed and again["submission_key"] == key
    assert "<em>amnesty</em> and 2 &lt; 3." in _preview_panel(page, "body")
    assert "<blockquote>" in _preview_panel(page, "body")
    assert db.session.scalar(db.select(db.func.count()).select_from(Post).where(Post.kind == "response")) == 0
    # Publishing from the form shown again creates the response, once.
    assert send(visitor, _composer(page), editor, publish="Publish").status_code == 302
    assert db.session.scalar(db.select(Post.title).where(Post.submission_key == key)) == "Returnees & 1956"


def test_comment_and_reply_previews_keep_the_text_in_the_composer_used(klass):
    course, reading, _, visitor = klass
    post = factories.response(course, factories.member(course), reading, title="Thread")
    parent = factories.comment(post, factories.member(course, name="Cal Classmate"), "First!")
    url = f"/c/{course.slug}/posts/{post.id}"
    page = visitor.get(url).get_data(as_text=True)
    assert 'id="comment-preview"' in page and "hidden" in page[page.index('id="comment-preview"') - 40 :][:200]

    shown = send(visitor, form_where(page, id="comment-form"), f"{url}/comments", body="So **true**", preview="Preview")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert dict(form_where(page, id="comment-form")["fields"])["body"] == "So **true**"
    assert _preview_panel(page, "comment") == "<p>So <strong>true</strong></p>\n"

    reply_page = visitor.get(f"/c/{course.slug}/comments/{parent.id}/reply").get_data(as_text=True)
    reply = form_where(reply_page, id="reply-form")
    shown = send(visitor, reply, body="Agreed, *mostly*", preview="Preview")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    composer = form_where(page, id="reply-form")
    assert dict(composer["fields"])["body"] == "Agreed, *mostly*"
    assert dict(composer["fields"])["parent_id"] == str(parent.id)
    assert _preview_panel(page, "reply") == "<p>Agreed, <em>mostly</em></p>\n"
    assert page.index(f'id="comment-{parent.id}"') < page.index('id="reply-preview"')
    assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 1


def test_editing_a_comment_previews_without_saving(klass):
    course, reading, student, visitor = klass
    post = factories.response(course, factories.member(course), reading)
    mine = factories.comment(post, student, "Before")
    url = f"/c/{course.slug}/comments/{mine.id}/edit"
    form = _composer(visitor.get(url).get_data(as_text=True))
    shown = send(visitor, form, url, body="After, ~~struck~~", preview="Preview")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and _preview_panel(page, "body") == "<p>After, <s>struck</s></p>\n"
    assert dict(_composer(page)["fields"])["body"] == "After, ~~struck~~"
    assert factories.reload(mine).body_md == "Before"


def test_formatting_page_previews_without_javascript(klass):
    course, _, _, visitor = klass
    url = f"/c/{course.slug}/formatting"
    page = visitor.get(url).get_data(as_text=True)
    assert "<h1>Formatting help</h1>" in page
    shown = send(visitor, _composer(page), url, body="# Big", preview="Preview")
    assert shown.status_code == 200 and _preview_panel(shown.get_data(as_text=True), "body") == "<h1>Big</h1>\n"


def test_live_preview_refuses_outsiders_forged_requests_and_overlong_text(klass, make_visitor, client):
    course, _, _, visitor = klass
    url = f"/c/{course.slug}/formatting"
    outsider = make_visitor(factories.user())
    assert _live_preview(outsider, course, "x").status_code == 404
    assert client.post(url, data={"body": "x"}).status_code == 400  # no CSRF token
    assert visitor.client.post(url, data={"body": "x"}, headers={"Accept": "application/json"}).status_code == 400
    too_long = _live_preview(visitor, course, "x" * 100_001)
    assert too_long.status_code == 422 and "100000" in too_long.get_json()["error"]


def test_every_composer_has_formatting_help_and_a_live_preview(klass, make_visitor):
    course, reading, student, visitor = klass
    post = factories.response(course, student, reading)
    comment = factories.comment(post, student, "Mine")
    staff = make_visitor(factories.instructor_of(course))
    pages = [
        (visitor, f"/c/{course.slug}/readings/{reading.id}/respond", ["body"]),
        (visitor, f"/c/{course.slug}/posts/{post.id}/edit", ["body"]),
        (visitor, f"/c/{course.slug}/posts/{post.id}", ["comment", "reply"]),
        (visitor, f"/c/{course.slug}/comments/{comment.id}/edit", ["body"]),
        (staff, f"/c/{course.slug}/readings/new", ["body"]),
        (staff, f"/c/{course.slug}/posts/{reading.id}/edit", ["body"]),
    ]
    for person, url, ids in pages:
        page = person.get(url).get_data(as_text=True)
        for id in ids:
            assert f'data-preview="/c/{course.slug}/formatting" data-preview-target="{id}-preview"' in page, (url, id)
            assert f'id="{id}-preview"' in page, (url, id)
        assert 'name="preview" value="Preview"' in page, url
        assert "More formatting help" in page and "<code>**bold**</code>" in page, url


def test_previews_spend_none_of_the_posting_limit(klass, limits):
    course, reading, _, visitor = klass
    limits(POSTING_RATE_LIMIT="1 per minute")
    post = factories.response(course, factories.member(course), reading)
    url = f"/c/{course.slug}/posts/{post.id}"
    form = form_where(visitor.get(url).get_data(as_text=True), id="comment-form")
    for _ in range(3):
        assert send(visitor, form, f"{url}/comments", body="Draft", preview="Preview").status_code == 200
    assert send(visitor, form, f"{url}/comments", body="Posted").status_code == 302
    assert send(visitor, form, f"{url}/comments", body="Again", submission_key="other").status_code == 429
