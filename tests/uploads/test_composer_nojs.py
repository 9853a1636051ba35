"""A picture or file sent with a composer's form, as a browser without JavaScript sends it: its Markdown joins the
text, a picture without a description is refused until it has one (the upload kept), a refused file brings the form
back with everything typed, and forms that take no file keep the small request limit."""

from __future__ import annotations

import html
import io
import re

from board.extensions import db
from board.models import Comment, Post
from board.uploads.models import Upload
from tests import factories

from .test_uploads import klass, pdf, png  # noqa: F401 (klass is a fixture)

PICTURE = re.compile(r"!\[A red square\]\((/c/[^/]+/uploads/[\w-]+/image\.png)#1200x800\)")
UNDESCRIBED = re.compile(r"!\[\]\((/c/[^/]+/uploads/[\w-]+/image\.png)#1200x800\)")


def _with_file(data: bytes, name: str, alt: str = "", **fields) -> dict:
    return {**fields, "attachment": (io.BytesIO(data), name), "attachment_alt": alt}


def _textarea(page: str, field_id: str = "body") -> str:
    match = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, f"no textarea #{field_id}"
    return re.sub(r"^\r?\n", "", html.unescape(match.group(1)))


def _respond(visitor, course, reading, **fields):
    return visitor.post(f"/c/{course.slug}/readings/{reading.id}/respond", fields)


def _post_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/posts/(\d+)", response.headers["Location"]).group(1))


# Sent with its description: published, and a classmate who may see the post fetches the picture. -------------------


