"""What is new to whom: read state, and the counts and marks built from it.

A person has read a post's comments up to the highest of two ids: the one on their row for that post (PostRead,
written when the page they were shown reports back) and their membership's "mark all read" watermark. A comment is
new to them when it has a higher id, they may read it (access.py's rules: held, hidden, deleted, the gate) and they
did not write it. A post is new to them while they have no row for it, did not write it, and it was published after
their watermark time. Every write here is a POST's; the GET pages only read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from markupsafe import Markup
from sqlalchemy import and_, bindparam, case, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from ..access import CourseContext, visible_comments_clause, visible_comments_rule, visible_posts_clause
from ..extensions import db
from ..models import Comment, Course, Membership, Post, PostStatus, User, utcnow
from ..posts.threads import ThreadItem
from .read_models import PostRead

# Counts of new things stop here ("99+"): the dashboard's per course, a list's per post; reading more rows than this
# would make a long thread's count cost what the thread costs.
COUNT_UP_TO = 100


@dataclass
class ThreadMarks:
    """The post page's read state: which of its comments are new to the reader, and what it showed them."""

    new_ids: list[int]  # in the thread's order, so the first is the one to jump to
    shown_id: int  # the highest comment id the page showed: what "Mark as read" and the beacon record
    post_is_new: bool
    # New comments per response listed on a reading's page.
    listed: dict[int, PostNews] = field(default_factory=dict)

    @property
    def first_new(self) -> int | None:
        return self.new_ids[0] if self.new_ids else None

    @property
    def worth_recording(self) -> bool:
        """Whether the page has anything to mark read (only then does it offer the button and send the beacon)."""
        return self.post_is_new or bool(self.new_ids)

    def style(self) -> Markup:
        """CSS showing the "New" label (hidden by default in every comment) of the new comments only: the thread's
        markup is the same for every reader, so the per-reader part is this one rule. Made of integer ids alone."""
        if not self.new_ids:
            return Markup("")
        anchors = [f"#comment-{int(comment_id)}" for comment_id in self.new_ids]
        return Markup(
            ",".join(f"{a} .new-mark" for a in anchors)
            + "{display:inline-block}"
            + ",".join(f"{a}>article" for a in anchors)
            + "{border-left:3px solid var(--accent);padding-left:.6rem}"
        )


@dataclass(frozen=True)
class PostNews:
    """What is new to the reader about one listed post."""

    new_comments: int = 0  # counted up to COUNT_UP_TO
    is_new: bool = False

    @property
    def comments_shown(self) -> str:
        """The count of new comments as the list shows it: "99+" once it reached the cap."""
        return f"{COUNT_UP_TO - 1}+" if self.new_comments >= COUNT_UP_TO else str(self.new_comments)

    def __bool__(self) -> bool:
        return self.is_new or self.new_comments > 0


def _read_through(ctx: CourseContext, row_last: int | None) -> int:
    return max(ctx.membership.read_comment_id or 0, row_last or 0)


def _post_is_new(ctx: CourseContext, post: Post) -> bool:
    """Whether `post` would be new to the viewer if they had no row for it."""
    if post.author_id == ctx.user.id or not post.is_published or post.published_at is None:
        return False
    since = ctx.membership.read_posts_at
    return since is None or post.published_at > since


@dataclass(frozen=True)
class ReadState:
    """The viewer's read row for one post: whether there is one, and the last comment it covers."""

    has_row: bool
    last_comment_id: int | None


def thread_marks(
    ctx: CourseContext,
    post: Post,
    thread: list[ThreadItem],
    listed: dict[int, PostNews] | None = None,
    read: ReadState | None = None,
) -> ThreadMarks:
    """The read state of the post page: new comments in `thread` (already filtered by access rules), and what is new
    on the responses `listed` below a reading (by post id, as latest_responses(news=True) found it). `read` is the
    viewer's row when the caller has it already (notifications.services.viewer_state reads it with the watch level)."""
    if read is None:
        row = db.session.get(PostRead, (ctx.user.id, post.id))
        read = ReadState(has_row=row is not None, last_comment_id=row.last_comment_id if row else None)
    through = _read_through(ctx, read.last_comment_id)
    readable = [item.comment for item in thread if item.placeholder is None]
    new_ids = [c.id for c in readable if c.id > through and c.author_id != ctx.user.id]
    return ThreadMarks(
        new_ids=new_ids,
        shown_id=max((c.id for c in readable), default=0),
        post_is_new=not read.has_row and _post_is_new(ctx, post),
        listed=listed or {},
    )


