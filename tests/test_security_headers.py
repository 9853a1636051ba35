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
