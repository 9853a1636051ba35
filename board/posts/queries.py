"""The queries behind each page. Each returns finished rows in a fixed number of queries, however much content."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..access import (
    CourseContext,
    can_read_comment,
    params,
    visible_comments_clause,
    visible_comments_rule,
    visible_posts_clause,
    visible_posts_template,
)
from ..extensions import db
from ..keyset import Key, Page, Window
from ..models import (
    Award,
    Comment,
    CommentLike,
    Post,
    PostKind,
    PostLike,
    PostStatus,
    User,
    Visibility,
    utcnow,
)
from ..notifications import unread
from .threads import ThreadItem, build_thread


def _comment_count(ctx: CourseContext):
    """The comments on Post that the viewer can read: the kept count of visible ones, plus the held and hidden ones
    the viewer may also read (staff: all; a student: their own), which an index finds without reading the rest."""
    return _comment_count_rule(ctx.is_staff, ctx.user.id)


def _comment_count_rule(is_staff: bool, viewer):
    """_comment_count for a viewer given as an id or as an SQL parameter."""
    unseen_by_class = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.post_id == Post.id)
        .where(Comment.deleted_at.is_(None))
        .where(Comment.visibility.in_((Visibility.HELD, Visibility.HIDDEN)))
    )
    if not is_staff:
        unseen_by_class = unseen_by_class.where(Comment.author_id == viewer)
    return Post.comment_count + unseen_by_class.correlate(Post).scalar_subquery()


_RESPONSE = db.aliased(Post, name="counted_response")  # made once: building an alias costs milliseconds


def _response_count(ctx: CourseContext):
    """Correlated count of a reading's published responses (counted even when the viewer may not read them yet)."""
    return _response_count_rule(ctx.is_staff, ctx.user.id)


def _response_count_rule(is_staff: bool, viewer):
    """_response_count for a viewer given as an id or as an SQL parameter."""
    response = _RESPONSE
    query = (
        select(func.count(response.id))
        .where(response.reading_id == Post.id)
        .where(response.status == PostStatus.PUBLISHED)
        .where(response.deleted_at.is_(None))
    )
    if not is_staff:
        query = query.where((response.visibility == Visibility.VISIBLE) | (response.author_id == viewer))
    return query.correlate(Post).scalar_subquery()


def response_count(ctx: CourseContext, reading: Post) -> int:
    """How many published responses `reading` has, as the course home counts them."""
    return db.session.scalar(select(_response_count(ctx)).select_from(Post).where(Post.id == reading.id)) or 0


@dataclass
class PostRow:
    post: Post
    comment_count: int = 0
    response_count: int = 0
    news: unread.PostNews | None = None  # what is new to the viewer on it (latest_responses(news=True))


@functools.cache
def _readings_statement(is_staff: bool):
    """The course's readings the viewer may see, with their response counts (params(ctx); built once)."""
    counted = _response_count_rule(is_staff, bindparam("viewer_id"))
    return select(Post, counted).where(Post.kind == PostKind.READING).where(visible_posts_template(is_staff))


def course_readings(ctx: CourseContext) -> list[PostRow]:
    """The course's readings in syllabus order (see reading_order), with their response counts."""
    rows = db.session.execute(_readings_statement(ctx.is_staff), params(ctx)).all()
    readings = [PostRow(post, response_count=responses) for post, responses in rows]
    return sorted(readings, key=lambda row: reading_order(row.post))


_NUMBER = re.compile(r"(\d+)")


def reading_order(post: Post) -> tuple:
    """Pinned readings first; then by week label in natural order ("Week 2" before "Week 10"), readings without a
    label last; within a week by due date (undated last), then oldest first."""
    week_key = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.strip().casefold())
        for part in _NUMBER.split(post.week)
        if part
    )
    due = post.due_at.timestamp() if post.due_at else float("inf")
    return (not post.pinned, not post.week, week_key, due, post.created_at, post.id)


def _published_key(row: PostRow) -> Key:
    return row.post.published_at, row.post.id


