"""Atom (RFC 4287) documents: what a feed and its entries hold, and the HTTP response that carries them.

Nothing here knows where entries come from; each feed route gathers them through the page queries and the access
rules, then hands a Feed to `response()`. A new kind of feed (a person's notifications) is one more route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Response, render_template

# Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/U+FFFF): a post may hold them,
# and one would make the whole feed unreadable.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ATOM_TYPE = "application/atom+xml; charset=utf-8"


@dataclass
class Entry:
    id: str  # a permanent IRI: the item's page on BASE_URL
    title: str
    link: str
    author: str
    published: datetime
    updated: datetime
    html: str  # sanitised HTML, as stored when the item was saved


@dataclass
class Feed:
    id: str
    title: str
    link: str  # the page the feed follows
    self_link: str  # the feed itself (it carries the owner's token)
    subtitle: str = ""
    entries: list[Entry] = field(default_factory=list)
    fallback_updated: datetime | None = None  # for a feed with no entries yet

    @property
    def updated(self) -> datetime:
        """When the feed last changed: its newest entry's time."""
        times = [entry.updated for entry in self.entries]
        return max(times) if times else (self.fallback_updated or datetime(1970, 1, 1, tzinfo=UTC))


def xml_text(value) -> str:
    """Text with the characters XML cannot hold removed (Jinja then escapes what must be)."""
    return _NOT_XML.sub("", str(value or ""))


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def response(feed: Feed) -> Response:
    """The feed as an Atom document. Not cached by anyone but its reader, and its secret URL is never sent on as a
    Referer nor indexed."""
    body = render_template("feeds/feed.xml", feed=feed, xml_text=xml_text, rfc3339=rfc3339)
    return Response(
        body,
        mimetype="application/atom+xml",
        headers={
            "Cache-Control": "private, no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
