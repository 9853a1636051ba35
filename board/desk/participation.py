"""Participation: for a reading or the whole course, what each student on the roster did, in a fixed number of
grouped queries however many students and readings there are.

The responses view, the dashboard, both CSVs and next/previous all read these numbers, so they cannot disagree.
The rules, decided once here:

- A student's response to a reading is their published response; if they wrote several, the earliest one not
  deleted (a deleted one shows only when there is no other). Held and hidden responses count as responded (the
  student did the work; staff see the flag); a deleted one counts as missing.
- Late: published after the reading's `due_at`, by how much. Missing: no response (whatever the due date).
- Comments given: visible, undeleted comments by the student on a classmate's (not deleted) response to this
  reading. These are the replies of the replies checkpoint; those written by `reply_due_at` are on time.
- Comments received (visible, undeleted, by anyone else, staff included), likes and awards: on the student's
  response, unless it is deleted.
- Graded: a Grade row with points exists for the student and reading.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, Integer, bindparam, case, cast, extract, func, literal, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..access import CourseContext, params, visible_posts_template
from ..extensions import db
from ..markdown import excerpt
from ..models import (
    Award,
    Comment,
    Membership,
    Post,
    PostKind,
    PostLike,
    PostStatus,
    Role,
    User,
    Visibility,
    utcnow,
)
from ..posts.queries import reading_order
from .models import Grade

EXCERPT_CHARS = 240

ON_TIME, LATE, MISSING = "on time", "late", "missing"
MET, LATE_REPLIES, SHORT = "met", "late", "short"


@dataclass
class Student:
    id: int
    name: str
    email: str


@dataclass
class Cell:
    """One student and one reading."""

    student: Student
    reading: Post
    response_id: int | None = None
    title: str = ""
    submitted_at: datetime | None = None
    word_count: int = 0
    excerpt: str = ""
    visibility: str = Visibility.VISIBLE
    deleted: bool = False
    anonymous: bool = False
    given: int = 0
    given_on_time: int = 0
    received: int = 0
    likes: int = 0
    awards: int = 0
    points: float | None = None

    @property
    def responded(self) -> bool:
        return self.response_id is not None and not self.deleted

    @property
    def late_by(self) -> timedelta | None:
        """How late the response came; None when on time, missing or the reading has no due date."""
        due = self.reading.due_at
        if not self.responded or due is None or self.submitted_at is None or self.submitted_at <= due:
            return None
        return self.submitted_at - due

    @property
    def status(self) -> str:
        if not self.responded:
            return MISSING
        return LATE if self.late_by is not None else ON_TIME

    @property
    def flag(self) -> str:
        """What else staff should know about the response: held, hidden or deleted (empty when none)."""
        if self.response_id is None:
            return ""
        if self.deleted:
            return "deleted"
        return "" if self.visibility == Visibility.VISIBLE else self.visibility

    @property
    def required_replies(self) -> int:
        return self.reading.required_replies or 0

    @property
    def replies_status(self) -> str:
        """met (enough by the reply due date), late (enough, some after it), short (not enough yet); empty when
        the reading asks for no replies."""
        if not self.required_replies:
            return ""
        if self.given_on_time >= self.required_replies:
            return MET
        return LATE_REPLIES if self.given >= self.required_replies else SHORT

    @property
    def graded(self) -> bool:
        return self.points is not None

    def status_text(self) -> str:
        """The response's status in words, with its flag: "late (held)", "missing (deleted)"."""
        return f"{self.status} ({self.flag})" if self.flag else self.status


@dataclass
class Participation:
    """The numbers for some readings: `cells[student_id][reading_id]`, students in roster order, readings in
    syllabus order."""

    students: list[Student]
    readings: list[Post]
    cells: dict[int, dict[int, Cell]]
    weeks: list[WeekCount] = field(default_factory=list)

    def row(self, student: Student) -> list[Cell]:
        return [self.cells[student.id][reading.id] for reading in self.readings]

    def column(self, reading: Post) -> list[Cell]:
        return [self.cells[student.id][reading.id] for student in self.students]

    def totals(self, student: Student) -> Totals:
        return Totals.of(self.row(student))


