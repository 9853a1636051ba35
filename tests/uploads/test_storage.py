"""Upload storage: both backends behind one interface (local disk in a temporary folder, S3 on moto's server),
chosen by configuration, and the responses `serve` gives through a small Flask app."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from flask import Flask, request

from board.uploads.storage import LocalStorage, S3Storage, content_key, from_config, get_storage

from .conftest import BUCKET

PICTURE = b"\x89PNG\r\n\x1a\n not really a picture, but bytes all the same"
KEY = content_key(PICTURE)
ETAG = "sha256-" + hashlib.sha256(PICTURE).hexdigest()[:16]


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """Each backend in turn, built from configuration as the app builds it."""
    config = {"UPLOADS_URL": ""} if request.param == "local" else request.getfixturevalue("s3_config")
    return from_config(config, tmp_path)


@pytest.fixture
def local(tmp_path):
    return from_config({"UPLOADS_URL": ""}, tmp_path)


@pytest.fixture
def s3(s3_config):
    return from_config(s3_config, Path("/nonexistent"))


def fetch(storage, method="GET", key=KEY, **kwargs):
    """The response of a tiny app whose one route serves `key` as Board's upload routes will, after their
    permission check; read whole and closed (buffered), as a server would."""
    app = Flask(__name__)

    @app.route("/u/<path:key>", methods=["GET", "HEAD"])
    def upload(key):
        return storage.serve(key, content_type="image/png", etag=ETAG, download_name=request.args.get("name"))

    return app.test_client().open(f"/u/{key}", method=method, buffered=True, **kwargs)


# The interface, on both backends


def test_content_key_is_sha256_under_a_two_character_folder():
    digest = hashlib.sha256(b"hello").hexdigest()
    assert content_key(b"hello") == f"{digest[:2]}/{digest}"
    assert content_key(b"hello") != content_key(b"hello!")


def test_put_get_exists_delete_round_trip(storage):
    assert not storage.exists(KEY)
    storage.put(KEY, PICTURE, "image/png")
    assert storage.exists(KEY)
    assert storage.get(KEY) == PICTURE
    storage.delete(KEY)
    assert not storage.exists(KEY)
    with pytest.raises(KeyError):
        storage.get(KEY)


def test_deleting_a_missing_key_is_fine(storage):
    storage.delete(KEY)
    assert not storage.exists(KEY)


def test_put_of_an_existing_key_skips_the_write(storage):
    storage.put(KEY, PICTURE, "image/png")
    storage.put(KEY, PICTURE, "image/png")
    # Keys are content-addressed, so what is there already is kept: other bytes under the key show it was not written.
    storage.put(KEY, b"other bytes", "image/png")
    assert storage.get(KEY) == PICTURE


def test_local_put_leaves_one_file_and_no_partial_ones(local, tmp_path):
    local.put(KEY, PICTURE, "image/png")
    local.put(KEY, PICTURE, "image/png")
    files = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert files == [tmp_path / "uploads" / KEY]


def test_s3_put_leaves_one_object_with_its_content_type(s3, s3_config):
    s3.put(KEY, PICTURE, "image/png")
    s3.put(KEY, PICTURE, "image/png")
    client = boto3.session.Session().client(
        "s3", endpoint_url=s3_config["UPLOADS_S3_ENDPOINT"], region_name="us-east-1"
    )
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=s3.prefix + "/")
    assert [o["Key"] for o in listed["Contents"]] == [f"{s3.prefix}/{KEY}"]
    assert client.head_object(Bucket=BUCKET, Key=f"{s3.prefix}/{KEY}")["ContentType"] == "image/png"


def test_local_put_that_fails_leaves_no_partial_file(local, tmp_path, monkeypatch):
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        local.put(KEY, PICTURE, "image/png")
    assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []
    assert not local.exists(KEY)


def test_s3_refusal_is_an_error_not_a_missing_key(s3):
    """Without s3:ListBucket a store answers 403 for a missing key too: a setup error to show, not "missing"."""
    with Stubber(s3.client) as stub:
        stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
        with pytest.raises(ClientError):
            s3.exists(KEY)


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "ab/../../x", KEY.upper(), KEY + "/x", ""])
def test_a_key_not_shaped_like_a_content_key_is_refused(storage, key):
    with pytest.raises(ValueError, match="not a content key"):
        storage.put(key, PICTURE, "image/png")
    with pytest.raises(ValueError, match="not a content key"):
        storage.get(key)


# Configuration


def test_no_uploads_url_means_the_instance_folder(tmp_path):
    storage = from_config({"UPLOADS_URL": ""}, tmp_path)
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "uploads"
    assert storage.accel_prefix == ""
    assert storage.image_origin() is None


def test_a_file_url_names_the_folder(tmp_path):
    storage = from_config({"UPLOADS_URL": f"file://{tmp_path}/files", "UPLOADS_ACCEL_PREFIX": "/_uploads/"}, Path("/x"))
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "files"
    assert storage.accel_prefix == "/_uploads/"


def test_an_s3_url_names_bucket_and_prefix_without_touching_the_network():
    config = {"UPLOADS_URL": "s3://media/board/uploads/", "UPLOADS_S3_ENDPOINT": "http://127.0.0.1:1"}
    storage = from_config(config, Path("/x"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix, storage.region, storage.url_seconds) == (
        "media",
        "board/uploads",
        "us-east-1",
        60,
    )
    assert storage.image_origin() == "http://127.0.0.1:1"


def test_an_s3_url_without_a_prefix_keeps_keys_at_the_top():
    storage = from_config({"UPLOADS_URL": "s3://media"}, Path("/x"))
    assert storage.prefix == ""


def test_on_aws_the_image_origin_is_where_presigned_urls_point(s3_config, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    storage = from_config({"UPLOADS_URL": "s3://board-media/p", "UPLOADS_S3_REGION": "eu-west-1"}, Path("/x"))
    url = storage.presigned_url(KEY, content_type="image/png", download_name=None)  # signed locally, not sent
    assert storage.image_origin().startswith("https://")
    assert url.startswith(storage.image_origin() + "/")


@pytest.mark.parametrize(
    "url, complaint",
    [
        ("ftp://host/folder", "expected"),
        ("uploads", "expected"),
        ("file://relative/folder", "absolute folder"),
        ("s3:///prefix-but-no-bucket", "names its bucket"),
    ],
)
def test_an_unusable_uploads_url_is_refused_clearly(url, complaint):
    with pytest.raises(ValueError, match=f"UPLOADS_URL '{url}'.*{complaint}"):
        from_config({"UPLOADS_URL": url}, Path("/x"))


def test_get_storage_builds_the_apps_storage_once(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    with app.app_context():
        storage = get_storage()
        assert get_storage() is storage
    assert app.extensions["board_uploads_storage"] is storage
    assert storage.root == tmp_path / "uploads"


# Serving from local disk, by the app itself


def test_local_serves_inline_with_revalidation_and_nosniff(local):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local)
    assert response.status_code == 200
    assert response.data == PICTURE
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] == f'"{ETAG}"'
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "inline"
    assert "Expires" not in response.headers
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize(
    "name, disposition",
    [
        ("notes.pdf", "attachment; filename=notes.pdf"),
        ('week 1 "final".pdf', 'attachment; filename="week 1 \\"final\\".pdf"'),
        ("café.pdf", "attachment; filename=cafe.pdf; filename*=UTF-8''caf%C3%A9.pdf"),
        ("a\r\nSet-Cookie: x.pdf", 'attachment; filename="a  Set-Cookie: x.pdf"'),
    ],
)
def test_local_serves_a_download_under_its_name(local, name, disposition):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local, query_string={"name": name})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == disposition
    assert "Set-Cookie" not in response.headers


def test_local_answers_a_matching_if_none_match_with_304(local):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local, headers={"If-None-Match": f'"{ETAG}"'})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == f'"{ETAG}"'
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_local_sends_the_file_again_for_another_etag(local):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local, headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.data == PICTURE


def test_local_answers_head_with_headers_only(local):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local, "HEAD")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(len(PICTURE))
    assert response.headers["Content-Type"] == "image/png"


def test_local_answers_a_range_request_with_part_of_the_file(local):
    local.put(KEY, PICTURE, "image/png")
    response = fetch(local, headers={"Range": "bytes=0-7"})
    assert response.status_code == 206
    assert response.data == PICTURE[:8]
    assert response.headers["Content-Range"] == f"bytes 0-7/{len(PICTURE)}"


@pytest.mark.parametrize("accel_prefix", ["", "/_uploads/"])
def test_local_serving_a_missing_key_is_404(tmp_path, accel_prefix):
    storage = from_config({"UPLOADS_URL": "", "UPLOADS_ACCEL_PREFIX": accel_prefix}, tmp_path)
    assert fetch(storage).status_code == 404


# Serving from local disk through nginx (X-Accel-Redirect)


def test_accel_hands_the_file_to_nginx_with_the_same_headers(tmp_path):
    storage = from_config({"UPLOADS_URL": "", "UPLOADS_ACCEL_PREFIX": "/_uploads/"}, tmp_path)
    storage.put(KEY, PICTURE, "image/png")
    response = fetch(storage, query_string={"name": "café.png"})
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"] == f"/_uploads/{KEY}"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=cafe.png; filename*=UTF-8''caf%C3%A9.png"
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["ETag"] == f'"{ETAG}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# Serving from S3 (a redirect to a presigned URL)


def test_s3_redirects_to_a_presigned_url_that_gives_the_bytes_and_headers(s3):
    s3.put(KEY, PICTURE, "image/png")
    response = fetch(s3, query_string={"name": "café.png"})
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    location = response.headers["Location"]
    assert location.startswith(s3.image_origin() + "/")
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == PICTURE
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.headers["Content-Disposition"] == "attachment; filename=cafe.png; filename*=UTF-8''caf%C3%A9.png"
        assert fetched.headers["Cache-Control"] == "private, max-age=60"


def test_s3_presigned_url_shows_inline_without_a_name(s3):
    s3.put(KEY, PICTURE, "image/png")
    location = fetch(s3).headers["Location"]
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.headers["Content-Disposition"] == "inline"


def test_s3_presigned_url_lives_as_long_as_configured(s3_config):
    """The store refuses the URL after X-Amz-Expires seconds from X-Amz-Date, and refuses any edit of those (they are
    signed). moto checks neither, so this checks what Board controls: the signed lifetime is the setting."""
    storage = from_config({**s3_config, "UPLOADS_URL_SECONDS": 1}, Path("/x"))
    query = parse_qs(urlsplit(storage.presigned_url(KEY, content_type="image/png", download_name=None)).query)
    assert query["X-Amz-Expires"] == ["1"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "x-amz-date" not in query["X-Amz-SignedHeaders"][0]  # the date is in the signed query, not a header
    assert len(query["X-Amz-Signature"][0]) == 64
