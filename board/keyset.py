"""Keyset ("older/newer") pagination of newest-first lists: a page costs the same at row 10 and row 1,000,000.

A cursor names a row by its sort time and id ("<microseconds since 1970>-<id>"); `?before=CURSOR` shows the rows just
older than it, `?after=CURSOR` the rows just newer. Unlike OFFSET, the database seeks straight to the cursor through
an index on (…, time, id), and a row added meanwhile does not shift the pages.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import request, url_for
from sqlalchemy import tuple_

from .models import MAX_ID

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(\d{1,18})-(\d{1,19})")
Key = tuple[datetime, int]


def encode(key: Key) -> str:
    """The cursor naming a row whose sort time and id are `key`."""
    moment, row_id = key
    # A row without a time (a published post imported without its date) sorts as 1970 here.
    return f"{((moment or EPOCH) - EPOCH) // timedelta(microseconds=1)}-{row_id}"


def decode(value: str | None) -> Key | None:
    """The (time, id) a cursor names; None for a missing or malformed one (which then shows the first page)."""
    match = _CURSOR.fullmatch(value or "")
    if match is None or int(match.group(2)) > MAX_ID:
        return None
    try:
        moment = EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return moment, int(match.group(2))


@dataclass
class Window:
    """Which slice of a list a request asks for. Lists run newest first unless `descending` is off (oldest first,
    as the moderation queue is); "next" continues in the list's order, "previous" goes back."""

    size: int
    before: Key | None = None
    after: Key | None = None
    prefix: str = ""  # of the query parameters, where one page shows several lists
    descending: bool = True

    @classmethod
    def from_request(cls, size: int, prefix: str = "", *, descending: bool = True) -> Window:
        """The window named by `?{prefix}before=` or `?{prefix}after=` (after wins if both are given)."""
        after = decode(request.args.get(prefix + "after"))
        before = None if after else decode(request.args.get(prefix + "before"))
        return cls(size=size, before=before, after=after, prefix=prefix, descending=descending)

    @property
    def _back(self) -> Key | None:
        """The cursor when the request goes back against the list's order."""
        return self.after if self.descending else self.before

    @property
    def _on(self) -> Key | None:
        """The cursor when the request continues in the list's order."""
        return self.before if self.descending else self.after

    def order(self, moment_column, id_column) -> tuple:
        """The ORDER BY of apply(): the list's order, or its reverse when going back from a cursor."""
        down = (moment_column.desc(), id_column.desc())
        up = (moment_column.asc(), id_column.asc())
        return up if self.descending == (self._back is not None) else down

    def apply(self, query, moment_column, id_column):
        """`query` narrowed to this window, with one row beyond the page to tell whether there are more."""
        key = tuple_(moment_column, id_column)
        if self._back is not None:
            # The rows just before the cursor in the list's order are found by walking away from it backwards.
            query = query.where(key > self._back if self.descending else key < self._back)
        elif self._on is not None:
            query = query.where(key < self._on if self.descending else key > self._on)
        return query.order_by(*self.order(moment_column, id_column)).limit(self.size + 1)

    def built(self, build, shape: tuple):
        """build(self, shape): a statement whose only values are parameters. Made once and kept for a window without a
        cursor (a list's first page, which most requests ask for), since then it depends only on `shape`, the size and
        the order; with a cursor, whose values are written into it, made anew."""
        if self.before is None and self.after is None:
            return _first_pages(build, shape, self.size, self.descending)
        return build(self, shape)

    def page(self, rows: list, key) -> Page:
        """The Page for `rows` fetched in the order of apply(); key(row) gives a row's (time, id)."""
        rows = list(reversed(rows)) if self._back is not None else list(rows)
        more = len(rows) > self.size
        if self._back is not None:
            rows = rows[1:] if more else rows  # the extra row is the farthest from the cursor
            previous = encode(key(rows[0])) if more else None
            following = encode(key(rows[-1])) if rows else encode(self._back)
        else:
            rows = rows[: self.size]
            following = encode(key(rows[-1])) if more else None
            previous = encode(key(rows[0])) if self._on is not None and rows else None
        return Page(rows, next_cursor=following, previous_cursor=previous, prefix=self.prefix, window=self)


@dataclass
class Page:
    """One page of a list and the cursors of its neighbours (None where there is none)."""

    items: list = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None
    prefix: str = ""
    window: Window | None = None

    @property
    def descending(self) -> bool:
        return self.window is None or self.window.descending

    @property
    def paged(self) -> bool:
        """Whether the list runs past this page (so a count of its items would not be the list's count)."""
        return bool(self.next_cursor or self.previous_cursor)

    def url(self, direction: str, anchor: str | None = None) -> str | None:
        """This page's URL moved to the "next" or "previous" page (other lists' positions kept); None at an end."""
        cursor = self.next_cursor if direction == "next" else self.previous_cursor
        if cursor is None:
            return None
        forwards = "before" if self.descending else "after"
        backwards = "after" if self.descending else "before"
        # Other parameters are kept, except those url_for would read as its own (_scheme, _external, _anchor…) or as
        # a URL part (slug, post_id…): those made a 500, or a link to another scheme or host.
        dropped = {self.prefix + "before", self.prefix + "after", *(request.view_args or {})}
        args = {k: v for k, v in request.args.items() if k not in dropped and not k.startswith("_")}
        args[self.prefix + (forwards if direction == "next" else backwards)] = cursor
        return url_for(request.endpoint, **request.view_args, **args, _anchor=anchor)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


@functools.cache
def _first_pages(build, shape: tuple, size: int, descending: bool):
    return build(Window(size=size, descending=descending), shape)
