"""Time zones: whose zone a time is shown in, and how it reads.

Times are stored in UTC. Each is shown in the effective zone of the person who reads it: their own (users.time_zone,
asked once from the browser and editable on the account page), else the course's (courses.time_zone) when a course
is in view, else UTC. Pages ask it of the signed-in user and the page's course; jobs, which have no request, pass the
recipient's zone explicitly (zone_name(user, course)). Zone names are IANA names from the stdlib's zoneinfo (the
`tzdata` package provides the database where the system has none).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT = "UTC"
#: Pages and lists: "Dec 9, 2026, 11:59 PM EST".
PAGE_FORMAT = "%b %-d, %Y, %-I:%M %p %Z"
#: Due dates and other near times in email: "Wed Dec 9, 11:59 PM EST".
DAY_FORMAT = "%a %b %-d, %-I:%M %p %Z"


@cache
def names() -> tuple[str, ...]:
    """Every zone a person or course may choose, sorted (UTC first)."""
    found = {name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))}
    return (DEFAULT, *sorted(found))


def is_valid(name: str | None) -> bool:
    """Whether `name` is a zone one may choose."""
    return bool(name) and name in _name_set()


@cache
def _name_set() -> frozenset[str]:
    return frozenset(names())


def zone_name(user=None, course=None) -> str:
    """The effective zone's name for `user` (when known) reading about `course` (when there is one)."""
    for name in (getattr(user, "time_zone", None), getattr(course, "time_zone", None)):
        if is_valid(name):
            return name
    return DEFAULT


@cache
def zone(name: str | None) -> tzinfo:
    """The zone of that name; UTC for None or a name zoneinfo does not know (a stored value is never an error)."""
    if not name or name == DEFAULT:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local(value: datetime, name: str | None) -> datetime:
    """`value` (aware; naive is read as UTC) in the zone `name`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(name))


def human(value: datetime | None, name: str | None, fmt: str = PAGE_FORMAT) -> str:
    """`value` as a person in zone `name` reads it ("Dec 9, 2026, 11:59 PM EST"); "" for None."""
    if value is None:
        return ""
    return local(value, name).strftime(fmt)


# Pages ---------------------------------------------------------------------------------------------------------


def remember_course(course) -> None:
    """Note the course a request is about (board/access.py, when it loads the viewer's context), so that times on
    its pages fall back to the course's zone for a member who has none."""
    from flask import g, has_request_context

    if has_request_context():
        g.board_course_zone = course.time_zone


def page_zone_name(course=None) -> str | None:
    """The zone times on this page are shown in: the signed-in person's, else the course's (`course`, or the one this
    request loaded); None when neither is known (the page then shows UTC, and the browser's script its own zone).
    Read from objects the request has loaded already: no query."""
    from flask import g, has_request_context
    from flask_login import current_user

    if not has_request_context():
        return zone_name(None, course) if course is not None else None
    user = current_user if current_user and current_user.is_authenticated else None
    if user is not None and is_valid(user.time_zone):
        return user.time_zone
    name = course.time_zone if course is not None else g.get("board_course_zone")
    return name if is_valid(name) else None