def _latest_responses_statement(window: Window, shape: tuple):
    """latest_responses' query for one shape of request, with params(ctx), reading_id, author_id (and, with news,
    unread.news_params) as parameters; Window.built keeps it once made when the window has no cursor."""
    is_staff, include_deleted, by_reading, by_author, hide_anonymous, news, awards = shape
    chosen = (
        select(Post.id)
        .where(Post.kind == PostKind.RESPONSE)
        .where(Post.status == PostStatus.PUBLISHED)
        .where(visible_posts_template(is_staff, include_deleted=include_deleted))
    )
    if by_reading:
        chosen = chosen.where(Post.reading_id == bindparam("reading_id"))
    if by_author:
        chosen = chosen.where(Post.author_id == bindparam("author_id"))
        if hide_anonymous:
            chosen = chosen.where(Post.anonymous.is_(False))
    page_ids = window.apply(chosen, Post.published_at, Post.id).subquery()
    # Each response's reading comes in the same query (joined), or is the reading the caller gave: no query of its own.
    # Not the reading's author: SQLite turned the nested outer join (posts JOIN users) into a scan of every post.
    reading_loader = lazyload(Post.reading) if by_reading else joinedload(Post.reading).lazyload(Post.author)
    extra = unread.news_columns_template(is_staff) if news else ()
    return (
        select(Post, _comment_count_rule(is_staff, bindparam("viewer_id")), *extra)
        .join(page_ids, page_ids.c.id == Post.id)
        .options(selectinload(Post.awards) if awards else lazyload(Post.awards), reading_loader)
        .order_by(*window.order(Post.published_at, Post.id))
    )


def latest_responses(
    ctx: CourseContext,
    window: Window,
    *,
    reading: Post | None = None,
    author_id: int | None = None,
    include_deleted: bool = False,
    news: bool = False,
    awards: bool = True,
) -> Page:
    """One page of the published responses the viewer may read, newest first, with comment counts and awards (and,
    with `news`, what is new to the viewer on each: notifications.unread.news_columns). Without `awards`, the caller
    loads the rows' awards itself (post_page does, with the post's own: no query of their own).

    include_deleted lets staff see responses their authors deleted (on a reading's page). The page is chosen first
    and only its rows are counted, so the cost does not grow with the course.
    """
    hide_anonymous = author_id is not None and author_id != ctx.user.id and not ctx.is_staff
    shape = (ctx.is_staff, include_deleted, reading is not None, author_id is not None, hide_anonymous, news, awards)
    values = {**params(ctx), "reading_id": reading.id if reading else None, "author_id": author_id}
    if news:
        values.update(unread.news_params(ctx))
    rows = db.session.execute(window.built(_latest_responses_statement, shape), values).all()
    found = []
    for post, count, *new in rows:
        if reading is not None:
            set_committed_value(post, "reading", reading)
        found.append(PostRow(post, comment_count=count, news=unread.news_of(ctx, post, *new) if news else None))
    return window.page(found, _published_key)


def own_responses(ctx: CourseContext, reading: Post | None = None) -> dict[int, Post]:
    """The viewer's response to each reading (of `reading` only, if given), by reading id, in one query: their first
    published one, else their latest draft. Deleted ones do not count."""
    query = (
        select(Post)
        .where(Post.course_id == ctx.course.id)
        .where(Post.author_id == ctx.user.id)
        .where(Post.kind == PostKind.RESPONSE)
        .where(Post.reading_id.is_not(None))
        .where(Post.deleted_at.is_(None))
    )
    if reading is not None:
        query = query.where(Post.reading_id == reading.id)
    mine: dict[int, Post] = {}
    for post in db.session.scalars(query):
        kept = mine.get(post.reading_id)
        if kept is None or _better_response(post, kept):
            mine[post.reading_id] = post
    return mine


def _better_response(post: Post, kept: Post) -> bool:
    if post.is_published != kept.is_published:
        return post.is_published
    if post.is_published:
        return (post.published_at, post.id) < (kept.published_at, kept.id)
    return (post.updated_at, post.id) > (kept.updated_at, kept.id)


@dataclass
class ReadingStatus:
    """Where the viewer stands with a reading: responded (on time or late), a draft, or not yet (past due or not)."""

    response: Post | None
    late: bool

    @property
    def responded(self) -> bool:
        return self.response is not None and self.response.is_published

    @property
    def label(self) -> str:
        if self.responded:
            return "Responded late" if self.late else "Responded"
        if self.response is not None:
            return "Draft saved, not yet published" + (" (past due)" if self.late else "")
        return "Not yet responded" + (" (past due)" if self.late else "")


