"""Configuration from the environment, with zero-setup defaults (SQLite and a generated secret in instance/)."""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Use SECRET_KEY from the environment, else one generated once and kept in instance/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: Path) -> str:
    """DATABASE_URL if set (postgres:// is accepted and mapped to psycopg 3), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'board.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: Path) -> dict:
    """Build the app's settings from the environment."""
    secure_cookies = os.environ.get("SECURE_COOKIES", "1") != "0"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # No pool_pre_ping: a connection is pinged only after sitting idle (extensions.ping_idle_connections).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # With the store unreachable, limits count in each process's memory until it is back (board/rate_limits.py).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Limits in Flask-Limiter's notation; README's Configuration table says why these defaults.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes;30 per day"),
        "LOGIN_DEVICE_LIMIT": os.environ.get("LOGIN_DEVICE_LIMIT", "10 per 15 minutes"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "30 per minute;300 per hour"),
        "POSTING_RATE_LIMIT": os.environ.get("POSTING_RATE_LIMIT", "20 per minute;300 per hour"),
        # Files taken per account (the upload button and the composers' file inputs alike); each is decoded and resized.
        "UPLOAD_RATE_LIMIT": os.environ.get("UPLOAD_RATE_LIMIT", "30 per minute;300 per hour"),
        "PREVIEW_RATE_LIMIT": os.environ.get("PREVIEW_RATE_LIMIT", "60 per minute;1000 per hour"),
        # The most people one post or comment may name ("@Name"); 0 for no cap. README's table says why 50.
        "MENTION_LIMIT": int(os.environ.get("MENTION_LIMIT", "50") or 0),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Email and the job queue (board/mail.py, board/extensions.py): unset means the mail folder and a SQLite queue.
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Board <board@localhost>"),
        "QUEUE_URL": os.environ.get("QUEUE_URL") or None,
        # The outbox (board/outbox/): how long a worker holds a row it is delivering, the wait after a first failure
        # (doubled after each, at most an hour), the attempts before giving up, and how long finished rows are kept.
        # The lease is well above the longest a handler can take: one email over SMTP is about a dozen socket
        # operations of at most 30 s each (board/mail.py), some 6 minutes at the very worst; a mention fan-out to a
        # thousand people is database work only (its emails are rows of their own), seconds.
        "OUTBOX_LEASE_SECONDS": float(os.environ.get("OUTBOX_LEASE_SECONDS", "900") or 900),
        "OUTBOX_RETRY_SECONDS": float(os.environ.get("OUTBOX_RETRY_SECONDS", "60") or 60),
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10") or 10),
        "OUTBOX_KEEP_DAYS": float(os.environ.get("OUTBOX_KEEP_DAYS", "7") or 7),
        # Links in email start with BASE_URL, never with the Host header a request came with (which anyone can forge).
        "BASE_URL": (os.environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        # Account email (reset links, registration) to any one address, so nobody can flood a mailbox through Board.
        "ACCOUNT_EMAIL_LIMIT": os.environ.get("ACCOUNT_EMAIL_LIMIT", "1 per 5 minutes;10 per day"),
        # Uploads (board/uploads/; README's "Uploads"): where the bytes live, and what the site allows. Quotas are
        # Canvas's defaults: 50 MB per person in a course, 500 MB per course.
        "UPLOADS_URL": os.environ.get("UPLOADS_URL", ""),
        "UPLOADS_S3_ENDPOINT": os.environ.get("UPLOADS_S3_ENDPOINT", ""),
        "UPLOADS_S3_REGION": os.environ.get("UPLOADS_S3_REGION", "us-east-1"),
        "UPLOADS_ACCEL_PREFIX": os.environ.get("UPLOADS_ACCEL_PREFIX", ""),
        "UPLOADS_URL_SECONDS": int(os.environ.get("UPLOADS_URL_SECONDS", "60") or 60),
        "UPLOADS_MAX_FILE_BYTES": _megabytes("UPLOADS_MAX_FILE_MB", 20),
        "UPLOADS_PERSON_QUOTA_BYTES": _megabytes("UPLOADS_PERSON_QUOTA_MB", 50),
        "UPLOADS_COURSE_QUOTA_BYTES": _megabytes("UPLOADS_COURSE_QUOTA_MB", 500),
        "UPLOADS_MAX_PIXELS": int(os.environ.get("UPLOADS_MAX_PIXELS", "40000000") or 40000000),
        # An upload nothing refers to (abandoned in a composer, or in a post deleted since) is removed after this.
        "UPLOADS_GRACE_HOURS": float(os.environ.get("UPLOADS_GRACE_HOURS", "24") or 24),
    }


def _megabytes(name: str, default: float) -> int:
    return int(float(os.environ.get(name, str(default)) or default) * 1024 * 1024)
