"""Uploads through the app: a composer's file goes in, comes back as Markdown, and is served only to those who may
see a post or comment that holds it (held, hidden, deleted, draft and gated posts keep theirs to themselves)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from board.extensions import db
from board.models import Membership, Role, Visibility
from board.uploads.models import Upload, UploadRef
from tests import factories


def png(width: int = 1200, height: int = 800, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Ada Lovelace"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(visitor, course, data: bytes, name: str):
    return visitor.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(data), name)})


@pytest.fixture
def klass(app):
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    people = {
        "iris": factories.instructor_of(course),
        "ada": factories.member(course, Role.STUDENT, "Ada Lovelace"),
        "bo": factories.member(course, Role.STUDENT, "Bo Chen"),
        "tom": factories.member(course, Role.ASSISTANT, "Tom Assistant"),
    }
    reading = factories.reading(course, title="The reading")
    return course, people, reading


def _publish_with(visitor, course, reading, markdown: str, **extra):
    page = visitor.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "With a picture", "body": f"Here it is.\n\n{markdown}\n", "publish": "1", **extra},
    )
    assert page.status_code == 302, page.get_data(as_text=True)[:2000]
    return int(re.search(r"/posts/(\d+)", page.headers["Location"]).group(1))


def test_a_picture_goes_in_as_markdown_and_shows_to_classmates_once_published(klass, make_visitor):
    course, people, reading = klass
    ada, bo = make_visitor(people["ada"]), make_visitor(people["bo"])
    sent = upload(ada, course, png(), "holiday.png")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    body = sent.get_json()
    assert body["kind"] == "image" and body["width"] == 1200 and body["height"] == 800
    url = body["url"]
    assert url.startswith(f"/c/{course.slug}/uploads/") and "holiday" not in url  # the URL never carries a file name
    assert body["markdown"] == f"![]({url}#1200x800)"

    mine = ada.get(url)
    assert mine.status_code == 200 and mine.mimetype == "image/png"
    assert mine.headers["Cache-Control"] == "private, no-cache" and mine.headers["X-Content-Type-Options"] == "nosniff"
    assert ada.get(url, headers={"If-None-Match": mine.headers["ETag"]}).status_code == 304
    assert bo.get(url).status_code == 404, "nothing holds it yet: only its uploader sees it"

    post_id = _publish_with(ada, course, reading, body["markdown"].replace("![]", "![A red square]"))
    assert bo.get(url).status_code == 200
    page = bo.get(f"/c/{course.slug}/posts/{post_id}").get_data(as_text=True)
    assert f'src="{url}"' in page and 'alt="A red square"' in page and 'width="1200"' in page
    assert f"{url}?w=480 480w" in page and 'loading="lazy"' in page
    smaller = bo.get(f"{url}?w=480")
    assert smaller.status_code == 200 and Image.open(io.BytesIO(smaller.data)).size == (480, 320)


def test_the_same_file_twice_is_stored_once_under_two_tokens(klass, make_visitor, app):
    # One token for both would tie a named comment to an anonymous response holding the same picture.
    course, people, _ = klass
    ada = make_visitor(people["ada"])
    first = upload(ada, course, png(), "a.png").get_json()
    second = upload(ada, course, png(), "b.png").get_json()
    assert first["url"] != second["url"]
    rows = db.session.query(Upload).all()
    assert len(rows) == 2 and rows[0].key == rows[1].key
    stored = [p for p in (Path(app.instance_path) / "uploads").rglob("*") if p.is_file() and p.name == rows[0].key[3:]]
    assert len(stored) == 1


def test_a_files_link_text_is_its_type_where_posts_may_be_anonymous(klass, make_visitor):
    course, people, _ = klass
    ada = make_visitor(people["ada"])
    assert upload(ada, course, pdf(), "Ada_Lovelace_essay.pdf").get_json()["markdown"].startswith("[Ada_Lovelace_essay")
    course.allow_anonymous = True
    db.session.commit()
    sent = upload(ada, course, pdf(), "Ada_Lovelace_essay.pdf").get_json()
    assert sent["markdown"] == f"[PDF file]({sent['url']})"


def test_uploads_have_their_own_rate_limit_whatever_the_form_says(klass, make_visitor, limits):
    course, people, _ = klass
    limits(UPLOAD_RATE_LIMIT="2 per minute")
    ada = make_visitor(people["ada"])
    sent = [
        ada.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(png()), "a.png"), "preview": "1"}) for _ in range(3)
    ]
    assert [r.status_code for r in sent] == [201, 201, 429]
    assert "faster than Board allows" in sent[2].get_json()["error"] and sent[2].headers["Retry-After"] == "60"
    comment = ada.post(f"/c/{course.slug}/posts/{klass[2].id}/comments", {"body": "Still free to comment."})
    assert comment.status_code == 302, "uploads do not spend posting's budget"


def test_odd_widths_and_names_are_not_errors(klass, make_visitor):
    course, people, _ = klass
    ada = make_visitor(people["ada"])
    url = upload(ada, course, png(), "a.png").get_json()["url"]
    for query in ("?w=abc", "?w=" + "9" * 5000, "?w=-1", "?w=480&w=960", "?w=١٢"):
        assert ada.get(url + query).status_code == 200, query
    assert ada.get(url.rsplit("/", 1)[0] + "/other-name.png").status_code == 200
    assert ada.get(f"/c/{course.slug}/uploads/short/image.png").status_code == 404


def test_staff_still_see_the_pictures_of_a_post_its_author_deleted(klass, make_visitor):
    course, people, _, post, url = _setup_post(klass, make_visitor)
    deleted = make_visitor(people["ada"]).post(f"/c/{course.slug}/posts/{post.id}/delete")
    assert deleted.status_code == 302 and factories.reload(post).deleted_at is not None
    assert make_visitor(people["iris"]).get(f"/c/{course.slug}/posts/{post.id}").status_code == 200
    assert make_visitor(people["iris"]).get(url).status_code == 200
    assert make_visitor(people["bo"]).get(url).status_code == 404


# The test client spools a body this large to a temporary file of its own, which a refused request never closes.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_large_body_is_read_only_for_the_signed_in(klass, client, make_visitor):
    course, people, _ = klass
    big = {"file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.txt")}
    assert client.post(f"/c/{course.slug}/uploads", data=big).status_code == 413  # logged out: the small limit
    many = {f"field{i}": "x" for i in range(60)}
    ada = make_visitor(people["ada"])
    assert ada.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(png()), "a.png"), **many}).status_code == 413


def _setup_post(klass, make_visitor, **response_fields):
    course, people, reading = klass
    ada = make_visitor(people["ada"])
    url = upload(ada, course, png(), "p.png").get_json()["url"]
    post = factories.response(course, people["ada"], reading, body=f"![A square]({url})", **response_fields)
    return course, people, reading, post, url


@pytest.mark.parametrize(
    ("fields", "classmate", "staff"),
    [
        ({}, 200, 200),
        ({"visibility": Visibility.HELD}, 404, 200),
        ({"visibility": Visibility.HIDDEN}, 404, 200),
        ({"published": False}, 404, 404),
    ],
    ids=["visible", "held", "hidden", "draft"],
)
def test_an_upload_follows_its_post(klass, make_visitor, fields, classmate, staff):
    _course, people, _, _post, url = _setup_post(klass, make_visitor, **fields)
    assert make_visitor(people["ada"]).get(url).status_code == 200
    assert make_visitor(people["bo"]).get(url).status_code == classmate
    assert make_visitor(people["tom"]).get(url).status_code == staff
    assert make_visitor(people["iris"]).get(url).status_code == staff


def test_a_deleted_post_takes_its_upload_with_it(klass, make_visitor):
    _course, people, _, post, url = _setup_post(klass, make_visitor)
    bo = make_visitor(people["bo"])
    assert bo.get(url).status_code == 200
    post.deleted_at = factories.utcnow()
    db.session.commit()
    assert bo.get(url).status_code == 404


def test_the_gate_keeps_uploads_of_responses_locked(klass, make_visitor):
    course, people, reading = klass
    reading.responses_hidden_until_posted = True
    db.session.commit()
    _, _, _, _, url = _setup_post(klass, make_visitor)
    bo = make_visitor(people["bo"])
    assert bo.get(url).status_code == 404
    factories.response(course, people["bo"], reading, body="My own response, which unlocks the others.")
    assert bo.get(url).status_code == 200


def test_strangers_other_courses_logged_out_and_removed_members_get_404(klass, make_visitor, client):
    course, people, _, _, url = _setup_post(klass, make_visitor)
    other = factories.course(factories.user("Olga Other", email="olga@example.edu"))
    olga = factories.instructor_of(other)
    assert make_visitor(olga).get(url).status_code == 404
    assert make_visitor(olga).get(url.replace(course.slug, other.slug)).status_code == 404
    assert client.get(url).status_code == 404
    bo = make_visitor(people["bo"])
    assert bo.get(url).status_code == 200
    db.session.query(Membership).filter_by(user_id=people["bo"].id).delete()
    db.session.commit()
    assert bo.get(url).status_code == 404


def test_pasting_a_classmates_picture_url_does_not_make_it_visible(klass, make_visitor):
    course, people, reading = klass
    url = upload(make_visitor(people["ada"]), course, png(), "p.png").get_json()["url"]
    held = factories.response(course, people["ada"], reading, body=f"![x]({url})", visibility=Visibility.HELD)
    factories.response(course, people["bo"], reading, body=f"Look: ![x]({url})")
    assert make_visitor(factories.member(course, Role.STUDENT, "Cy Young")).get(url).status_code == 404
    assert held.id


def test_an_edit_that_drops_a_picture_keeps_it_for_the_author_and_staff_only(klass, make_visitor):
    course, people, _, post, url = _setup_post(klass, make_visitor)
    ada = make_visitor(people["ada"])
    edited = ada.post(f"/c/{course.slug}/posts/{post.id}/edit", {"title": post.title, "body": "No picture now."})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:1500]
    [ref] = db.session.query(UploadRef).all()
    assert ref.current is False
    assert make_visitor(people["bo"]).get(url).status_code == 404
    assert make_visitor(people["iris"]).get(url).status_code == 200
    assert ada.get(url).status_code == 200


def test_a_file_is_a_download_named_for_the_file_unless_its_post_is_anonymous(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    db.session.commit()
    ada = make_visitor(people["ada"])
    sent = upload(ada, course, pdf(), "Ada_Lovelace_essay.pdf").get_json()
    assert sent["kind"] == "file" and sent["markdown"] == f"[PDF file]({sent['url']})"
    post = factories.response(course, people["ada"], reading, body=f"[essay]({sent['url']})")
    got = make_visitor(people["bo"]).get(sent["url"])
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert (
        got.headers["Content-Disposition"].startswith("attachment")
        and "Ada_Lovelace_essay.pdf" in got.headers["Content-Disposition"]
    )
    assert b"Ada Lovelace" not in got.data
    post.anonymous = True
    db.session.commit()
    got = make_visitor(people["bo"]).get(sent["url"])
    assert "Ada" not in got.headers["Content-Disposition"] and "file.pdf" in got.headers["Content-Disposition"]


def test_refusals_are_clear_json_and_store_nothing(klass, make_visitor, app, monkeypatch):
    course, people, _ = klass
    ada = make_visitor(people["ada"])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = upload(ada, course, svg, "drawing.svg")
    assert refused.status_code == 422 and "SVG" in refused.get_json()["error"]
    html = upload(ada, course, b"<html><script>alert(1)</script></html>", "photo.jpg")
    assert html.status_code == 422
    monkeypatch.setitem(app.config, "UPLOADS_MAX_FILE_BYTES", 1000)
    big = upload(ada, course, png(), "big.png")
    assert big.status_code == 422 and "larger than" in big.get_json()["error"]
    monkeypatch.setitem(app.config, "UPLOADS_MAX_FILE_BYTES", 20 * 1024 * 1024)
    monkeypatch.setitem(app.config, "UPLOADS_PERSON_QUOTA_BYTES", 5000)
    noise = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30000)).save(noise, format="PNG")  # incompressible: ~30 KB
    over = upload(ada, course, noise.getvalue(), "a.png")
    assert over.status_code == 422 and "would pass" in over.get_json()["error"]
    assert db.session.query(Upload).count() == 0
    no_token = ada.client.post(f"/c/{course.slug}/uploads", data={"file": (io.BytesIO(png()), "a.png")})
    assert no_token.status_code == 400
