"""Grading in context: what a grader sees of one student's work on a reading, saving a grade without overwriting a
colleague's newer one, and releasing a reading's grades to its students. Each change is audited and committed once."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..access import CourseContext, visible_grades_clause
from ..audit import record
from ..extensions import db
from ..markdown import render_markdown
from ..models import Comment, Membership, Post, PostKind, PostStatus, Role, User, utcnow
from . import participation, signals
from .models import Grade
from .participation import Cell


class GradeError(ValueError):
    """A grade the rules refuse; the message is for the person."""


class GradeConflict(GradeError):
    """Someone saved this grade since the form was loaded; `current` is what they saved."""

    def __init__(self, current: Grade):
        super().__init__("Someone else saved a grade for this student meanwhile.")
        self.current = current


@dataclass
class Contribution:
    """One comment the student wrote on the reading or its responses, with what it answered."""

    comment: Comment
    answered: Comment | Post  # the parent comment, or the post commented on

    @property
    def is_reply(self) -> bool:
        return isinstance(self.answered, Comment)


@dataclass
class GradingPage:
    reading: Post
    student: User
    responses: list[Post]
    comments: list[Contribution]
    grade: Grade | None
    students: list[User] = field(default_factory=list)  # the roster's students, in roster order

    def _neighbour(self, step: int) -> User | None:
        ids = [s.id for s in self.students]
        index = ids.index(self.student.id) + step
        return self.students[index] if 0 <= index < len(ids) else None

    @property
    def previous(self) -> User | None:
        return self._neighbour(-1)

    @property
    def next(self) -> User | None:
        return self._neighbour(1)


def students(ctx: CourseContext) -> list[User]:
    """The course's students in roster order (by name, case-insensitively)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.course_id == ctx.course.id, Membership.role == Role.STUDENT)
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def _posts_of(reading: Post):
    """A select() of the ids of the reading and its responses: where its discussion happens."""
    return select(Post.id).where(or_(Post.id == reading.id, Post.reading_id == reading.id))


def grading_page(ctx: CourseContext, reading: Post, student: User) -> GradingPage:
    """The student's published responses to `reading` (deleted ones too, marked), every comment they wrote on the
    reading or its responses with the comment or post it answered, and their grade; a fixed number of queries."""
    ctx.require("grade:write")
    responses = list(
        db.session.scalars(
            select(Post)
            .where(Post.reading_id == reading.id, Post.author_id == student.id)
            .where(Post.kind == PostKind.RESPONSE, Post.status == PostStatus.PUBLISHED)
            .order_by(Post.published_at, Post.id)
        )
    )
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.author_id == student.id, Comment.post_id.in_(_posts_of(reading)))
        .where(Comment.deleted_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .options(selectinload(Comment.parent), selectinload(Comment.post))
    ).all()
    return GradingPage(
        reading=reading,
        student=student,
        responses=responses,
        comments=[Contribution(c, c.parent if c.parent is not None else c.post) for c in comments],
        grade=grade_of(reading, student),
        students=students(ctx),
    )


def grade_of(reading: Post, student: User) -> Grade | None:
    """The student's grade for the reading, if any (for graders; students go through released_grade)."""
    return db.session.scalar(select(Grade).where(Grade.reading_id == reading.id, Grade.student_id == student.id))


def grade_list(ctx: CourseContext, reading: Post) -> list[tuple[User, Grade | None]]:
    """Every student of the course with their grade for `reading` (or None), in roster order; two queries."""
    ctx.require("grade:write")
    grades = {
        g.student_id: g
        for g in db.session.scalars(select(Grade).where(Grade.reading_id == reading.id, visible_grades_clause(ctx)))
    }
    return [(student, grades.get(student.id)) for student in students(ctx)]


def released_grade(ctx: CourseContext, reading: Post) -> Grade | None:
    """The viewer's own grade for `reading`, once released; None before (or for anyone else's)."""
    if reading.grades_released_at is None:
        return None  # nothing released: nothing to look for
    return db.session.scalar(
        select(Grade)
        .where(Grade.reading_id == reading.id, Grade.student_id == ctx.user.id)
        .where(visible_grades_clause(ctx))
    )


@dataclass
class WalkGradeState:
    """The grade the responses walk's form starts from: read with the post page's viewer facts (one query)."""

    points: float | None
    feedback_md: str
    version: int
    updated_at: datetime
    grader_name: str


def walk_grade_columns(ctx: CourseContext, response: Post) -> tuple:
    """Scalar columns of the response author's grade for its reading (graders only), for the post page's one query
    of viewer facts (notifications.services.viewer_state); walk_grade_state reads their values."""
    ctx.require("grade:write")
    mine = (
        Grade.course_id == ctx.course.id,
        Grade.reading_id == response.reading_id,
        Grade.student_id == response.author_id,
    )
    grader = select(User.display_name).join(Grade, Grade.grader_id == User.id).where(*mine).scalar_subquery()
    columns = (Grade.version, Grade.points, Grade.feedback_md, Grade.updated_at)
    return (*(select(column).where(*mine).scalar_subquery() for column in columns), grader)


