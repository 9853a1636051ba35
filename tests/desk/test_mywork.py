"""My work: a student's own responses and comments (each with what it answered), checkpoints and released grades,
and the exported HTML file: self-contained, nobody else's writing beyond the parents of their comments, anonymous
classmates anonymous."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from board.desk.models import Grade
from board.extensions import db
from board.markdown import render_markdown
from board.models import Role, Visibility, utcnow
from board.uploads.models import Upload
from board.uploads.storage import get_storage
from tests import factories


@pytest.fixture
def world():
    course = factories.course(factories.user("Iris Instructor"))
    course.allow_anonymous = True
    db.session.commit()
    w = {"course": course, "instructor": factories.instructor_of(course)}
    for name in ("ada", "bo", "cy"):
        w[name] = factories.member(course, Role.STUDENT, f"{name.title()} Student")
    past = utcnow() - timedelta(days=2)
    w["reading"] = factories.reading(
        course, title="Week one reading", due_at=past, reply_due_at=utcnow() + timedelta(days=1), required_replies=2
    )
    w["late_reading"] = factories.reading(course, title="Week two reading", due_at=past, max_points=5.0)
    w["missed_reading"] = factories.reading(course, title="Week three reading", due_at=past)
    w["ada_response"] = factories.response(
        course,
        w["ada"],
        w["reading"],
        title="Ada on week one",
        body="Ada's own words",
        published_at=past - timedelta(hours=1),
    )
    w["ada_late"] = factories.response(course, w["ada"], w["late_reading"], title="Ada late", body="Late words")
    w["bo_response"] = factories.response(
        course, w["bo"], w["reading"], title="Bo's anonymous take", body="Bo's secret body", anonymous=True
    )
    w["cy_response"] = factories.response(
        course, w["cy"], w["reading"], title="Cy on week one", body="Cy's unrelated body"
    )
    w["bo_comment"] = factories.comment(w["ada_response"], w["bo"], "Bo's anonymous question", anonymous=True)
    w["ada_reply"] = factories.comment(
        w["ada_response"], w["ada"], "Ada replies to the question", parent=w["bo_comment"]
    )
    w["ada_on_bo"] = factories.comment(w["bo_response"], w["ada"], "Ada comments on Bo's take")
    w["cy_other"] = factories.comment(w["cy_response"], w["bo"], "Bo talks to Cy, not Ada")
    w["hidden_parent"] = factories.comment(w["cy_response"], w["cy"], "Cy's hidden words", visibility=Visibility.HIDDEN)
    w["ada_to_hidden"] = factories.comment(
        w["cy_response"], w["ada"], "Ada answered a hidden one", parent=w["hidden_parent"]
    )
    w["url"] = f"/c/{course.slug}/my-work"
    return w


def _release(world, reading, student, points, feedback):
    db.session.add(
        Grade(
            course_id=world["course"].id,
            reading_id=reading.id,
            student_id=world[student].id,
            points=points,
            feedback_md=feedback,
            feedback_html=f"<p>{feedback}</p>",
            grader_id=world["instructor"].id,
        )
    )
    db.session.commit()


def test_my_work_lists_own_work_with_context_and_checkpoints(make_visitor, world):
    page = make_visitor(world["ada"]).get(world["url"]).get_data(as_text=True)
    assert "Ada's own words" in page and "Late words" in page
    assert "Ada replies to the question" in page and "Bo's anonymous question" in page  # the reply's parent
    assert "Ada comments on Bo's take" in page and "Bo's secret body" in page  # a top-level comment's post
    assert "Bo Student" not in page  # anonymous classmates stay anonymous
    assert "Anonymous classmate" in page
    assert "Cy's unrelated body" not in page and "Bo talks to Cy" not in page  # not Ada's, not a parent
    assert "Cy's hidden words" not in page and "no longer shown" in page
    assert 'Response: <strong class="status status-on-time">on time</strong>' in page
    assert 'Response: <strong class="status status-late">late</strong>' in page
    assert 'Response: <strong class="status status-missing">missing</strong>' in page
    # Replies to classmates' responses on week one: Ada's comment on Bo's and on Cy's (not the reply on her own).
    assert "Replies to classmates: 2 of 2" in page


def test_unreleased_and_others_grades_are_not_shown(make_visitor, world):
    _release(world, world["late_reading"], "ada", 4.0, "Ada feedback text")
    _release(world, world["late_reading"], "bo", 2.0, "Bo feedback text")
    ada = make_visitor(world["ada"])
    assert "Ada feedback text" not in ada.get(world["url"]).get_data(as_text=True)
    world["late_reading"].grades_released_at = utcnow()
    db.session.commit()
    page = ada.get(world["url"]).get_data(as_text=True)
    assert "Grade: 4 / 5" in page and "Ada feedback text" in page
    assert "Bo feedback text" not in page
    export = ada.get(f"{world['url']}/export").get_data(as_text=True)
    assert "Ada feedback text" in export and "Bo feedback text" not in export


def test_export_is_one_self_contained_html_file_of_own_work_and_parents(make_visitor, world):
    response = make_visitor(world["ada"]).get(f"{world['url']}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="my-work-{world["course"].slug}.html"'
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<style>" in page
    for external in ("<link", "<script", "<img", "src=", "url("):
        assert external not in page, external
    assert "Ada's own words" in page and "Ada replies to the question" in page
    assert "Bo's anonymous question" in page and "Bo's secret body" in page  # parents, for context
    assert "Bo Student" not in page and "Anonymous classmate" in page
    assert "Cy's unrelated body" not in page and "Bo talks to Cy" not in page and "Cy's hidden words" not in page


def test_another_student_sees_only_their_own_work(make_visitor, world):
    page = make_visitor(world["cy"]).get(world["url"]).get_data(as_text=True)
    assert "Cy's unrelated body" in page
    assert "Ada's own words" not in page and "Ada replies" not in page


def test_my_work_is_for_members_only(make_visitor, world):
    outsider = make_visitor(factories.user("Nora Outsider"))
    assert outsider.get(world["url"]).status_code == 404
    assert outsider.get(f"{world['url']}/export").status_code == 404


def test_pictures_are_left_out_of_the_export(make_visitor, world):
    world["ada_response"].body_html = '<p>See <img src="/static/favicon.svg" alt="a chart"> here</p>'
    db.session.commit()
    page = make_visitor(world["ada"]).get(f"{world['url']}/export").get_data(as_text=True)
    assert "[picture: a chart]" in page and "<img" not in page


def _upload(visitor, course, data: bytes, name: str) -> dict:
    sent = visitor.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(data), name)})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    return sent.get_json()


def _png(width: int, height: int, color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def test_own_pictures_are_embedded_in_the_export_and_others_described(make_visitor, world):
    course = world["course"]
    mine = _upload(make_visitor(world["ada"]), course, _png(1200, 800, (200, 30, 30)), "mine.png")
    small = _upload(make_visitor(world["ada"]), course, _png(300, 200, (10, 120, 30)), "small.png")
    theirs = _upload(make_visitor(world["bo"]), course, _png(640, 480, (0, 0, 200)), "theirs.png")
    mine_md = mine["markdown"].replace("![]", "![My chart]")
    small_md = small["markdown"].replace("![]", "![My sketch]")
    ada_response = world["ada_response"]
    ada_response.body_md = f"Ada's own words\n\n{mine_md}\n\n{small_md}"
    # A picture that is not an upload (Markdown makes a link of one from elsewhere; this one is on the site).
    ada_response.body_html = render_markdown(ada_response.body_md) + '<img src="/static/favicon.svg" alt="A logo">'

    bo_comment = world["bo_comment"]  # the parent of Ada's reply: shown for context, its picture described
    bo_comment.body_md = f"Bo's anonymous question\n\n{theirs['markdown'].replace('![]', '![Bo drew this]')}"
    bo_comment.body_html = render_markdown(bo_comment.body_md)
    db.session.commit()

    page = make_visitor(world["ada"]).get(f"{world['url']}/export").get_data(as_text=True)

    uploads = {u.token: u for u in db.session.scalars(select(Upload))}
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(sources) == 2 and all(src.startswith("data:image/png;base64,") for src in sources)
    big, little = (uploads[re.search(r"/uploads/([^/]+)/", u["url"]).group(1)] for u in (mine, small))
    storage = get_storage()
    # The widest smaller copy the reading column needs (960 of 1200 pixels); a small picture as it is.
    assert base64.b64decode(sources[0].split(",", 1)[1]) == storage.get(big.variants[-1][2])
    assert big.variants[-1][0] == 960
    assert base64.b64decode(sources[1].split(",", 1)[1]) == storage.get(little.key)
    assert 'alt="My chart"' in page and 'width="1200"' in page
    for attribute in ("srcset=", "sizes=", "loading=", "/uploads/", "/static/"):
        assert attribute not in page, attribute
    assert "[picture: A logo]" in page and "[picture: Bo drew this]" in page
    for external in ("<link", "<script", "url("):
        assert external not in page, external


def test_an_own_picture_whose_bytes_are_gone_is_described(make_visitor, world):
    course = world["course"]
    mine = _upload(make_visitor(world["ada"]), course, _png(300, 200, (1, 2, 3)), "mine.png")
    world["ada_response"].body_md = mine["markdown"].replace("![]", "![Lost one]")
    world["ada_response"].body_html = render_markdown(world["ada_response"].body_md)
    db.session.commit()
    get_storage().delete(db.session.scalar(select(Upload.key)))

    page = make_visitor(world["ada"]).get(f"{world['url']}/export").get_data(as_text=True)
    assert "[picture: Lost one]" in page and "<img" not in page