def reading_status(reading: Post, response: Post | None, now: datetime) -> ReadingStatus:
    """The viewer's status for `reading`, given their response to it (own_responses) and the time now."""
    due = reading.due_at
    if response is not None and response.is_published:
        return ReadingStatus(response, bool(due and response.published_at and response.published_at > due))
    return ReadingStatus(response, bool(due and now > due))


def reading_statuses(
    ctx: CourseContext, readings: list[PostRow], mine: dict[int, Post] | None = None
) -> dict[int, ReadingStatus]:
    """Each published reading's status for a student viewer, by reading id (staff write no graded responses: none);
    `mine` is own_responses(ctx) when the caller has it."""
    if ctx.is_staff:
        return {}
    mine, now = (own_responses(ctx) if mine is None else mine), utcnow()
    return {
        row.post.id: reading_status(row.post, mine.get(row.post.id), now) for row in readings if row.post.is_published
    }


def own_drafts(ctx: CourseContext) -> list[Post]:
    """The viewer's unpublished posts in the course."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.course_id == ctx.course.id)
            .where(Post.author_id == ctx.user.id)
            .where(Post.status == PostStatus.DRAFT)
            .where(Post.deleted_at.is_(None))
            .order_by(Post.updated_at.desc())
        )
    )


def _created_key(comment: Comment) -> Key:
    return comment.created_at, comment.id


def _recent_comments_statement(window: Window, shape: tuple):
    """recent_comments' query for one shape of request (params(ctx) and author_id as parameters)."""
    is_staff, by_author, hide_anonymous = shape
    query = (
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.course_id == bindparam("course_id"))
        .where(visible_posts_template(is_staff))
        .where(Comment.deleted_at.is_(None))
        .where(visible_comments_rule(is_staff, bindparam("viewer_id")))
        .options(contains_eager(Comment.post))  # the post comes with its comment, from the join above
    )
    if by_author:
        query = query.where(Comment.author_id == bindparam("author_id"))
        if hide_anonymous:
            query = query.where(Comment.anonymous.is_(False))
    return window.apply(query, Comment.created_at, Comment.id)


def recent_comments(ctx: CourseContext, window: Window, *, author_id: int | None = None) -> Page:
    """One page of the comments the viewer may read across the course, newest first, with their posts loaded."""
    hide_anonymous = author_id is not None and author_id != ctx.user.id and not ctx.is_staff
    shape = (ctx.is_staff, author_id is not None, hide_anonymous)
    statement = window.built(_recent_comments_statement, shape)
    rows = db.session.scalars(statement, {**params(ctx), "author_id": author_id}).all()
    return window.page(list(rows), _created_key)


@dataclass
class PostPage:
    post: Post
    thread: list[ThreadItem]
    comment_count: int
    likes: int
    liked: bool
    likers: list[User] = field(default_factory=list)


@functools.cache
def _thread_statement():
    """A post's comments with each one's like count and whether the viewer liked it (parameters post_id, viewer_id).
    Built once: the same for every viewer and post, so SQLAlchemy neither builds it nor works out its cache key again.
    Likes are counted per comment through the likes' primary key (comment_id, user_id): a join of all likes with the
    post's comments let PostgreSQL walk the whole comments table in id order."""
    like_count = (
        select(func.count()).select_from(CommentLike).where(CommentLike.comment_id == Comment.id).scalar_subquery()
    )
    liked = select(CommentLike.comment_id).where(
        CommentLike.comment_id == Comment.id, CommentLike.user_id == bindparam("viewer_id")
    )
    return (
        select(Comment, like_count.correlate(Comment), exists(liked.correlate(Comment)))
        .where(Comment.post_id == bindparam("post_id"))
        .order_by(Comment.created_at, Comment.id)
    )


def post_page(
    ctx: CourseContext, post: Post, likes: tuple[int, bool] | None = None, listed: Iterable[Post] = ()
) -> PostPage:
    """Everything the post page shows: the thread with each comment's likes and awards, and the post's likes, in
    three queries; two when the caller has the post's likes (count, liked by the viewer) already. The awards of the
    posts `listed` below it (a reading's responses) come in the same query as the comments' awards."""
    rows = db.session.execute(_thread_statement(), {"post_id": post.id, "viewer_id": ctx.user.id}).all()
    counts = {comment.id: (likes, bool(mine)) for comment, likes, mine in rows}
    thread = build_thread((comment for comment, _, _ in rows), readable=lambda c: can_read_comment(ctx, c))
    awards = _comment_awards(post, list(listed))
    for item in thread:
        item.likes, item.liked = counts[item.comment.id]
        item.awards = awards.get(item.comment.id, [])
    likes, liked = likes if likes is not None else _post_like_counts(ctx, [post.id]).get(post.id, (0, False))
    readable = sum(1 for item in thread if item.placeholder is None)
    return PostPage(post=post, thread=thread, comment_count=readable, likes=likes, liked=liked)


