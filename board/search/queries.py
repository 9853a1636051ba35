"""Search results for one viewer: ranked matches among exactly what the viewer may see, one page at a time.

Which rows are visible is access.py's SQL (drafts, held, hidden, deleted, "post before you see"), applied inside the
ranked query, so nothing the viewer may not see is found, counted or shown. A page of results runs a fixed number of
queries: the ranked page of hits, then the posts and the comments on it and their snippets (skipped for an empty page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup, escape
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from ..access import (
    CourseContext,
    attributed_to_clause,
    can_see_reading,
    visible_comments_clause,
    visible_posts_clause,
)
from ..extensions import db
from ..models import Comment, Membership, Post, PostKind, User
from .backends import START, STOP, backend_for
from .query import SearchQuery

PAGE_SIZE = 20
MAX_PAGES = 10  # bounded paging: past 200 results, a narrower search serves better than page 11
CANDIDATES = 1000  # of each of posts and comments: the newest matches that are ranked
_MARKS = re.compile(f"([{START}{STOP}])")
_MARKDOWN = [
    (re.compile(r"</?[a-zA-Z][^<>]*>"), " "),  # HTML tags, and cut-off ones at the ends
    (re.compile(r"^[^<>\s]*>|<[a-zA-Z/][^<>]*$"), " "),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url) and pictures: their text
    (re.compile(r"(?<!\w)[*_`~]+|[*_`~]+(?!\w)|^#+\s|(?<=\s)#+\s"), ""),  # emphasis, code, headings
]


@dataclass
class Filters:
    """What the search form narrows the results to (None: no narrowing)."""

    kind: str | None = None
    author_id: int | None = None
    reading_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass
class Hit:
    """One result: a post (reading or response) or a comment, with its highlighted title and snippet."""

    kind: str
    item: Post | Comment
    title: Markup = field(default_factory=Markup)
    snippet: Markup = field(default_factory=Markup)
    reading: Post | None = None  # the reading a response answers, when the viewer may see it

    @property
    def post(self) -> Post:
        return self.item if isinstance(self.item, Post) else self.item.post


@dataclass
class ResultPage:
    hits: list[Hit]
    page: int
    has_next: bool
    last: bool = False  # more matches lie past the last page search shows

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _post_hits(ctx: CourseContext, query: SearchQuery, filters: Filters, backend):
    stmt = select().select_from(Post).where(visible_posts_clause(ctx))
    stmt, score, title_hit, newest = backend.match_posts(stmt, query)
    if filters.kind in ("reading", "response"):
        stmt = stmt.where(Post.kind == filters.kind)
    if filters.author_id is not None:
        stmt = stmt.where(attributed_to_clause(ctx, Post, filters.author_id))
    if filters.reading_id is not None:
        stmt = stmt.where(or_(Post.id == filters.reading_id, Post.reading_id == filters.reading_id))
    when = func.coalesce(Post.published_at, Post.created_at)
    stmt = _dated(stmt, when, filters)
    return stmt.add_columns(
        literal("post").label("kind"),
        Post.id.label("id"),
        title_hit.label("title_hit"),
        score.label("score"),
        when.label("moment"),
    ).order_by(*(column.desc() for column in newest))


def _comment_hits(ctx: CourseContext, query: SearchQuery, filters: Filters, backend):
    stmt = (
        select()
        .select_from(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.course_id == ctx.course.id)
        .where(Comment.deleted_at.is_(None))
        .where(visible_comments_clause(ctx))
        .where(visible_posts_clause(ctx))
    )
    stmt, score, newest = backend.match_comments(stmt, query)
    if filters.author_id is not None:
        stmt = stmt.where(attributed_to_clause(ctx, Comment, filters.author_id))
    if filters.reading_id is not None:
        stmt = stmt.where(or_(Post.id == filters.reading_id, Post.reading_id == filters.reading_id))
    stmt = _dated(stmt, Comment.created_at, filters)
    return stmt.add_columns(
        literal("comment").label("kind"),
        Comment.id.label("id"),
        literal(False).label("title_hit"),
        score.label("score"),
        Comment.created_at.label("moment"),
    ).order_by(*(column.desc() for column in newest))


def _dated(stmt, moment, filters: Filters):
    # The calendar's first and last days bound nothing (no moment is stored outside them), and the day after
    # 9999-12-31 is past what datetime can hold: such a bound is left out rather than computed.
    if filters.since is not None and filters.since > date.min:
        stmt = stmt.where(moment >= _day_start(filters.since))
    if filters.until is not None and filters.until < date.max:
        stmt = stmt.where(moment < _day_start(filters.until + timedelta(days=1)))
    return stmt


def search(ctx: CourseContext, query: SearchQuery, filters: Filters, page: int = 1) -> ResultPage:
    """The `page`th page of what the viewer may see in this course that matches `query`, best first."""
    backend = backend_for(db.engine.dialect.name)
    arms = []
    if filters.kind in (None, "reading", "response"):
        arms.append(_post_hits(ctx, query, filters, backend))
    if filters.kind in (None, "comment"):
        arms.append(_comment_hits(ctx, query, filters, backend))
    # Each kind's newest CANDIDATES matches, then ranked: the engine walks matches newest first and stops, so a word
    # found in a million comments costs what one found in a thousand does (results are then the best of the newest).
    arms = [select(*arm.limit(CANDIDATES).subquery().c) for arm in arms]
    ranked = union_all(*arms).subquery("hits") if len(arms) > 1 else arms[0].subquery("hits")
    rows = db.session.execute(
        select(ranked.c.kind, ranked.c.id)
        .order_by(ranked.c.title_hit.desc(), ranked.c.score.desc(), ranked.c.moment.desc(), ranked.c.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    post_ids = [row.id for row in rows if row.kind == "post"]
    comment_ids = [row.id for row in rows if row.kind == "comment"]
    posts, comments, texts = {}, {}, {}
    if rows:  # the same three queries whatever the page holds
        # The reading's author by a plain LEFT JOIN, not an inner join nested in the outer one (SQLite built that whole).
        reading = joinedload(Post.reading).joinedload(Post.author, innerjoin=False)
        posts = _by_id(select(Post).options(reading).where(Post.id.in_(post_ids or [0])))
        comments = _by_id(
            select(Comment).options(joinedload(Comment.post, innerjoin=True)).where(Comment.id.in_(comment_ids or [0]))
        )
        texts = {
            (kind, item_id): (title, body)
            for kind, item_id, title, body in db.session.execute(backend.snippets(query, post_ids, comment_ids))
        }
    hits = []
    for row in rows:
        item = (posts if row.kind == "post" else comments).get(row.id)
        if item is None:  # removed between the two queries
            continue
        title, body = texts.get((row.kind, row.id), ("", ""))
        kind = item.kind if row.kind == "post" else "comment"
        reading = item.reading if row.kind == "post" else None
        hits.append(
            Hit(
                kind,
                item,
                title=highlight(title) if title else escape(_title(item)),
                snippet=highlight(body),
                reading=reading if reading is not None and can_see_reading(ctx, reading) else None,
            )
        )
    return ResultPage(hits=hits, page=page, has_next=more and page < MAX_PAGES, last=more and page == MAX_PAGES)


def _title(item: Post | Comment) -> str:
    return item.title if isinstance(item, Post) else ""


def _by_id(stmt) -> dict:
    return {item.id: item for item in db.session.scalars(stmt).unique()}


def plain(text: str) -> str:
    """Markdown source read as text, roughly: no HTML tags, link targets or emphasis marks (for snippets only)."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def highlight(text: str | None) -> Markup:
    """Snippet text made safe: everything escaped, the words between the engine's marks wrapped in <mark>."""
    parts = []
    marked = False
    for piece in _MARKS.split(plain(text or "")):
        if piece in (START, STOP):
            marked = piece == START
        elif piece:
            parts.append(Markup("<mark>{}</mark>").format(piece) if marked else escape(piece))
    return Markup("").join(parts)


def readings_to_filter(ctx: CourseContext) -> list[tuple[int, str]]:
    """(id, title) of the course's readings the viewer may see, for the reading filter."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(Post.id, Post.title)
            .where(Post.kind == PostKind.READING)
            .where(visible_posts_clause(ctx))
            .order_by(Post.title, Post.id)
        )
    ]


def authors_to_filter(ctx: CourseContext) -> list[tuple[int, str]]:
    """(id, name) of the course's members, for the author filter."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(User.id, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.course_id == ctx.course.id)
            .order_by(User.display_name, User.id)
        )
    ]