@dataclass
class Totals:
    on_time: int = 0
    late: int = 0
    missing: int = 0
    given: int = 0
    received: int = 0
    likes: int = 0
    awards: int = 0
    replies_met: int = 0
    points: float = 0.0

    @classmethod
    def of(cls, cells: list[Cell]) -> Totals:
        totals = cls()
        for cell in cells:
            if cell.status == ON_TIME:
                totals.on_time += 1
            elif cell.status == LATE:
                totals.late += 1
            else:
                totals.missing += 1
            totals.given += cell.given
            totals.received += cell.received
            totals.likes += cell.likes
            totals.awards += cell.awards
            totals.replies_met += cell.replies_status == MET
            totals.points += cell.points or 0
        return totals


@dataclass
class WeekCount:
    start: date
    responses: int = 0
    comments: int = 0


def for_reading(ctx: CourseContext, reading: Post) -> Participation:
    """Every student on the roster and what they did for `reading` (staff only)."""
    ctx.require("desk:view")
    return _participation(ctx, [reading], weekly=False)


def for_course(ctx: CourseContext) -> Participation:
    """Every student and every published reading of the course, with the per-week counts (staff only)."""
    ctx.require("desk:view")
    readings = list(
        db.session.scalars(
            select(Post)
            .where(Post.course_id == ctx.course.id)
            .where(Post.kind == PostKind.READING)
            .where(Post.status == PostStatus.PUBLISHED)
            .where(Post.deleted_at.is_(None))
        )
    )
    return _participation(ctx, sorted(readings, key=reading_order), weekly=True)


def _roster(ctx: CourseContext) -> list[Student]:
    rows = db.session.execute(
        select(User.id, User.display_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == ctx.course.id)
        .where(Membership.role == Role.STUDENT)
        .order_by(func.lower(User.display_name), User.id)
    ).all()
    return [Student(id=row.id, name=row.display_name, email=row.email) for row in rows]


_RESPONSE = aliased(Post, name="answered_response")
_READING = aliased(Post, name="answered_reading")


def _student_responses(ctx: CourseContext, reading_ids: list[int]):
    """Published responses by the course's students to these readings (a select, for joins)."""
    students = select(Membership.user_id).where(Membership.course_id == ctx.course.id, Membership.role == Role.STUDENT)
    return (
        select(
            Post.id,
            Post.reading_id,
            Post.author_id,
            Post.title,
            Post.published_at,
            Post.word_count,
            # The stored HTML's first part, read as plain text (Markdown or HTML markup is no excerpt); generous,
            # since markup takes room that the words do not.
            func.substr(Post.body_html, 1, EXCERPT_CHARS * 4).label("excerpt"),
            Post.visibility,
            Post.deleted_at,
            Post.anonymous,
        )
        .where(Post.course_id == ctx.course.id)
        .where(Post.kind == PostKind.RESPONSE)
        .where(Post.status == PostStatus.PUBLISHED)
        .where(Post.reading_id.in_(reading_ids))
        .where(Post.author_id.in_(students))
    )


def _replies(reading_ids: list[int], *, author_id: int | None = None, tag: str | None = None):
    """Comments given, grouped by reading and commenter: (reading_id, author_id, count, count by reply_due_at); with
    `tag`, each row starts with it (for _counted's union)."""
    on_time = case(
        (_READING.reply_due_at.is_(None), 1),
        (Comment.created_at <= _READING.reply_due_at, 1),
        else_=0,
    )
    query = (
        select(
            *([literal(tag)] if tag else []), _RESPONSE.reading_id, Comment.author_id, func.count(), func.sum(on_time)
        )
        .join(_RESPONSE, _RESPONSE.id == Comment.post_id)
        .join(_READING, _READING.id == _RESPONSE.reading_id)
        .where(_RESPONSE.reading_id.in_(reading_ids))
        .where(_RESPONSE.kind == PostKind.RESPONSE)
        .where(_RESPONSE.status == PostStatus.PUBLISHED)
        .where(_RESPONSE.deleted_at.is_(None))
        .where(_RESPONSE.author_id != Comment.author_id)
        .where(Comment.visibility == Visibility.VISIBLE)
        .where(Comment.deleted_at.is_(None))
        .group_by(_RESPONSE.reading_id, Comment.author_id)
    )
    if author_id is not None:
        query = query.where(Comment.author_id == author_id)
    return query


