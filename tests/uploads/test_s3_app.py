"""Uploads in an S3-compatible store, through the app: a second app configured for S3 (on the session's database)
stores what a composer sends in moto's server over real HTTP, and answers a viewer the rules allow with a redirect
to a short-lived presigned URL on the store, which gives the exact bytes; anyone else gets the same 404 as ever, and
no URL. Its pages' Content-Security-Policy lets pictures load from the store's origin.

moto stands in for a real store here (README, "Uploads"); it does not check presigned signatures or their expiry, so
those are checked as the URL's parameters, not by the store refusing them.
"""

from __future__ import annotations

import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from sqlalchemy import select

from board import create_app
from board.extensions import db
from board.models import Role
from board.uploads.models import Upload
from board.uploads.storage import REDIRECT_CACHE_CONTROL
from tests import factories
from tests.conftest import IsolatedClient, Visitor

from .test_uploads import pdf, png, upload

URL_SECONDS = 45  # not the default (60), so the presigned URL's expiry is seen to come from the setting


@pytest.fixture
def s3_app(app, s3_config):
    """A second app on the same database, its uploads in a bucket this test creates on the moto server."""
    bucket = f"board-app-{uuid.uuid4().hex[:12]}"
    boto3.session.Session().client(
        "s3", endpoint_url=s3_config["UPLOADS_S3_ENDPOINT"], region_name="us-east-1"
    ).create_bucket(Bucket=bucket)
    settings = {
        key: app.config[key]
        for key in (
            "TESTING",
            "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "SESSION_COOKIE_SECURE",
            "REMEMBER_COOKIE_SECURE",
            "LOGIN_RATE_LIMIT",
            "LOGIN_ACCOUNT_LIMIT",
            "LOGIN_DEVICE_LIMIT",
            "POSTING_RATE_LIMIT",
            "QUEUE_URL",
            "SMTP_URL",
        )
    }
    on_s3 = create_app(
        {**settings, **s3_config, "UPLOADS_URL": f"s3://{bucket}/course-uploads", "UPLOADS_URL_SECONDS": URL_SECONDS}
    )
    on_s3.test_client_class = IsolatedClient
    yield on_s3
    with on_s3.app_context():
        db.engine.dispose()


def _visitor(flask_app, person) -> Visitor:
    visitor = Visitor(flask_app.test_client())
    assert visitor.login(person.email).status_code == 302
    return visitor


def _presigned(response, endpoint: str) -> dict[str, str]:
    """The query of the presigned URL a 302 points to, checked to be on the store."""
    assert response.status_code == 302, response.status_code
    assert response.headers["Cache-Control"] == REDIRECT_CACHE_CONTROL
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == endpoint
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def _fetch(url: str):
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.status, reply.headers, reply.read()


def test_an_upload_on_s3_is_a_redirect_to_a_short_lived_url_for_those_who_may_see_it(s3_app, s3_config):
    endpoint = s3_config["UPLOADS_S3_ENDPOINT"]
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    olga = factories.user("Olga Other", email="olga@example.edu")
    reading = factories.reading(course, title="The reading")
    adas, bos, olgas = _visitor(s3_app, ada), _visitor(s3_app, bo), _visitor(s3_app, olga)

    sent = upload(adas, course, png(), "holiday.png")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    image = sent.get_json()
    refused = bos.get(image["url"])
    assert refused.status_code == 404 and "Location" not in refused.headers, "nothing holds it yet"

    mine = adas.get(image["url"])
    query = _presigned(mine, endpoint)
    assert query["X-Amz-Expires"] == str(URL_SECONDS) and query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["response-content-type"] == "image/png"
    assert query["response-content-disposition"] == "inline"
    status, headers, stored = _fetch(mine.headers["Location"])
    assert status == 200 and headers["Content-Type"] == "image/png" and stored.startswith(b"\x89PNG")
    assert headers["Cache-Control"] == f"private, max-age={URL_SECONDS}"

    posted = adas.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "With a picture", "body": image["markdown"].replace("![]", "![A picture]"), "publish": "1"},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    classmate = bos.get(image["url"])
    _presigned(classmate, endpoint)
    assert _fetch(classmate.headers["Location"])[2] == stored
    stranger = olgas.get(image["url"])
    assert stranger.status_code == 404 and "Location" not in stranger.headers

    # A file: the store is asked to send it as a download named for the file.
    document = upload(adas, course, pdf(), "Essay.pdf").get_json()
    posted = adas.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "My essay", "body": document["markdown"], "publish": "1"},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    got = bos.get(document["url"])
    query = _presigned(got, endpoint)
    assert query["response-content-type"] == "application/pdf"
    assert query["response-content-disposition"] == "attachment; filename=Essay.pdf"
    status, headers, data = _fetch(got.headers["Location"])
    assert status == 200 and data.startswith(b"%PDF")
    assert headers["Content-Disposition"] == "attachment; filename=Essay.pdf"

    # Every object (the pictures, their smaller copies, the file) is in the bucket under the prefix.
    bucket = urlsplit(s3_app.config["UPLOADS_URL"]).netloc
    listed = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")
    names = [item["Key"] for item in listed.list_objects_v2(Bucket=bucket)["Contents"]]
    assert names and all(name.startswith("course-uploads/") for name in names)
    key = db.session.scalar(select(Upload.key).where(Upload.token == image["url"].split("/")[-2]))
    assert listed.get_object(Bucket=bucket, Key=f"course-uploads/{key}")["Body"].read() == stored


def test_pages_of_an_app_on_s3_allow_pictures_from_the_store(s3_app, s3_config, client):
    policy = s3_app.test_client().get("/login").headers["Content-Security-Policy"]
    images = next(part.split()[1:] for part in policy.split(";") if part.split()[:1] == ["img-src"])
    assert images == ["'self'", s3_config["UPLOADS_S3_ENDPOINT"]]
    own = client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self';" in own, "the session's app (local disk) allows its own pictures only"
