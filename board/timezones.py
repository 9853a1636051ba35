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

from wtforms.validators import ValidationError

DEFAULT = "UTC"
#: Pages and lists: "Dec 9, 2026, 11:59 PM EST".
PAGE_FORMAT = "%b %-d, %Y, %-I:%M %p %Z"
#: Due dates and other near times in email: "Wed Dec 9, 11:59 PM EST".
DAY_FORMAT = "%a %b %-d, %-I:%M %p %Z"


#: Names of UTC itself (a browser may report any of them): stored as DEFAULT.
UTC_NAMES = frozenset({"UTC", "GMT", "Etc/UTC", "Etc/GMT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"})
#: The first choice of the account page's select: no zone of one's own (stores NULL: the course's zone is used).
COURSE_DEFAULT_LABEL = "Course's time zone (default)"
#: Stored in users.time_zone when a person chose to follow each course's zone: not a zone (is_valid says no, so the
#: course's applies), but not empty either, so the browser is not asked for its zone again.
FOLLOW_COURSE = "course"
INVALID_MESSAGE = "Choose a time zone from the list (for example America/New_York)."


@cache
def names() -> tuple[str, ...]:
    """The zones a select lists, sorted (UTC first): every region/city zone, not Etc/ or SystemV/ (still valid)."""
    found = {name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))}
    return (DEFAULT, *sorted(found))


def is_valid(name: str | None) -> bool:
    """Whether `name` is a zone one may store: any name zoneinfo knows (Etc/GMT+5 too), not only the listed ones."""
    return bool(name) and (name in UTC_NAMES or name in _known())


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) | frozenset(names())


def canonical(name: str | None) -> str | None:
    """The name to store for `name`: DEFAULT for any name of UTC, the name itself for another valid zone, else None."""
    if not is_valid(name):
        return None
    return DEFAULT if name in UTC_NAMES else name


def chosen(name: str | None) -> str:
    """The account select's value for a stored `name`: the zone, or "" (follow the course) for none or FOLLOW_COURSE."""
    return name if is_valid(name) else ""


def choices(current: str | None = None, *, course_default: bool = False) -> list[tuple[str, str]]:
    """A zone select's options: the listed zones, plus `current` when it is a valid zone not listed (Etc/GMT+5, as
    a browser reported it); first, with `course_default`, the empty choice of following the course."""
    listed = [(name, name.replace("_", " ")) for name in names()]
    if current and current not in names() and is_valid(current):
        listed.insert(1, (current, current.replace("_", " ")))
    return ([("", COURSE_DEFAULT_LABEL)] if course_default else []) + listed


def _validate(form, field) -> None:
    if field.data and not is_valid(field.data):
        raise ValidationError(INVALID_MESSAGE)
    field.data = canonical(field.data)  # None for the empty choice


def select_field(label: str, *, course_default: bool = False, description: str = ""):
    """The one zone select of every form (account, browser report, course settings): any valid zone, its UTC names
    stored as "UTC". With `course_default` an empty choice is offered and read as None (follow the course); without
    it a zone is required. Forms set `.choices` for the current value with `choices()` when it may be unlisted."""
    from wtforms import SelectField
    from wtforms.validators import DataRequired

    required = [] if course_default else [DataRequired(message="Choose a time zone.")]
    return SelectField(
        label,
        description=description,
        choices=lambda: choices(course_default=course_default),
        validate_choice=False,  # _validate says what was wrong, in words, and accepts valid zones not listed
        validators=[*required, _validate],
    )


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