def _participation(ctx: CourseContext, readings: list[Post], *, weekly: bool) -> Participation:
    students = _roster(ctx)
    reading_ids = [reading.id for reading in readings]
    cells = {s.id: {r.id: Cell(student=s, reading=r) for r in readings} for s in students}
    result = Participation(students=students, readings=readings, cells=cells)
    if not students or not readings:
        return result

    # The response that counts: not deleted first, then the earliest.
    chosen: dict[int, Cell] = {}
    responses = db.session.execute(_student_responses(ctx, reading_ids)).all()
    for row in sorted(responses, key=lambda r: (r.deleted_at is not None, r.published_at or utcnow(), r.id)):
        cell = cells.get(row.author_id, {}).get(row.reading_id)
        if cell is None or cell.response_id is not None:
            continue
        cell.response_id = row.id
        cell.title = row.title
        cell.submitted_at = row.published_at
        cell.word_count = row.word_count
        cell.excerpt = excerpt(row.excerpt or "", EXCERPT_CHARS)
        cell.visibility = row.visibility
        cell.deleted = row.deleted_at is not None
        cell.anonymous = row.anonymous
        chosen[row.id] = cell

    for what, key, student_id, number, on_time in db.session.execute(_counted(ctx, reading_ids)):
        if what in _PER_RESPONSE:
            if key in chosen:
                setattr(chosen[key], what, int(number))
            continue
        cell = cells.get(student_id, {}).get(key)
        if cell is None:
            continue
        if what == "given":
            cell.given, cell.given_on_time = int(number), int(on_time or 0)
        else:
            cell.points = number

    if weekly:
        result.weeks = _weeks(ctx, reading_ids, [cell for cell in chosen.values() if cell.responded])
    return result


_PER_RESPONSE = ("received", "likes", "awards")
_NO_NUMBER = cast(null(), Integer)


def _counted(ctx: CourseContext, reading_ids: list[int]):
    """Everything participation counts, in one query of rows (what, key, student id, number, on-time number):
    replies given per reading and commenter ("given", with how many came by the reading's reply_due_at), comments
    received, likes and awards per response ("received", "likes", "awards": key is the response's id), and points
    per reading and student ("points"). Numbers are ints except points (a UNION may return them all as floats)."""
    response_ids = _response_ids(ctx, reading_ids)
    return union_all(
        _replies(reading_ids, tag="given"),
        select(literal("received"), Comment.post_id, _NO_NUMBER, func.count(), _NO_NUMBER)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.post_id.in_(response_ids))
        .where(Comment.author_id != Post.author_id)
        .where(Comment.visibility == Visibility.VISIBLE)
        .where(Comment.deleted_at.is_(None))
        .group_by(Comment.post_id),
        select(literal("likes"), PostLike.post_id, _NO_NUMBER, func.count(), _NO_NUMBER)
        .where(PostLike.post_id.in_(response_ids))
        .group_by(PostLike.post_id),
        select(literal("awards"), Award.post_id, _NO_NUMBER, func.count(), _NO_NUMBER)
        .where(Award.post_id.in_(response_ids))
        .group_by(Award.post_id),
        select(literal("points"), Grade.reading_id, Grade.student_id, Grade.points, _NO_NUMBER)
        .where(Grade.course_id == ctx.course.id)
        .where(Grade.reading_id.in_(reading_ids))
        .where(Grade.points.is_not(None)),
    )


def _response_ids(ctx: CourseContext, reading_ids: list[int]):
    return (
        select(Post.id)
        .where(Post.course_id == ctx.course.id)
        .where(Post.kind == PostKind.RESPONSE)
        .where(Post.reading_id.in_(reading_ids))
        .where(Post.status == PostStatus.PUBLISHED)
        .where(Post.deleted_at.is_(None))
    )


# Per-week counts -------------------------------------------------------------------------------------------------


class epoch_seconds(FunctionElement):
    """Seconds since 1970 of a stored timestamp, on SQLite and PostgreSQL alike (for grouping by week in SQL)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    return compiler.process(cast(func.strftime(literal("%s"), column), Integer), **kw)


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    # floor, not a plain cast: casting rounds, and 23:59:59.7 on a Sunday belongs to that week.
    return compiler.process(cast(func.floor(extract("epoch", column)), BigInteger), **kw)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONDAY_SHIFT = 3 * 86400  # 1970-01-01 was a Thursday; weeks start on Monday
_WEEK = 7 * 86400


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the week `moment` falls in."""
    return week_start_of_day(moment.astimezone(UTC).date())