def test_a_response_with_a_described_picture_publishes_and_a_classmate_sees_it(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada, bo = make_visitor(people["ada"]), make_visitor(people["bo"])
    sent = _respond(
        ada,
        course,
        reading,
        **_with_file(png(), "holiday.png", "A red square", title="With a picture", body="Here it is.", publish="1"),
    )
    post = db.session.get(Post, _post_id(sent))
    assert post.is_published and post.body_md.startswith("Here it is.\n\n![A red square](")
    url = PICTURE.search(post.body_md).group(1)
    page = bo.get(f"/c/{course.slug}/posts/{post.id}").get_data(as_text=True)
    assert f'<img alt="A red square" src="{url}"' in page or ('alt="A red square"' in page and url in page)
    assert bo.get(url).status_code == 200


def test_a_comment_with_a_described_picture_posts_and_a_classmate_sees_it(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada, bo = make_visitor(people["ada"]), make_visitor(people["bo"])
    sent = ada.post(
        f"/c/{course.slug}/posts/{reading.id}/comments",
        _with_file(png(), "holiday.png", "A red square", body="Look at this."),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    comment = db.session.query(Comment).one()
    url = PICTURE.search(comment.body_md).group(1)
    assert comment.body_md.startswith("Look at this.\n\n")
    assert bo.get(url).status_code == 200


def test_a_reply_and_a_comment_edit_take_a_file_too(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada, bo = make_visitor(people["ada"]), make_visitor(people["bo"])
    parent = factories.comment(reading, people["bo"], "A question")
    sent = ada.post(
        f"/c/{course.slug}/posts/{reading.id}/comments",
        _with_file(pdf(), "notes.pdf", body="My notes.", parent_id=str(parent.id)),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    reply = db.session.query(Comment).filter(Comment.parent_id == parent.id).one()
    link = re.search(r"\[notes\.pdf\]\((/c/[^)]+/file\.pdf)\)", reply.body_md)
    assert link and bo.get(link.group(1)).status_code == 200  # a file needs no description

    edited = ada.post(
        f"/c/{course.slug}/comments/{reply.id}/edit",
        _with_file(png(), "holiday.png", "A red square", body=reply.body_md),
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    assert PICTURE.search(factories.reload(reply).body_md)


def test_an_instructor_puts_a_picture_in_a_reading(klass, make_visitor):  # noqa: F811
    course, people, _ = klass
    iris, bo = make_visitor(people["iris"]), make_visitor(people["bo"])
    sent = iris.post(
        f"/c/{course.slug}/readings/new",
        _with_file(png(), "map.png", "A red square", title="Maps", body="The camps on a map.", publish="1"),
    )
    post = db.session.get(Post, _post_id(sent))
    assert bo.get(PICTURE.search(post.body_md).group(1)).status_code == 200


# A picture without a description: kept, put in the text, and nothing published until it is described. --------------


def test_a_picture_without_a_description_is_kept_in_the_text_and_nothing_is_published(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada, bo = make_visitor(people["ada"]), make_visitor(people["bo"])
    typed = "My long argument,\nwith two lines."
    refused = _respond(ada, course, reading, **_with_file(png(), "holiday.png", title="Mine", body=typed, publish="1"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Describe the picture for someone who cannot see it" in page
    text = _textarea(page)
    assert text.startswith(typed + "\n\n![](")
    url = UNDESCRIBED.search(text).group(1)
    assert 'value="Mine"' in page
    assert db.session.query(Post).filter(Post.reading_id == reading.id).count() == 0
    assert db.session.query(Upload).count() == 1 and ada.get(url).status_code == 200 and bo.get(url).status_code == 404

    # Sent again as it came back: still no description, still refused; described, it publishes.
    again = _respond(ada, course, reading, title="Mine", body=text, publish="1")
    assert again.status_code == 422 and "Describe the picture" in again.get_data(as_text=True)
    described = text.replace("![](", "![A red square](")
    post = db.session.get(Post, _post_id(_respond(ada, course, reading, title="Mine", body=described, publish="1")))
    assert PICTURE.search(post.body_md) and bo.get(url).status_code == 200
    assert db.session.query(Upload).count() == 1


def test_a_comment_picture_without_a_description_posts_nothing(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    refused = ada.post(f"/c/{course.slug}/posts/{reading.id}/comments", _with_file(png(), "a.png", body="Look."))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Describe the picture" in page and UNDESCRIBED.search(_textarea(page))
    assert db.session.query(Comment).count() == 0


def test_a_draft_may_keep_a_picture_to_describe_later(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    refused = _respond(ada, course, reading, **_with_file(png(), "a.png", title="Mine", body="Later.", save_draft="1"))
    assert refused.status_code == 422  # the picture just sent is asked about, whatever the button
    text = _textarea(refused.get_data(as_text=True))
    draft = _respond(ada, course, reading, title="Mine", body=text, save_draft="1")
    assert not db.session.get(Post, _post_id(draft)).is_published  # a draft already holding it may wait


def test_preview_with_a_file_shows_it_and_saves_nothing(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    shown = _respond(
        ada, course, reading, **_with_file(png(), "a.png", "A red square", title="Mine", body="Hi.", preview="Preview")
    )
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert PICTURE.search(_textarea(page)) and 'alt="A red square"' in page
    assert db.session.query(Post).filter(Post.reading_id == reading.id).count() == 0

    # Its preview with a picture to describe, or a refused file, says so under the text and saves nothing either.
    asked = _respond(ada, course, reading, **_with_file(png(), "a.png", title="Mine", body="Hi.", preview="Preview"))
    assert asked.status_code == 200 and "Describe the picture" not in asked.get_data(as_text=True)  # shown, not asked
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    refused = _respond(ada, course, reading, **_with_file(svg, "a.svg", title="Mine", body="Hi.", preview="Preview"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "SVG" in page and _textarea(page) == "Hi."
    assert db.session.query(Post).filter(Post.reading_id == reading.id).count() == 0


# Refused files: the form again, with the reason and everything typed; nothing saved. -------------------------------


def test_a_refused_file_brings_the_form_back_with_the_text(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    typed = "Every word of this stays."
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = _respond(
        ada, course, reading, **_with_file(svg, "drawing.svg", "x", title="Mine", body=typed, publish="1")
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "SVG" in page and _textarea(page) == typed and 'value="Mine"' in page
    assert 'aria-invalid="true"' in page and '<details class="attach-plain" open>' in page
    assert db.session.query(Post).filter(Post.reading_id == reading.id).count() == 0
    assert db.session.query(Upload).count() == 0


def test_a_file_too_large_brings_the_comment_back(klass, make_visitor, app, monkeypatch):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    monkeypatch.setitem(app.config, "UPLOADS_MAX_FILE_BYTES", 1000)
    refused = ada.post(
        f"/c/{course.slug}/posts/{reading.id}/comments", _with_file(png(), "big.png", "A red square", body="Kept.")
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "larger than" in page and _textarea(page) == "Kept."
    assert db.session.query(Comment).count() == 0 and db.session.query(Upload).count() == 0


# Request limits and refusals of the whole form. ---------------------------------------------------------------------


def _multipart(fields: dict[str, str], boundary: str = "board-test-boundary") -> tuple[bytes, str]:
    """A multipart body built here: the test client would spool a large one to a temporary file it never closes
    when the app refuses the body unread."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def test_forms_that_take_no_file_keep_the_two_megabyte_limit(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    big = "x" * (3 * 1024 * 1024)
    body, content_type = _multipart({"csrf_token": ada.csrf_token("/courses"), "body": big})
    preview = ada.client.post(f"/c/{course.slug}/formatting", data=body, content_type=content_type)
    assert preview.status_code == 413  # multipart, but not a form that takes a file
    plain = ada.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": big})
    assert plain.status_code == 413  # a composer sent without a file (urlencoded) keeps the small limit too


def test_a_stale_token_on_a_form_with_a_file_keeps_the_text(klass, make_visitor):  # noqa: F811
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    refused = ada.client.post(
        f"/c/{course.slug}/posts/{reading.id}/comments",
        data={"csrf_token": "stale", **_with_file(png(), "a.png", "A red square", body="My words.")},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "refused-form" in page and "My words." in page
    assert "Not kept: a.png" in page  # a file cannot be carried in the form sent again: it says so
    assert db.session.query(Upload).count() == 0