@functools.cache
def _list_news_statement(is_staff: bool):
    return select(Post.id, *news_columns_template(is_staff)).where(Post.id.in_(bindparam("post_ids", expanding=True)))


def list_news(ctx: CourseContext, posts: Iterable[Post]) -> dict[int, PostNews]:
    """What is new to the viewer on each of `posts` (already filtered by access rules), in one query."""
    posts = list(posts)
    if not posts:
        return {}
    rows = db.session.execute(
        _list_news_statement(ctx.is_staff), {**news_params(ctx), "post_ids": [p.id for p in posts]}
    ).all()
    found = {post_id: (opened, count) for post_id, opened, count in rows}
    return {p.id: news_of(ctx, p, *found.get(p.id, (False, 0))) for p in posts}


_NEW = aliased(Comment, name="new_comment")


def news_columns(ctx: CourseContext) -> tuple:
    """list_news's two answers as correlated columns for a query of posts (Post): whether the viewer has a read row
    for the post, and how many of its comments are new to them, counted up to COUNT_UP_TO ("99+": the count reads at
    most that many comments, however long the thread). news_of() turns a row's values into a PostNews."""
    return news_columns_rule(ctx.is_staff, ctx.user.id, ctx.membership.read_comment_id)


def news_params(ctx: CourseContext) -> dict:
    """The parameters of news_columns_template()."""
    return {"viewer_id": ctx.user.id, "read_comment_id": ctx.membership.read_comment_id}


@functools.cache
def news_columns_template(is_staff: bool) -> tuple:
    """news_columns with the viewer and their "mark all read" watermark as the parameters viewer_id and
    read_comment_id (news_params), for statements built once."""
    return news_columns_rule(is_staff, bindparam("viewer_id"), bindparam("read_comment_id"))


def news_columns_rule(is_staff: bool, me, read_comment_id) -> tuple:
    read = (PostRead.post_id == Post.id, PostRead.user_id == me)
    last_read = select(PostRead.last_comment_id).where(*read).correlate(Post).scalar_subquery()
    opened = select(PostRead.post_id).where(*read).correlate(Post).exists()
    first_new = (
        select(_NEW.id)
        .where(
            _NEW.post_id == Post.id,
            _NEW.deleted_at.is_(None),
            visible_comments_rule(is_staff, me, _NEW),
            _NEW.author_id != me,
            _NEW.id > read_comment_id,
            _NEW.id > func.coalesce(last_read, 0),
        )
        .order_by(_NEW.id)
        .limit(COUNT_UP_TO)
        .correlate(Post)
        .subquery("first_new")
    )
    # Counted straight from the limited rows (a subquery in FROM that refers to the post of the enclosing query),
    # not by looking each of them up again by id: at a million comments that took 5 ms a page on SQLite and 33 on
    # PostgreSQL for 50 listed posts, and this 3 and 4.
    new_comments = select(func.count()).select_from(first_new).correlate(Post)
    return opened, new_comments.scalar_subquery()


def news_of(ctx: CourseContext, post: Post, opened: bool, new_comments: int | None) -> PostNews:
    """The PostNews of a post listed with news_columns()."""
    return PostNews(new_comments=new_comments or 0, is_new=not opened and _post_is_new(ctx, post))


COURSES_PER_QUERY = 200  # SQLite allows 500 terms in one compound SELECT; each course takes two


@dataclass(frozen=True)
class CourseNews:
    """What is new to the reader in one course (their dashboard), each count stopping at COUNT_UP_TO."""

    posts: int = 0
    comments: int = 0

    def __bool__(self) -> bool:
        return self.posts > 0 or self.comments > 0

    @staticmethod
    def shown(count: int) -> str:
        """'99+' for a count that reached the cap."""
        return f"{COUNT_UP_TO - 1}+" if count >= COUNT_UP_TO else str(count)


def course_news(user: User, memberships: Iterable[tuple[Course, Membership]]) -> dict[int, CourseNews]:
    """What is new to `user` in each of their courses (the dashboard), by course id: one query for up to
    COURSES_PER_QUERY courses. Each course is counted by its own SELECT with its id and watermark as constants, under
    the same access rules as its pages, newest first and only up to COUNT_UP_TO, so it searches that course's index
    and stops: a member who never read a course of 50,000 comments costs what one with 100 new ones does."""
    news: dict[int, CourseNews] = {}
    contexts = [CourseContext(course=course, membership=membership, user=user) for course, membership in memberships]
    for start in range(0, len(contexts), COURSES_PER_QUERY):
        parts = []
        for ctx in contexts[start : start + COURSES_PER_QUERY]:
            parts += [_capped_count(ctx, "posts", _new_posts(ctx)), _capped_count(ctx, "comments", _new_comments(ctx))]
        for course_id, kind, count in db.session.execute(union_all(*parts)):
            news[course_id] = replace(news.get(course_id, CourseNews()), **{kind: count})
    return news


