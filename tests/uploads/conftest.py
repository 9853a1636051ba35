"""Fixtures: an S3-compatible server (moto's, a stand-in for a real store) on loopback, started once per session,
with one bucket; each test that uses it gets its own prefix and dummy credentials in the environment."""

from __future__ import annotations

import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ..conftest import free_port

BUCKET = "board-test-uploads"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server holding an empty bucket BUCKET."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_config(s3_endpoint, monkeypatch):
    """Settings for S3 storage on the test server, under a prefix of this test's own; credentials reach boto3
    through its usual chain (the environment), and no profile or instance metadata is consulted."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return {
        "UPLOADS_URL": f"s3://{BUCKET}/test-{uuid.uuid4().hex}",
        "UPLOADS_S3_ENDPOINT": s3_endpoint,
        "UPLOADS_S3_REGION": "us-east-1",
        "UPLOADS_URL_SECONDS": 60,
    }
