"""Accounts: registration, authentication, profile and password changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from . import sessions

MIN_PASSWORD = 10


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the person."""


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: store and look them up lower-cased."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def hash_password(password: str) -> str:
    """A scrypt hash of `password`, refusing ones that are too short."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Use at least {MIN_PASSWORD} characters.")
    return generate_password_hash(password, method="scrypt")


def create_user(
    email: str, display_name: str, password: str | None, *, is_admin: bool = False, password_hash: str | None = None
) -> User:
    """Create an account (password and password_hash None: it must be set through a reset before logging in)."""
    if find_user(email) is not None:
        raise AccountError("An account with this email already exists.")
    user = User(
        email=normalize_email(email),
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password is not None else password_hash,
        is_admin=is_admin,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone registered this email between the check above and now (a double click, two tabs).
        db.session.rollback()
        if find_user(email) is None:
            raise
        raise AccountError("An account with this email already exists.") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password matches; None otherwise (including accounts that have no password yet)."""
    user = find_user(email)
    if user is None or user.password_hash is None:
        # Hash anyway so the response time does not reveal whether the account exists.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def update_profile(user: User, display_name: str) -> None:
    """Change the name shown on posts and comments."""
    user.display_name = display_name.strip()
    db.session.commit()


def set_time_zone(user: User, name: str, *, only_if_unset: bool = False) -> bool:
    """Store `user`'s time zone (an IANA name the caller validated); with `only_if_unset`, only when they have none
    yet (the browser's one-time report never overrides a choice). Whether it was stored."""
    if only_if_unset and user.time_zone:
        return False
    user.time_zone = name
    db.session.commit()
    return True


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one."""
    if user.password_hash is None or not check_password_hash(user.password_hash, current_password):
        raise AccountError("The current password is not right.")
    user.password_hash = hash_password(new_password)
    # Whoever knew the old password may hold a session: end every other one, remember-me cookies included.
    db.session.execute(sessions.deletion(user, keep_current=True))
    db.session.commit()


def set_password(user: User, new_password: str) -> None:
    """Set a password without the old one (the admin's reset command); every session of the account ends."""
    user.password_hash = hash_password(new_password)
    db.session.execute(sessions.deletion(user, keep_current=False))
    db.session.commit()


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
