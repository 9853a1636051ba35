"""`export-course` and `import-course` for a course with uploads: the export is a zip archive (course.json, the
uploads' manifest, their files), the import gives the uploads new tokens and rewrites the URLs that name them, and
the round trip keeps every file byte for byte. A course without uploads still exports as plain JSON."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from board.extensions import db
from board.importing import course_uploads
from board.models import Comment, Course, Post, PostRevision, Role
from board.uploads.models import Upload, UploadRef
from board.uploads.storage import content_key
from tests import factories
from tests.conftest import _empty_tables
from tests.uploads.test_uploads import pdf, png, upload

TOKEN = re.compile(r"/uploads/([A-Za-z0-9_-]{22})/")


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(arg) for arg in args])


@pytest.fixture
def klass(app, make_visitor):
    """A course whose student posted a picture, linked a PDF in a comment, and edited a second picture out of a
    post (so only its earlier version names it)."""
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"), slug="art-101")
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    reading = factories.reading(course, title="The reading")
    visitor = make_visitor(ada)
    picture = _markdown(visitor, course, png(1200, 800), "holiday.png")
    notes = _markdown(visitor, course, pdf(), "notes.pdf")
    dropped = _markdown(visitor, course, png(600, 400, (0, 90, 200)), "dropped.png")
    post = factories.response(course, ada, reading, title="With a picture", body=f"Look:\n\n{picture}\n")
    factories.comment(post, ada, f"My notes: {notes}")
    edited = factories.response(course, ada, reading, title="Edited", body=f"Before:\n\n{dropped}\n")
    assert (
        visitor.post(f"/c/{course.slug}/posts/{edited.id}/edit", {"title": "Edited", "body": "After."}).status_code
        == 302
    )
    assert db.session.scalar(select(UploadRef.current).where(UploadRef.post_id == edited.id)) is False
    return course, {"ada": ada, "bo": bo}


def _markdown(visitor, course, data: bytes, name: str) -> str:
    sent = upload(visitor, course, data, name)
    assert sent.status_code == 201, sent.get_data(as_text=True)
    return sent.get_json()["markdown"]


def _export(run, slug: str, path: Path) -> zipfile.ZipFile:
    result = run("export-course", slug, "-o", path)
    assert result.exit_code == 0, result.output
    assert "a zip archive" in result.stderr
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def _contents(archive: zipfile.ZipFile) -> tuple[dict, list[dict], dict[str, bytes]]:
    return course_uploads.unpack(_bytes(archive))


def _bytes(archive: zipfile.ZipFile) -> bytes:
    archive.fp.seek(0)
    return archive.fp.read()


def _without_tokens(course_json: dict, manifest: list[dict]) -> str:
    """course.json's text with each upload's token replaced by its place in the manifest."""
    text = json.dumps(course_json, sort_keys=True)
    for index, item in enumerate(manifest):
        text = text.replace(item["token"], f"upload-{index}")
    return text


def test_a_course_with_uploads_exports_as_an_archive_of_its_json_manifest_and_files(run, klass, tmp_path):
    course, _ = klass
    archive = _export(run, course.slug, tmp_path / "course.zip")

    data, manifest, files = _contents(archive)
    assert data["format"] == "board-course/1" and data["course"]["slug"] == "art-101"
    ada = klass[1]["ada"].email
    assert [(item["kind"], item["name"], item["uploader"]) for item in manifest] == [
        ("image", "holiday.png", ada),
        ("file", "notes.pdf", ada),
        ("image", "dropped.png", ada),
    ]
    picture = manifest[0]
    assert (picture["width"], picture["height"]) == (1200, 800) and len(picture["variants"]) == 2
    assert set(files) == {key for item in manifest for key in [item["key"], *(v[2] for v in item["variants"])]}
    assert all(content_key(data) == key for key, data in files.items())
    assert archive.namelist()[:2] == ["course.json", "uploads.json"]


def test_a_course_without_uploads_still_exports_as_plain_json(run, app, tmp_path):
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"), slug="plain-101")
    factories.reading(course, title="The reading")
    path = tmp_path / "course.json"
    assert run("export-course", course.slug, "-o", path).exit_code == 0
    assert json.loads(path.read_text(encoding="utf-8"))["course"]["slug"] == "plain-101"


def test_import_under_a_new_slug_gives_new_tokens_rewrites_urls_and_classmates_see_the_picture(
    run, klass, tmp_path, make_visitor
):
    course, people = klass
    path = tmp_path / "course.zip"
    _, manifest, files = _contents(_export(run, course.slug, path))

    result = run("import-course", path, "--slug", "art-101-copy")

    assert result.exit_code == 0, result.output
    assert "Imported art-101-copy with 3 posts." in result.output
    copy = db.session.scalar(select(Course).where(Course.slug == "art-101-copy"))
    uploads = db.session.scalars(select(Upload).where(Upload.course_id == copy.id).order_by(Upload.id)).all()
    assert [u.name for u in uploads] == ["holiday.png", "notes.pdf", "dropped.png"]
    assert not {u.token for u in uploads} & {item["token"] for item in manifest}, "new tokens"
    picture, notes, dropped = uploads

    post = db.session.scalar(select(Post).where(Post.course_id == copy.id, Post.title == "With a picture"))
    assert f"/c/art-101-copy/uploads/{picture.token}/image.png#1200x800" in post.body_md
    assert f"/c/art-101-copy/uploads/{picture.token}/image.png" in post.body_html
    comment = db.session.scalar(select(Comment).where(Comment.course_id == copy.id))
    assert f"/c/art-101-copy/uploads/{notes.token}/file.pdf" in comment.body_md
    edited = db.session.scalar(select(Post).where(Post.course_id == copy.id, Post.title == "Edited"))
    [revision] = db.session.scalars(select(PostRevision).where(PostRevision.post_id == edited.id)).all()
    assert dropped.token in revision.body_md
    refs = {
        (ref.upload_id, ref.post_id, ref.comment_id, ref.current)
        for ref in db.session.scalars(select(UploadRef).where(UploadRef.upload_id.in_([u.id for u in uploads])))
    }
    assert refs == {
        (picture.id, post.id, None, True),
        (notes.id, comment.post_id, comment.id, True),
        (dropped.id, edited.id, None, False),
    }

    bo = make_visitor(people["bo"])
    fetched = bo.get(f"/c/art-101-copy/uploads/{picture.token}/image.png")
    assert fetched.status_code == 200 and fetched.data == files[manifest[0]["key"]]
    assert bo.get(f"/c/art-101-copy/uploads/{picture.token}/image.png?w=480").status_code == 200
    assert bo.get(f"/c/art-101-copy/uploads/{dropped.token}/image.png").status_code == 404, "only earlier versions"


def test_round_trip_through_an_empty_database_and_storage_keeps_every_file_byte_for_byte(run, app, klass, tmp_path):
    course, _ = klass
    first = _export(run, course.slug, tmp_path / "first.zip")
    data, manifest, files = _contents(first)
    db.session.remove()
    _empty_tables()
    shutil.rmtree(Path(app.instance_path) / "uploads")

    result = run("import-course", tmp_path / "first.zip")
    assert result.exit_code == 0, result.output
    again = _export(run, course.slug, tmp_path / "again.zip")

    data_again, manifest_again, files_again = _contents(again)
    assert files_again == files
    assert sorted(again.namelist()) == sorted(first.namelist())
    for name in first.namelist():
        if name.startswith("uploads/"):
            assert again.read(name) == first.read(name), name
    assert [{**item, "token": None} for item in manifest_again] == [{**item, "token": None} for item in manifest]
    assert _without_tokens(data_again, manifest_again) == _without_tokens(data, manifest)


def test_an_archive_whose_file_does_not_match_its_key_is_refused_and_nothing_is_imported(run, klass, tmp_path):
    course, _ = klass
    archive = _export(run, course.slug, tmp_path / "course.zip")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for name in archive.namelist():
            content = archive.read(name)
            out.writestr(name, b"not the picture" if name.startswith("uploads/") else content)
    (tmp_path / "broken.zip").write_bytes(broken.getvalue())

    result = run("import-course", tmp_path / "broken.zip", "--slug", "broken-101")

    assert result.exit_code != 0
    assert "does not hold the bytes its name says" in result.output
    assert db.session.scalar(select(Course).where(Course.slug == "broken-101")) is None


def test_a_broken_archive_is_refused(run, app, tmp_path):
    path = tmp_path / "course.zip"
    path.write_bytes(b"PK\x03\x04 and then nothing")
    result = run("import-course", path)
    assert result.exit_code != 0 and "is not a course archive" in result.output


def test_an_archive_whose_manifest_misnames_a_files_type_is_refused(run, klass, tmp_path):
    # Served as its manifest says: a picture declared text/html would be a page on Board's own address.
    course, _ = klass
    archive = _export(run, course.slug, tmp_path / "course.zip")
    lying = io.BytesIO()
    with zipfile.ZipFile(lying, "w") as out:
        for name in archive.namelist():
            content = archive.read(name)
            if name == "uploads.json":
                manifest = json.loads(content)
                for item in manifest["uploads"]:
                    if item["kind"] == "image":
                        item["content_type"] = "text/html"
                content = json.dumps(manifest).encode()
            out.writestr(name, content)
    (tmp_path / "lying.zip").write_bytes(lying.getvalue())

    result = run("import-course", tmp_path / "lying.zip", "--slug", "lying-101")

    assert result.exit_code != 0
    assert "is not the text/html its manifest says" in result.output
    assert db.session.scalar(select(Course).where(Course.slug == "lying-101")) is None
