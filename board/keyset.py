"""Keyset ("older/newer") pagination of newest-first lists: a page costs the same at row 10 and row 1,000,000.

A cursor names a row by its sort time and id ("<microseconds since 1970>-<id>"); `?before=CURSOR` shows the rows just
older than it, `?after=CURSOR` the rows just newer. Unlike OFFSET, the database seeks straight to the cursor through
an index on (…, time, id), and a row added meanwhile does not shift the pages.
"""

from __future__ import annotations

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
    return f"{(moment - EPOCH) // timedelta(microseconds=1)}-{row_id}"


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
    """Which slice of a newest-first list a request asks for."""

    size: int
    before: Key | None = None
    after: Key | None = None
    prefix: str = ""  # of the query parameters, where one page shows several lists

    @classmethod
    def from_request(cls, size: int, prefix: str = "") -> Window:
        """The window named by `?{prefix}before=` or `?{prefix}after=` (after wins if both are given)."""
        after = decode(request.args.get(prefix + "after"))
        before = None if after else decode(request.args.get(prefix + "before"))
        return cls(size=size, before=before, after=after, prefix=prefix)

    def apply(self, query, moment_column, id_column):
        """`query` narrowed to this window, newest first, with one row beyond the page to tell if there are more."""
        key = tuple_(moment_column, id_column)
        if self.after is not None:
            # The rows just newer than the cursor are the oldest of the newer ones: walk up from the cursor.
            query = query.where(key > self.after).order_by(moment_column.asc(), id_column.asc())
        else:
            if self.before is not None:
                query = query.where(key < self.before)
            query = query.order_by(moment_column.desc(), id_column.desc())
        return query.limit(self.size + 1)

    def page(self, rows: list, key) -> Page:
        """The Page for `rows` fetched through apply() (in any order); key(row) gives a row's (time, id)."""
        rows = sorted(rows, key=key, reverse=True)
        more = len(rows) > self.size
        if self.after is not None:
            rows = rows[1:] if more else rows
            newer = encode(key(rows[0])) if more else None
            older = encode(key(rows[-1])) if rows else encode(self.after)
        else:
            rows = rows[: self.size]
            older = encode(key(rows[-1])) if more else None
            newer = encode(key(rows[0])) if self.before is not None and rows else None
        return Page(rows, older=older, newer=newer, prefix=self.prefix)


@dataclass
class Page:
    """One page of a newest-first list and the cursors of its neighbours (None where there is none)."""

    items: list = field(default_factory=list)
    older: str | None = None
    newer: str | None = None
    prefix: str = ""

    def url(self, direction: str, anchor: str | None = None) -> str | None:
        """This page's URL moved to the "older" or "newer" neighbour (other lists' positions kept); None at an end."""
        cursor = self.older if direction == "older" else self.newer
        if cursor is None:
            return None
        args = {k: v for k, v in request.args.items() if k not in (self.prefix + "before", self.prefix + "after")}
        args[self.prefix + ("before" if direction == "older" else "after")] = cursor
        return url_for(request.endpoint, **request.view_args, **args, _anchor=anchor)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
