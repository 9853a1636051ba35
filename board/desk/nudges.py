"""Nudges: remind the students who have not responded to a reading, by email through the outbox (board/outbox/), at
most once a day per reading and student.

The unique key (reading, student, day) is the guard: each reminder is inserted with ON CONFLICT DO NOTHING, so two
instructors pressing the button at once send each student one email between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .. import mail, outbox, timezones
from ..access import CourseContext
from ..audit import record
from ..extensions import db
from ..models import Membership, Post, PostKind, PostStatus, Role, User, Visibility, utcnow
from ..notifications import services as notifications
from . import participation
from .nudge_models import Nudge

EMAIL_KIND = "nudge_email"  # the outbox rows of nudges (board/desk/tasks.py sends them)


class NudgeError(ValueError):
    """A nudge the rules refuse; the message is for the person."""


@dataclass
class NudgeResult:
    sent: list[participation.Student]
    already: list[participation.Student]  # nudged today for this reading already


def send_nudges(ctx: CourseContext, reading: Post) -> NudgeResult:
    """Remind every student on the roster without a response to `reading`; record it in the audit log; one email
    each goes into the outbox in the same transaction. Students nudged today for this reading are skipped."""
    ctx.require("desk:nudge")
    if not reading.is_published:
        raise NudgeError("Students cannot see this reading yet: publish it before reminding anyone to respond.")
    if reading.visibility != Visibility.VISIBLE:
        raise NudgeError("Students cannot see this reading: it is hidden. Show it again before reminding anyone.")
    today = utcnow().date()
    missing = [cell.student for cell in participation.for_reading(ctx, reading).column(reading) if not cell.responded]
    sent, already = [], []
    for student in missing:
        nudge_id = _insert_once(ctx, reading, student.id, today)
        if nudge_id is None:
            already.append(student)
        else:
            sent.append(student)
            payload = {"nudge_id": nudge_id, "message_id": mail.new_message_id()}
            outbox.add(EMAIL_KIND, payload, key=f"nudge:{nudge_id}")
    if sent:
        notifications.notify(
            ctx.course,
            "nudge",
            {student.id for student in sent},
            actor_id=ctx.user.id,
            post=reading,
            detail="post your response",
            email=False,  # deliver() below sends the email, checked again when it goes
        )
        names = ", ".join(student.name for student in sent)
        record(ctx, "nudge", reading, detail=f"Reminded {len(sent)} to respond to “{reading.title}”: {names}")
    db.session.commit()
    return NudgeResult(sent=sent, already=already)


def _insert_once(ctx: CourseContext, reading: Post, student_id: int, day) -> int | None:
    """Insert today's nudge for this student unless one exists (a concurrent one included); its id, or None."""
    values = {
        "course_id": ctx.course.id,
        "reading_id": reading.id,
        "student_id": student_id,
        "sent_by_id": ctx.user.id,
        "day": day,
        "created_at": utcnow(),
    }
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Nudge)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["reading_id", "student_id", "day"])
        .returning(Nudge.id)
    )
    return db.session.execute(statement).scalar()


def deliver(nudge_id: int, message_id: str | None = None) -> None:
    """Send one nudge's email (run by the outbox), with `message_id` (chosen with the nudge). Checked again at send
    time: nothing goes to someone who left the course, or who responded meanwhile, or for a reading that is gone."""
    row = db.session.execute(
        select(Nudge, User, Post)
        .join(User, User.id == Nudge.student_id)
        .join(Post, Post.id == Nudge.reading_id)
        .where(Nudge.id == nudge_id)
    ).first()
    if row is None:
        return
    nudge, student, reading = row
    still_student = db.session.scalar(
        select(Membership.id).where(
            Membership.course_id == nudge.course_id,
            Membership.user_id == student.id,
            Membership.role == Role.STUDENT,
        )
    )
    responded = db.session.scalar(
        select(Post.id).where(
            Post.reading_id == reading.id,
            Post.author_id == student.id,
            Post.kind == PostKind.RESPONSE,
            Post.status == PostStatus.PUBLISHED,
            Post.deleted_at.is_(None),
        )
    )
    gone = reading.deleted_at is not None or not reading.is_published or reading.visibility != Visibility.VISIBLE
    if not still_student or responded or gone:
        return
    if not notifications.wants_email(student, nudge.course_id, "nudge"):
        return  # the student turned this email off (their notifications still show the reminder)
    # The worker has no request to build URLs from: the path comes from the URL map, the site from BASE_URL.
    path = current_app.url_map.bind("localhost").build(
        "posts.show", {"slug": reading.course.slug, "post_id": reading.id}
    )
    link = current_app.config["BASE_URL"].rstrip("/") + path
    # No request here: the student's own zone (else the course's) is passed to the template explicitly.
    zone = timezones.zone_name(student, reading.course)
    context = {"student": student, "reading": reading, "course": reading.course, "link": link, "time_zone": zone}
    mail.send_message(
        (student.display_name, student.email),
        f"Reminder: respond to “{reading.title}”",
        render_template("email/desk_nudge.txt", **context),
        render_template("email/desk_nudge.html", subject=f"Reminder: respond to “{reading.title}”", **context),
        unsubscribe_url=notifications.unsubscribe_url_for(student),
        message_id=message_id,
    )