def _weeks(ctx: CourseContext, reading_ids: list[int], responded: list[Cell]) -> list[WeekCount]:
    """Responses and comments given per week (Monday to Sunday, UTC), over the weeks chart_range chooses."""
    counts: dict[date, WeekCount] = {}
    for cell in responded:
        if cell.submitted_at is not None:
            start = week_start(cell.submitted_at)
            counts.setdefault(start, WeekCount(start)).responses += 1
    week = ((epoch_seconds(Comment.created_at) + _MONDAY_SHIFT) / _WEEK).label("week")
    students = select(Membership.user_id).where(Membership.course_id == ctx.course.id, Membership.role == Role.STUDENT)
    rows = db.session.execute(
        select(week, func.count())
        .join(_RESPONSE, _RESPONSE.id == Comment.post_id)
        .where(_RESPONSE.reading_id.in_(reading_ids))
        .where(_RESPONSE.kind == PostKind.RESPONSE)
        .where(_RESPONSE.status == PostStatus.PUBLISHED)
        .where(_RESPONSE.deleted_at.is_(None))
        .where(_RESPONSE.author_id != Comment.author_id)
        .where(Comment.author_id.in_(students))
        .where(Comment.visibility == Visibility.VISIBLE)
        .where(Comment.deleted_at.is_(None))
        .group_by(week)
    )
    for index, count in rows:
        start = (_EPOCH + timedelta(seconds=int(index) * _WEEK - _MONDAY_SHIFT)).date()
        counts.setdefault(start, WeekCount(start)).comments += count
    first, last = chart_range(counts, ctx.course.starts_on, ctx.course.ends_on)
    if first is None:
        return []
    span = min((last - first).days // 7, MAX_CHART_WEEKS - 1)
    return [counts.get(first + timedelta(weeks=n), WeekCount(first + timedelta(weeks=n))) for n in range(span + 1)]


MAX_CHART_WEEKS = 104  # two years of weeks at most
QUIET_WEEKS = 6  # more empty weeks than this in a row end a stretch of activity (a break is shorter; a summer is not)


def chart_range(counts: dict[date, WeekCount], starts_on: date | None, ends_on: date | None):
    """The first and last week (Mondays) the chart covers, or (None, None) when nothing happened in them: the course's
    term where its dates are set; otherwise the most recent stretch of activity, from the last week with any back to
    the first one with no more than QUIET_WEEKS empty weeks between (so years-old posts do not squeeze this term's
    weeks into a sliver)."""
    first = week_start_of_day(starts_on) if starts_on else None
    last = week_start_of_day(ends_on) if ends_on else None
    active = sorted(week for week in counts if (first is None or week >= first) and (last is None or week <= last))
    if not active:
        return None, None
    if first is None:
        first = active[-1]
        for week in reversed(active[:-1]):
            if (first - week).days // 7 - 1 > QUIET_WEEKS:
                break
            first = week
    return first, last if last is not None else max(active[-1], first)


def week_start_of_day(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


# The student's own checkpoints ------------------------------------------------------------------------------------


@dataclass
class Progress:
    """One student's checkpoints for one reading: "Response ✓ · Replies 1 of 2 · due Sun 23:59"."""

    reading: Post
    responded_at: datetime | None = None
    replies: int = 0
    replies_on_time: int = 0

    @property
    def responded(self) -> bool:
        return self.responded_at is not None

    @property
    def response_late(self) -> bool:
        due = self.reading.due_at
        return bool(self.responded_at and due and self.responded_at > due)

    @property
    def required(self) -> int:
        return self.reading.required_replies or 0

    @property
    def replies_late(self) -> bool:
        return self.replies >= self.required > self.replies_on_time

    @property
    def shown(self) -> bool:
        return bool(self.reading.due_at or self.required)


def student_progress(
    ctx: CourseContext,
    readings: list[Post],
    own: dict[int, Post] | None = None,
    replies: dict[int, tuple[int | None, int | None]] | None = None,
) -> dict[int, Progress]:
    """The viewer's own checkpoints for these readings; empty for staff, who have none. `own` is the viewer's response
    to each reading (posts.queries.own_responses: the first published one, else a draft) when the page has it
    already; the replies are counted (one query) only for readings that ask for replies, and not at all when the page
    has them (`replies`: (given, on time) by reading id, from my_replies_columns)."""
    if ctx.is_staff or not readings:
        return {}
    reading_ids = [reading.id for reading in readings]
    progress = {reading.id: Progress(reading) for reading in readings}
    if own is None:
        responded = db.session.execute(
            select(Post.reading_id, func.min(Post.published_at))
            .where(Post.course_id == ctx.course.id)
            .where(Post.kind == PostKind.RESPONSE)
            .where(Post.author_id == ctx.user.id)
            .where(Post.status == PostStatus.PUBLISHED)
            .where(Post.deleted_at.is_(None))
            .where(Post.reading_id.in_(reading_ids))
            .group_by(Post.reading_id)
        ).all()
    else:
        responded = [(rid, post.published_at) for rid, post in own.items() if rid in progress and post.is_published]
    for reading_id, published_at in responded:
        progress[reading_id].responded_at = published_at
    asking = [reading.id for reading in readings if reading.required_replies]
    if replies is not None and all(reading_id in replies for reading_id in asking):
        for reading_id in asking:
            given, on_time = replies[reading_id]
            progress[reading_id].replies, progress[reading_id].replies_on_time = int(given or 0), int(on_time or 0)
    elif asking:
        for reading_id, _, given, on_time in db.session.execute(_replies(asking, author_id=ctx.user.id)):
            progress[reading_id].replies, progress[reading_id].replies_on_time = given, int(on_time or 0)
    return progress


def my_replies_columns(ctx: CourseContext, reading: Post) -> tuple:
    """The viewer's replies toward `reading`'s checkpoint as two scalar columns (given, on time), for a page that reads
    its other per-viewer facts in one query (notifications.services.viewer_state); student_progress takes them."""
    mine = _replies([reading.id], author_id=ctx.user.id).subquery()
    return select(mine.c[2]).scalar_subquery(), select(mine.c[3]).scalar_subquery()


# Reply spreading --------------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    post: Post
    comment_count: int


def spread_key(student_id: int, post_id: int) -> str:
    """A tie-breaker that differs between students and never changes for one student and post."""
    return hashlib.sha256(f"{student_id}:{post_id}".encode()).hexdigest()


@functools.cache
def _suggestions_statement(is_staff: bool):
    """The responses to `reading_id` that suggest_responses ranks (params(ctx) and reading_id; built once)."""
    viewer = bindparam("viewer_id")
    mine = select(Comment.id).where(Comment.post_id == Post.id, Comment.author_id == viewer).correlate(Post)
    return (
        select(Post, Post.comment_count)
        .where(Post.reading_id == bindparam("reading_id"))
        .where(Post.kind == PostKind.RESPONSE)
        .where(Post.status == PostStatus.PUBLISHED)
        .where(Post.visibility == Visibility.VISIBLE)
        .where(Post.comments_locked.is_(False))
        .where(Post.author_id != viewer)
        .where(visible_posts_template(is_staff))
        .where(~mine.exists())
    )


def suggest_responses(ctx: CourseContext, reading: Post, limit: int = 3) -> list[Suggestion]:
    """Classmates' responses to `reading` the viewer may read and has not commented on, fewest comments first
    (ties broken per viewer, stably), so a class that follows the suggestions leaves no response without comment."""
    rows = db.session.execute(_suggestions_statement(ctx.is_staff), {**params(ctx), "reading_id": reading.id}).all()
    ranked = sorted(rows, key=lambda row: (row.comment_count, spread_key(ctx.user.id, row.Post.id)))
    return [Suggestion(post=row.Post, comment_count=row.comment_count) for row in ranked[:limit]]


# The responses view's order, shared with next/previous on response pages -----------------------------------------

_STATUS_RANK = {ON_TIME: 0, LATE: 1, MISSING: 2}
_REPLIES_RANK = {MET: 0, LATE_REPLIES: 1, SHORT: 2, "": 3}
SORTS: dict[str, tuple[str, object]] = {
    "name": ("Student", lambda c: (c.student.name.casefold(), c.student.id)),
    "submitted": ("Submitted", lambda c: (c.submitted_at is None, c.submitted_at or _EPOCH)),
    "status": ("Status", lambda c: (_STATUS_RANK[c.status], -(c.late_by or timedelta()).total_seconds())),
    "words": ("Words", lambda c: c.word_count if c.responded else -1),
    "given": ("Given", lambda c: c.given),
    "received": ("Received", lambda c: c.received),
    "likes": ("Likes", lambda c: c.likes),
    "awards": ("Awards", lambda c: c.awards),
    "replies": ("Replies", lambda c: (_REPLIES_RANK[c.replies_status], -c.given)),
    "points": ("Points", lambda c: (c.points is None, c.points or 0)),
}
FILTERS = {
    "all": ("Everyone", lambda c: True),
    "missing": ("Not yet responded", lambda c: not c.responded),
    "late": ("Late", lambda c: c.status == LATE),
    "ungraded": ("Not graded", lambda c: not c.graded),
}


@dataclass(frozen=True)
class ViewOrder:
    """How the responses view is sorted and filtered: from its GET parameters, or from a response page's `from`."""

    sort: str = "name"
    descending: bool = False
    filter: str = "all"

    @classmethod
    def from_args(cls, args) -> ViewOrder:
        """Unknown values fall back to the defaults (a hand-edited URL shows the plain view, never an error)."""
        sort = args.get("sort", "name")
        show = args.get("show", "all")
        return cls(
            sort=sort if sort in SORTS else "name",
            descending=args.get("dir") == "desc",
            filter=show if show in FILTERS else "all",
        )

    @classmethod
    def from_param(cls, value: str | None) -> ViewOrder | None:
        """The order a response page was opened from: `from=sort.dir.filter`, e.g. `words.desc.late`."""
        parts = (value or "").split(".")
        if len(parts) != 3 or parts[0] not in SORTS or parts[1] not in ("asc", "desc") or parts[2] not in FILTERS:
            return None
        return cls(sort=parts[0], descending=parts[1] == "desc", filter=parts[2])

    def param(self) -> str:
        return f"{self.sort}.{'desc' if self.descending else 'asc'}.{self.filter}"

    def args(self, **changes) -> dict[str, str]:
        """The view's GET parameters, with `changes` (for sort links)."""
        values = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "show": self.filter} | changes
        return {name: value for name, value in values.items() if value not in ("name", "asc", "all")}

    def apply(self, cells: list[Cell], *, keeping: int | None = None) -> list[Cell]:
        """The cells this view shows, in its order (ties by name, then id, so the order is total). The response
        `keeping` stays in whatever the filter says (the walk's current response, graded a moment ago in "Not
        graded")."""
        match = FILTERS[self.filter][1]
        chosen = sorted(
            (c for c in cells if match(c) or (keeping is not None and c.response_id == keeping)),
            key=lambda c: (c.student.name.casefold(), c.student.id),
        )
        return sorted(chosen, key=SORTS[self.sort][1], reverse=self.descending)


@dataclass
class Neighbours:
    order: ViewOrder
    reading: Post
    previous: Cell | None
    next: Cell | None
    position: int
    count: int
    current: Cell | None = None
    walk: list[Cell] = field(default_factory=list)  # the view's responses, in its order

    @property
    def next_ungraded(self) -> Cell | None:
        """The first ungraded response after this one in the view's order, else the first before it (the walk goes
        round once); None when every other response is graded."""
        at = self.position - 1
        for cell in [*self.walk[at + 1 :], *self.walk[:at]]:
            if not cell.graded:
                return cell
        return None


def neighbours(ctx: CourseContext, response: Post, order: ViewOrder) -> Neighbours | None:
    """The responses before and after `response` in the responses view's order (only those with a response).
    `response` itself stays in the walk when the view's filter no longer matches it: saved in "Not graded", it is
    graded now, and its page still shows its grade form and its place."""
    if not ctx.can("desk:view") or response.is_reading or response.reading is None:
        return None
    reading = response.reading
    cells = order.apply(for_reading(ctx, reading).column(reading), keeping=response.id)
    cells = [c for c in cells if c.response_id is not None]
    ids = [c.response_id for c in cells]
    if response.id not in ids:
        return None
    at = ids.index(response.id)
    return Neighbours(
        order=order,
        reading=reading,
        previous=cells[at - 1] if at > 0 else None,
        next=cells[at + 1] if at + 1 < len(cells) else None,
        position=at + 1,
        count=len(cells),
        current=cells[at],
        walk=cells,
    )