def walk_grade_state(values: tuple) -> WalkGradeState | None:
    """The values of walk_grade_columns as the grade they describe; None when there is none yet."""
    version, points, feedback_md, updated_at, grader_name = values
    if version is None:
        return None
    return WalkGradeState(points, feedback_md or "", version, updated_at, grader_name or "")


def _check_points(reading: Post, points: float | None) -> None:
    if points is None:
        return
    if not math.isfinite(points) or points < 0:
        raise GradeError("Points are a number from 0 up.")
    if reading.max_points is not None and points > reading.max_points:
        raise GradeError(f"This reading is graded out of {reading.max_points:g} points.")


def _points_text(points: float | None) -> str:
    return "no points" if points is None else f"{points:g} points"


def save_grade(
    ctx: CourseContext, reading: Post, student: User, *, points: float | None, feedback: str, version: int
) -> Grade:
    """Save the student's points and feedback, provided nobody saved a newer grade since the form was loaded
    (`version`: the grade's version then, 0 for none); raises GradeConflict with the newer grade otherwise."""
    ctx.require("grade:write")
    if not reading.is_reading or reading.course_id != ctx.course.id:
        raise GradeError("Grades are given for readings.")
    _check_points(reading, points)
    feedback = (feedback or "").strip()
    existing = grade_of(reading, student)
    if existing is None and version != 0 or existing is not None and existing.version != version:
        if existing is None:
            raise GradeError("This form is out of date. Reload the page and grade again.")
        raise GradeConflict(existing)
    before = "none" if existing is None else _points_text(existing.points)
    values = {
        "points": points,
        "feedback_md": feedback,
        "feedback_html": render_markdown(feedback),
        "grader_id": ctx.user.id,
        "updated_at": utcnow(),
    }
    if existing is None:
        grade = Grade(course_id=ctx.course.id, reading_id=reading.id, student_id=student.id, version=1, **values)
        db.session.add(grade)
    else:
        # Only if the row still has the version this form was made from: a save made meanwhile wins, and we say so.
        changed = db.session.execute(
            update(Grade)
            .where(Grade.id == existing.id, Grade.version == version)
            .values(version=Grade.version + 1, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            db.session.rollback()
            raise GradeConflict(_reloaded(reading, student))
        grade = existing
    feedback_note = "feedback changed" if existing is None or existing.feedback_md != feedback else "same feedback"
    try:
        db.session.flush()
        record(
            ctx,
            "grade:save",
            grade,
            detail=f"{student.display_name} on “{reading.title}”: {before} → {_points_text(points)}, {feedback_note}",
        )
        signals.grade_saved.send(grade)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another grader created this student's first grade at the same moment
        raise GradeConflict(_reloaded(reading, student)) from None
    db.session.refresh(grade)
    return grade


def _reloaded(reading: Post, student: User) -> Grade:
    db.session.expire_all()
    return grade_of(reading, student)


@dataclass
class ReleaseCheck:
    """What an instructor should know before releasing a reading's grades (participation's cells, roster order)."""

    ungraded: list[Cell]  # responded, no points yet
    not_responded: list[Cell]  # no response and no points
    graded_without_response: list[Cell]  # points given to someone with no response
    students: int = 0  # everyone on the roster

    @property
    def all_clear(self) -> bool:
        return not (self.ungraded or self.not_responded or self.graded_without_response)


class ReleaseNeedsConfirmation(GradeError):
    """Releasing always asks first (the check page): who is ungraded or graded without a response, or that all are
    graded."""

    def __init__(self, check: ReleaseCheck):
        super().__init__("Confirm to release this reading's grades.")
        self.check = check


def release_check(ctx: CourseContext, reading: Post) -> ReleaseCheck:
    """Who is ungraded (with a response or without), and who has points but no response; a fixed number of queries."""
    ctx.require("grade:release")
    cells = participation.for_reading(ctx, reading).column(reading)
    return ReleaseCheck(
        ungraded=[c for c in cells if c.responded and not c.graded],
        not_responded=[c for c in cells if not c.responded and not c.graded],
        graded_without_response=[c for c in cells if not c.responded and c.graded],
        students=len(cells),
    )


def set_released(ctx: CourseContext, reading: Post, released: bool, *, confirmed: bool = False) -> None:
    """Release the reading's grades and feedback to its students, or withdraw them. Releasing needs `confirmed`,
    sent by the check page's button (raises ReleaseNeedsConfirmation otherwise), even when everyone is graded."""
    ctx.require("grade:release")
    if not reading.is_reading:
        raise GradeError("Grades are released per reading.")
    if released == (reading.grades_released_at is not None):
        return
    if released and not confirmed:
        raise ReleaseNeedsConfirmation(release_check(ctx, reading))
    reading.grades_released_at = utcnow() if released else None
    action = "grade:release" if released else "grade:withdraw"
    record(ctx, action, reading, detail=f"grades for “{reading.title}” {'released' if released else 'withdrawn'}")
    if released:
        signals.grades_released.send(reading)
    db.session.commit()
