"""Configuration from the environment, and the account and demo commands."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from board import config
from board.extensions import db
from board.models import User


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "SECURE_COOKIES", "PORT", "BASE_URL", "ACCOUNT_EMAIL_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_sqlite_and_a_secret_generated_once_in_the_instance_folder(clean_environment, tmp_path):
    first = config.from_environment(tmp_path)
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'board.sqlite3'}"
    key_file = tmp_path / "secret_key"
    assert len(first["SECRET_KEY"]) == 64 and key_file.read_text() == first["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.from_environment(tmp_path)["SECRET_KEY"] == first["SECRET_KEY"]  # kept, not regenerated
    assert first["SESSION_COOKIE_SECURE"] and first["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@db/board", "postgresql+psycopg://u@db/board"),
        ("postgresql://u@db/board", "postgresql+psycopg://u@db/board"),
        ("postgresql+psycopg://u@db/board", "postgresql+psycopg://u@db/board"),
        ("sqlite:////srv/board.db", "sqlite:////srv/board.db"),
    ],
)
def test_database_url_and_secret_key_come_from_the_environment(clean_environment, tmp_path, given, used):
    clean_environment.setenv("DATABASE_URL", given)
    clean_environment.setenv("SECRET_KEY", "from-the-environment")
    settings = config.from_environment(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == used
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_email_links_and_limits_have_defaults_and_come_from_the_environment(clean_environment, tmp_path):
    settings = config.from_environment(tmp_path)
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["ACCOUNT_EMAIL_LIMIT"] == "1 per 5 minutes;10 per day"
    clean_environment.setenv("BASE_URL", "https://board.example.edu/")
    clean_environment.setenv("ACCOUNT_EMAIL_LIMIT", "1 per 10 minutes")
    settings = config.from_environment(tmp_path)
    assert settings["BASE_URL"] == "https://board.example.edu"
    assert settings["ACCOUNT_EMAIL_LIMIT"] == "1 per 10 minutes"


def test_secure_cookies_can_be_turned_off(clean_environment, tmp_path):
    clean_environment.setenv("SECURE_COOKIES", "0")
    settings = config.from_environment(tmp_path)
    assert not settings["SESSION_COOKIE_SECURE"] and not settings["REMEMBER_COOKIE_SECURE"]


def test_create_user_admin_makes_a_site_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "Root@Example.edu", "--name", "Root", "--password", "long enough pw", "--admin"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin root@example.edu." in result.output
    admin = db.session.scalar(select(User).where(User.email == "root@example.edu"))
    assert admin.is_admin and admin.password_hash and "long enough pw" not in admin.password_hash

    again = runner.invoke(
        args=["create-user", "--email", "ROOT@example.edu", "--name", "Dup", "--password", "long enough pw"]
    )
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(args=["create-user", "--email", "x@example.edu", "--name", "X", "--password", "short"])
    assert short.exit_code != 0 and "10 characters" in short.output
    plain = runner.invoke(
        args=["create-user", "--email", "p@example.edu", "--name", "P", "--password", "long enough pw"]
    )
    assert plain.exit_code == 0
    assert db.session.scalar(select(User.is_admin).where(User.email == "p@example.edu")) is False


def test_demo_serves_on_port_from_the_environment_and_prints_the_logins(app, clean_environment):
    served = {}
    clean_environment.setattr("werkzeug.serving.run_simple", lambda host, port, wsgi, **kw: served.update(port=port))
    clean_environment.setenv("PORT", "5123")
    clean_environment.setitem(app.config, "BASE_URL", app.config["BASE_URL"])  # restored after the test
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert served == {"port": 5123}
    assert app.config["BASE_URL"] == "http://127.0.0.1:5123"  # links in the demo's email lead to the demo
    assert "Board is running at http://127.0.0.1:5123/" in result.output
    assert "instructor@example.edu" in result.output and "student1@example.edu" in result.output
    assert "password: demo-password" in result.output