def _capped_count(ctx: CourseContext, kind: str, rows):
    found = rows.limit(COUNT_UP_TO).subquery()
    return select(literal(ctx.course.id), literal(kind), func.count()).select_from(found)


def _new_posts(ctx: CourseContext):
    me = ctx.user.id
    query = (
        select(Post.id)
        .outerjoin(PostRead, and_(PostRead.post_id == Post.id, PostRead.user_id == me))
        .where(visible_posts_clause(ctx))
        .where(Post.status == PostStatus.PUBLISHED)
        .where(Post.author_id != me)
        .where(PostRead.post_id.is_(None))
        .order_by(Post.published_at.desc())
    )
    if ctx.membership.read_posts_at is not None:
        query = query.where(Post.published_at > ctx.membership.read_posts_at)
    return query


def _new_comments(ctx: CourseContext):
    me = ctx.user.id
    return (
        select(Comment.id)
        .join(Post, Post.id == Comment.post_id)
        .outerjoin(PostRead, and_(PostRead.post_id == Comment.post_id, PostRead.user_id == me))
        .where(Comment.course_id == ctx.course.id)
        .where(Comment.id > ctx.membership.read_comment_id)
        .where(visible_posts_clause(ctx))
        .where(Comment.deleted_at.is_(None))
        .where(visible_comments_clause(ctx))
        .where(Comment.author_id != me)
        .where(Comment.id > func.coalesce(PostRead.last_comment_id, 0))
        .order_by(Comment.id.desc())
    )


def mark_post_read(ctx: CourseContext, post: Post, shown_id: int | None) -> None:
    """Record that the viewer was shown `post` and its comments up to `shown_id` (None: all they may read now).

    The id is capped at the highest comment the viewer may read there (a made-up id cannot mark comments not yet
    written), and the row never moves back (an old tab reporting late does not make read comments new again).
    """
    ceiling = db.session.scalar(_ceiling_statement(ctx.is_staff), {"viewer_id": ctx.user.id, "post_id": post.id}) or 0
    last = ceiling if shown_id is None else min(shown_id, ceiling)
    values = {"viewer_id": ctx.user.id, "post_id": post.id, "last": last, "read_at": utcnow()}
    db.session.execute(_mark_read_statement(db.session.get_bind().dialect.name), values)
    db.session.commit()


@functools.cache
def _ceiling_statement(is_staff: bool):
    """The newest comment on `post_id` that `viewer_id` may read (built once per kind of viewer)."""
    return (
        select(func.max(Comment.id))
        .where(Comment.post_id == bindparam("post_id"))
        .where(Comment.deleted_at.is_(None))
        .where(visible_comments_rule(is_staff, bindparam("viewer_id")))
    )


@functools.cache
def _mark_read_statement(dialect: str):
    """The read mark's upsert (parameters viewer_id, post_id, last, read_at); the mark never moves back."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = PostRead.__table__.c
    statement = insert(PostRead).values(
        user_id=bindparam("viewer_id", type_=columns.user_id.type),
        post_id=bindparam("post_id", type_=columns.post_id.type),
        last_comment_id=bindparam("last", type_=columns.last_comment_id.type),
        read_at=bindparam("read_at", type_=columns.read_at.type),
    )
    later = statement.excluded.last_comment_id > PostRead.last_comment_id
    return statement.on_conflict_do_update(
        index_elements=[PostRead.user_id, PostRead.post_id],
        set_={
            "last_comment_id": case((later, statement.excluded.last_comment_id), else_=PostRead.last_comment_id),
            "read_at": statement.excluded.read_at,
        },
    )


def mark_course_read(ctx: CourseContext) -> None:
    """Everything in the course up to now is read for the viewer: one write to their membership, whatever its size."""
    latest = select(func.coalesce(func.max(Comment.id), 0)).where(Comment.course_id == ctx.course.id).scalar_subquery()
    db.session.execute(
        update(Membership)
        .where(Membership.id == ctx.membership.id)
        .values(
            read_comment_id=case((latest > Membership.read_comment_id, latest), else_=Membership.read_comment_id),
            read_posts_at=utcnow(),
        )
    )
    db.session.commit()
