"""One small interface for full-text search, with a PostgreSQL and an SQLite implementation behind it.

A backend adds "matches the query" to a statement over posts or comments and gives the expressions to rank by; it
also makes the highlighted snippets of the few rows a page shows. Everything else (which rows the viewer may see,
filters, order, paging) is the same SQL on both databases, in queries.py.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Select, case, column, func, literal, literal_column, select, table, union_all

from ..models import Comment, Post
from .query import SearchQuery

START, STOP = "\x01", "\x02"  # around each highlighted word in a snippet (queries.highlight makes them <mark>)
SNIPPET_WORDS = 30
RANKED_MATCHES = 10_000  # SQLite: searches matching more rows than this in one index are not ranked by bm25


class SearchBackend(Protocol):
    def match_posts(self, stmt: Select, query: SearchQuery) -> tuple[Select, object, object, tuple]:
        """`stmt` (over Post) kept to the posts matching `query`; its relevance score (higher is better), whether
        the title alone matches, and the columns that list matches newest first (descending) fastest."""

    def match_comments(self, stmt: Select, query: SearchQuery) -> tuple[Select, object, tuple]:
        """`stmt` (over Comment) kept to the comments matching `query`; its relevance score and newest-first
        columns."""

    def snippets(self, query: SearchQuery, post_ids: list[int], comment_ids: list[int]) -> Select:
        """Rows (kind, id, title, body) of highlighted text for these posts and comments, in one query."""


class PostgresSearch:
    """The generated tsvector columns (titles weigh A, bodies B), their GIN indexes and websearch_to_tsquery."""

    config = literal_column("'english'::regconfig")

    def _tsquery(self, query: SearchQuery):
        return func.websearch_to_tsquery(self.config, literal(query.websearch()))

    def match_posts(self, stmt, query):
        vector, tsquery = literal_column("posts.search_vector"), self._tsquery(query)
        title_hit = func.to_tsvector(self.config, Post.title).op("@@")(tsquery)
        # Newest first: for a common word the planner walks an index backwards and stops after the candidates; for a
        # rare one it takes the GIN index.
        return stmt.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery), title_hit, (Post.id,)

    def match_comments(self, stmt, query):
        vector, tsquery = literal_column("comments.search_vector"), self._tsquery(query)
        newest = (Comment.created_at, Comment.id)  # ix_comments_course_created, within the course
        return stmt.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery), newest

    def snippets(self, query, post_ids, comment_ids):
        tsquery = self._tsquery(query.wanted())
        marks = f"StartSel={START}, StopSel={STOP}"
        body = f"{marks}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"
        title = f"{marks}, HighlightAll=true"
        return union_all(
            select(
                literal("post").label("kind"),
                Post.id,
                func.ts_headline(self.config, Post.title, tsquery, title),
                func.ts_headline(self.config, Post.body_md, tsquery, body),
            ).where(Post.id.in_(post_ids)),
            select(
                literal("comment"),
                Comment.id,
                literal(""),
                func.ts_headline(self.config, Comment.body_md, tsquery, body),
            ).where(Comment.id.in_(comment_ids)),
        )


class SqliteSearch:
    """FTS5 tables over the same text (porter stemming), ranked by bm25 with the title weighing ten times the body."""

    posts_index = table("search_posts", column("rowid"))
    comments_index = table("search_comments", column("rowid"))

    @staticmethod
    def _match(index, expression: str):
        return literal_column(index.name).op("MATCH")(literal(expression))

    def _score(self, index, query: SearchQuery, *weights):
        """-bm25, or 0 for a search matching more than RANKED_MATCHES rows: bm25 first counts every match of each
        term (its inverse document frequency), which for a word in a million comments takes seconds. Those searches
        list the newest matches first instead (titles matching still come first)."""
        matches = select(index.c.rowid).where(self._match(index, query.fts5())).limit(RANKED_MATCHES + 1)
        few = select(func.count()).select_from(matches.subquery()).scalar_subquery() <= RANKED_MATCHES
        return case((few, -func.bm25(literal_column(index.name), *weights)), else_=0.0)

    def match_posts(self, stmt, query):
        index = self.posts_index
        titles = select(index.c.rowid).where(self._match(index, "{title} : (" + query.fts5() + ")"))
        stmt = stmt.join(index, index.c.rowid == Post.id).where(self._match(index, query.fts5()))
        # FTS5 walks its matches in rowid order, so newest first by rowid needs no sort and stops early.
        return stmt, self._score(index, query, 10.0, 1.0), Post.id.in_(titles), (index.c.rowid,)

    def match_comments(self, stmt, query):
        index = self.comments_index
        stmt = stmt.join(index, index.c.rowid == Comment.id).where(self._match(index, query.fts5()))
        return stmt, self._score(index, query), (index.c.rowid,)

    def snippets(self, query, post_ids, comment_ids):
        posts, comments = literal_column("search_posts"), literal_column("search_comments")
        ellipsis = "…"
        return union_all(
            select(
                literal("post").label("kind"),
                self.posts_index.c.rowid,
                func.highlight(posts, 0, START, STOP),
                func.snippet(posts, 1, START, STOP, ellipsis, SNIPPET_WORDS),
            ).where(self._match(self.posts_index, query.fts5()), self.posts_index.c.rowid.in_(post_ids)),
            select(
                literal("comment"),
                self.comments_index.c.rowid,
                literal(""),
                func.snippet(comments, 0, START, STOP, ellipsis, SNIPPET_WORDS),
            ).where(self._match(self.comments_index, query.fts5()), self.comments_index.c.rowid.in_(comment_ids)),
        )


def backend_for(dialect_name: str) -> SearchBackend:
    """The implementation for the app's database."""
    return PostgresSearch() if dialect_name == "postgresql" else SqliteSearch()
