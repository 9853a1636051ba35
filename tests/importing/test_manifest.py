"""Tests for loading and validating the seed manifest."""

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from board.importing.blog_export import parse_document
from board.importing.manifest import ManifestError, load_manifest

SEED = Path(__file__).resolve().parents[2] / "seed"

MINIMAL = """
[course]
slug = "demo"
title = "Demo"
code = "DEMO 1"
term = "Fall 2024"
description = "A demo course."
instructor = "teacher@example.edu"

[[accounts]]
email = "teacher@example.edu"
name = "Teacher"
role = "instructor"

[[accounts]]
email = "pupil@example.edu"
name = "Pupil"
role = "student"

[[award_types]]
name = "Gold"
description = "Best post."
badge = "trophy"

[[documents]]
file = "reading.txt"
kind = "reading"
author = "teacher@example.edu"
date = "2024-09-02T09:00:00+00:00"

[[documents]]
file = "response.txt"
kind = "response"
reading = "reading.txt"
author = "pupil@example.edu"
date = 2024-09-03T10:00:00Z
"""


def write_manifest(tmp_path: Path, text: str) -> Path:
    """Write a manifest and the two documents MINIMAL refers to; return the manifest path."""
    (tmp_path / "documents").mkdir()
    for name in ("reading.txt", "response.txt"):
        (tmp_path / "documents" / name).write_text("Title\n\nBody.\n", encoding="utf-8")
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_manifest_loads():
    manifest = load_manifest(SEED / "course.toml")

    assert manifest.course.slug == "hist-3644"
    assert manifest.account(manifest.course.instructor).role == "instructor"
    assert len({student.email for student in manifest.students}) >= 8
    assert "Comrade’s Corner" in [award.name for award in manifest.award_types]
    assert [document.kind for document in manifest.documents] == ["reading"] * 3 + ["response"] * 2
    uprisings = manifest.documents[2]
    assert uprisings.title == "Between Hitler and Stalin: The Gulag Uprisings of 1952–54"
    assert uprisings.title_lines == 2
    dates = [document.date for document in manifest.documents]
    assert dates == sorted(dates)
    assert all(date.year == 2017 and date.month == 3 and date.tzinfo for date in dates)


def test_seed_manifest_titles_are_distinct():
    manifest = load_manifest(SEED / "course.toml")

    titles = [
        document.title or parse_document(manifest.path_of(document).read_bytes()).title
        for document in manifest.documents
    ]

    assert len(set(titles)) == len(titles)


def test_seed_manifest_fits_the_documents():
    manifest = load_manifest(SEED / "course.toml")

    for document in manifest.documents:
        parsed = parse_document(manifest.path_of(document).read_bytes(), title_lines=document.title_lines)
        assert parsed.warnings == []
        if document.comment_authors is not None:
            assert len(document.comment_authors) == len(parsed.comments)
            assert document.author not in document.comment_authors
        awards = {award.name for award in manifest.award_types}
        assert set(parsed.awards) <= awards


def test_minimal_manifest_loads(tmp_path):
    manifest = load_manifest(write_manifest(tmp_path, MINIMAL))

    reading, response = manifest.documents
    assert reading.date == datetime.fromisoformat("2024-09-02T09:00:00+00:00")
    assert response.date.utcoffset() == timedelta(0)
    assert response.reading == "reading.txt"
    assert reading.title is None and reading.title_lines == 1 and reading.comment_authors is None
    assert manifest.path_of(reading) == tmp_path / "documents" / "reading.txt"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "reading"', 'kind = "essay"', r"unknown kind 'essay' \(use reading, response\)"),
        ('file = "reading.txt"', 'file = "missing.txt"', "document missing.txt: file not found"),
        ('file = "reading.txt"', 'file = "../course.toml"', "file must be a plain file name"),
        ('reading = "reading.txt"\n', "", "a response needs reading"),
        ('reading = "reading.txt"', 'reading = "response.txt"', "'response.txt' is not a reading"),
        ('author = "pupil@example.edu"', 'author = "ghost@example.edu"', "ghost@example.edu is not in"),
        ("date = 2024-09-03T10:00:00Z", 'date = "2024-09-03T10:00:00"', "date needs a UTC offset"),
        ('badge = "trophy"', 'badge = "crown"', "unknown badge 'crown'"),
        ('role = "student"', 'role = "auditor"', "unknown role 'auditor'"),
        ('name = "Pupil"', 'name = "Pupil"\nnickname = "P"', "unknown key"),
        ('instructor = "teacher@example.edu"', 'instructor = "pupil@example.edu"', "is not an instructor"),
        ("[course]", "[course\n", "not valid TOML"),
    ],
)
def test_manifest_errors(tmp_path, old, new, message):
    assert old in MINIMAL
    path = write_manifest(tmp_path, MINIMAL.replace(old, new, 1))

    with pytest.raises(ManifestError, match=message):
        load_manifest(path)


def test_manifest_error_names_the_file(tmp_path):
    path = write_manifest(tmp_path, MINIMAL)
    shutil.copy(path, tmp_path / "other.toml")
    (tmp_path / "documents" / "response.txt").unlink()

    with pytest.raises(ManifestError, match=r"^other\.toml: document response\.txt: file not found"):
        load_manifest(tmp_path / "other.toml")
