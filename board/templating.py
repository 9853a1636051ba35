"""Template helpers: names as the viewer may see them, times, plurals and award badges."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from jinja2 import pass_context
from markupsafe import Markup

from . import timezones
from .access import CourseContext, shows_author
from .markdown import plain_text
from .models import BADGES, Comment, Post

ANONYMOUS_LABEL = "Anonymous classmate"


def author_name(ctx: CourseContext, item: Post | Comment) -> str:
    """The author's name as this viewer may see it."""
    if not shows_author(ctx, item):
        return ANONYMOUS_LABEL
    if item.anonymous:
        return f"{item.author.display_name} (anonymous to classmates)"
    return item.author.display_name


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 response', '2 responses'."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def liked_by(count: int) -> str:
    """WordPress's wording: 'Liked by 1 person', 'Liked by 2 people'."""
    return f"Liked by {plural(count, 'person', 'people')}"


def thoughts_on(count: int, title: str) -> str:
    """WordPress's comment header: '7 thoughts on “Title”'."""
    return f"{plural(count, 'thought')} on “{title}”"


@pass_context
def timestamp(context, value: datetime | None, zone: str | None = None) -> Markup:
    """A <time> element reading in the viewer's zone (board/timezones.py): `zone` when given, else the template's
    `time_zone` (email, rendered by a job for its recipient), else the signed-in person's, else the page's course's,
    else UTC. Its datetime attribute stays ISO 8601; data-zone names the zone the server used, so that the page's
    script shows the same zone (without it, the browser's own)."""
    if value is None:
        return Markup("")
    name = zone or context.get("time_zone")
    if name is None:
        ctx = context.get("ctx")
        name = timezones.page_zone_name(getattr(ctx, "course", None))
    text = timezones.human(value, name or timezones.DEFAULT)
    if name is None:
        return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), text)
    return Markup('<time datetime="{}" data-zone="{}">{}</time>').format(value.isoformat(), name, text)


def local_time(value: datetime | None, zone: str | None, fmt: str = timezones.PAGE_FORMAT) -> str:
    """Plain text of `value` in `zone` (for email text parts): "Dec 9, 2026, 11:59 PM EST"."""
    return timezones.human(value, zone or timezones.DEFAULT, fmt)


_BADGE_PATHS = {
    "star": "M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8L12 17.8 5.8 21l1.2-6.8-5-4.9 6.9-1z",
    "trophy": "M7 3h10v3h4v3a5 5 0 0 1-5 5h-.3A5 5 0 0 1 13 16.9V19h4v2H7v-2h4v-2.1A5 5 0 0 1 8.3 14H8a5 5 0 0 1-5-5V6h4zm10 5v4a3 3 0 0 0 2-3V8zM5 8v1a3 3 0 0 0 2 3V8z",
    "medal": "M7 2h4l1 4 1-4h4l-3 7a6 6 0 1 1-4 0zm5 9a4 4 0 1 0 0 8 4 4 0 0 0 0-8z",
    "ribbon": "M12 2a6 6 0 0 1 3.5 10.9L18 22l-6-3-6 3 2.5-9.1A6 6 0 0 1 12 2z",
    "lightbulb": "M12 2a7 7 0 0 1 4 12.7V17H8v-2.3A7 7 0 0 1 12 2zM9 19h6v1a2 2 0 0 1-2 2h-2a2 2 0 0 1-2-2z",
    "heart": "M12 21s-8-5.3-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 10c0 5.7-8 11-8 11z",
}
if set(_BADGE_PATHS) != set(BADGES):
    raise RuntimeError("every badge in models.BADGES needs an icon here")


def badge(name: str) -> Markup:
    """An award badge as inline SVG (no external assets)."""
    path = _BADGE_PATHS.get(name, _BADGE_PATHS["star"])
    return Markup(
        '<svg class="badge badge-{}" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="{}"/></svg>'
    ).format(name, path)


def register_template_helpers(app: Flask) -> None:
    """Make the helpers available in every template."""
    app.jinja_env.globals.update(
        author_name=author_name, plural=plural, liked_by=liked_by, thoughts_on=thoughts_on, badge=badge, BADGES=BADGES
    )
    app.jinja_env.filters["timestamp"] = timestamp
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["DAY_FORMAT"] = timezones.DAY_FORMAT
    app.jinja_env.globals["page_zone"] = timezones.page_zone_name
    app.jinja_env.filters["plain_text"] = plain_text