@functools.cache
def _awards_statement():
    """The awards on the comments of post `post_id` and on the posts `post_ids`, oldest first (built once)."""
    return (
        select(Award)
        .outerjoin(Comment, Comment.id == Award.comment_id)
        .where(or_(Comment.post_id == bindparam("post_id"), Award.post_id.in_(bindparam("post_ids", expanding=True))))
        .order_by(Award.created_at, Award.id)
    )


def _comment_awards(post: Post, listed: list[Post]) -> dict[int, list[Award]]:
    """The awards on the post's comments, by comment id, oldest first; the same query loads the post's own awards
    into post.awards (which the page shows), and those of the `listed` posts into theirs, so none costs a query of
    its own."""
    posts = {post.id: post, **{p.id: p for p in listed}}
    rows = db.session.scalars(_awards_statement(), {"post_id": post.id, "post_ids": list(posts)})
    awards: dict[int, list[Award]] = {}
    own: dict[int, list[Award]] = {post_id: [] for post_id in posts}
    for award in rows:
        if award.comment_id is None:
            own[award.post_id].append(award)
        else:
            awards.setdefault(award.comment_id, []).append(award)
    for post_id, found in own.items():
        set_committed_value(posts[post_id], "awards", found)
    return awards


@functools.cache
def _post_likes_statement():
    """Each of the posts `post_ids`' like count and whether the viewer (`viewer_id`) liked it (built once)."""
    mine = func.max(case((PostLike.user_id == bindparam("viewer_id"), 1), else_=0))
    return (
        select(PostLike.post_id, func.count(), mine)
        .where(PostLike.post_id.in_(bindparam("post_ids", expanding=True)))
        .group_by(PostLike.post_id)
    )


def _post_like_counts(ctx: CourseContext, post_ids: list[int]) -> dict[int, tuple[int, bool]]:
    rows = db.session.execute(_post_likes_statement(), {"post_ids": post_ids, "viewer_id": ctx.user.id}).all()
    return {post_id: (count, bool(mine)) for post_id, count, mine in rows}


def _award_key(award: Award) -> Key:
    return award.created_at, award.id


def awarded_posts(
    ctx: CourseContext, window: Window, award_type_id: int | None = None, *, author_id: int | None = None
) -> Page:
    """One page of the awards on posts and comments the viewer may read, newest first (the course's hall of fame, or
    one person's awards: classmates do not see awards on that person's anonymous posts and comments)."""
    query = (
        select(Award)
        .outerjoin(Comment, Comment.id == Award.comment_id)
        .join(Post, Post.id == func.coalesce(Award.post_id, Comment.post_id))
        .where(visible_posts_clause(ctx))
        .where(Post.status == PostStatus.PUBLISHED)
        .where(Award.comment_id.is_(None) | (Comment.deleted_at.is_(None) & visible_comments_clause(ctx)))
        .options(selectinload(Award.post), selectinload(Award.comment).selectinload(Comment.post))
    )
    if award_type_id is not None:
        query = query.where(Award.award_type_id == award_type_id)
    if author_id is not None:
        on_comment = Award.comment_id.is_not(None)
        query = query.where(case((on_comment, Comment.author_id), else_=Post.author_id) == author_id)
        if author_id != ctx.user.id and not ctx.is_staff:
            query = query.where(case((on_comment, Comment.anonymous), else_=Post.anonymous).is_(False))
    rows = db.session.scalars(window.apply(query, Award.created_at, Award.id)).all()
    return window.page(list(rows), _award_key)


def comment_gone_from(ctx: CourseContext, post: Post, comment_id: int) -> bool:
    """Whether comment `comment_id` is on `post` but deleted or hidden from this reader (a reply to it is too late)."""
    comment = db.session.scalar(select(Comment).where(Comment.id == comment_id).where(Comment.post_id == post.id))
    return comment is not None and (comment.deleted_at is not None or not can_read_comment(ctx, comment))
