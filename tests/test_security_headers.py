"""Response headers: a strict content policy (pictures from this site only), HSTS over HTTPS, a Permissions-Policy."""

from __future__ import annotations

from board import create_app


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_pictures_load_only_from_this_site(client):
    policy = _directives(client.get("/login").headers["Content-Security-Policy"])
    # Stored posts from before pictures became links may still hold <img src="https://…">: the policy blocks them.
    assert policy["img-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]


def test_no_page_loads_plugins(client):
    # default-src 'self' would still let <object> and <embed> load plugin content from this site; Board has none.
    for url in ("/login", "/register", "/no-such-page"):
        assert _directives(client.get(url).headers["Content-Security-Policy"])["object-src"] == ["'none'"], url


def test_every_page_refuses_browser_features_board_does_not_use(client):
    for url in ("/login", "/register", "/static/board.css", "/no-such-page"):
        response = client.get(url)
        response.close()  # the static file's handle
        policy = response.headers["Permissions-Policy"]
        features = dict(part.strip().split("=") for part in policy.split(","))
        assert features["camera"] == features["microphone"] == features["geolocation"] == "()", url


def test_hsts_is_sent_when_cookies_are_secure(app, tmp_path):
    secure = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    response = secure.test_client().get("/login", base_url="https://board.example.edu")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_when_cookies_are_not_secure(client):
    assert client.application.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in client.get("/login").headers


def _images_of(flask_app) -> list[str]:
    return _directives(flask_app.test_client().get("/login").headers["Content-Security-Policy"])["img-src"]


def test_pictures_on_local_disk_come_from_this_site_only(app, tmp_path):
    # Uploads in a folder of their own, sent by nginx: still this site's URLs, so nothing is added.
    local = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOADS_URL": f"file://{tmp_path}",
            "UPLOADS_ACCEL_PREFIX": "/_uploads/",
        }
    )
    assert _images_of(local) == ["'self'"]


def test_pictures_in_s3_may_also_come_from_the_bucket(app):
    # Worked out when the app is made, with no credentials and no network (the bucket's host, as botocore names it).
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    on_aws = create_app({**settings, "UPLOADS_URL": "s3://board-pictures/uploads"})
    assert _images_of(on_aws) == ["'self'", "https://board-pictures.s3.amazonaws.com"]
    on_minio = create_app(
        {**settings, "UPLOADS_URL": "s3://board/uploads", "UPLOADS_S3_ENDPOINT": "https://s3.example.edu:9000"}
    )
    assert _images_of(on_minio) == ["'self'", "https://s3.example.edu:9000"]
