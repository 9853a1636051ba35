"""A class for the desk's tests: one student for each case the numbers must get right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from board.desk.models import Grade
from board.extensions import db
from board.models import Award, AwardType, Course, Post, PostLike, Role, User, Visibility, utcnow
from tests import factories

DAY = 24 * 60  # minutes


@dataclass
class Klass:
    course: Course
    instructor: User
    assistant: User
    students: dict[str, User]
    reading: Post
    later: Post  # a second reading, due in the future, answered by one student
    responses: dict[str, Post]

    @property
    def url(self) -> str:
        return f"/c/{self.course.slug}"


# What the desk must say about each student for `reading` (status, given, given by the reply due date, received,
# likes, awards, replies checkpoint, points).
EXPECTED = {
    "ada": ("on time", 2, 2, 3, 1, 1, "met", 9.0),
    "ben": ("late", 2, 0, 1, 0, 0, "late", 6.5),
    "cy": ("missing", 1, 1, 0, 0, 0, "short", None),
    "di": ("missing (deleted)", 0, 0, 0, 0, 0, "short", None),
    "ed": ("on time (held)", 0, 0, 0, 0, 0, "short", None),
    "flo": ("on time (hidden)", 0, 0, 0, 0, 0, "short", None),
    "gus": ("on time", 1, 1, 3, 0, 0, "short", None),  # received: Ada's, Ben's and the instructor's
}


def build_class() -> Klass:
    course = factories.course(factories.user("Iris Instructor"))
    course.allow_anonymous = True
    instructor = factories.instructor_of(course)
    assistant = factories.member(course, Role.ASSISTANT, "Asa Assistant")
    students = {
        key: factories.member(course, Role.STUDENT, name)
        for key, name in [
            ("ada", "Ada Ontime"),
            ("ben", "Ben Late"),
            ("cy", "Cy Missing"),
            ("di", "Di Deleted"),
            ("ed", "Ed Held"),
            ("flo", "Flo Hidden"),
            ("gus", "Gus Anonymous"),
        ]
    }
    now = utcnow()
    due = now - timedelta(days=3)
    reading = factories.reading(
        course,
        title="The reading",
        due_at=due,
        reply_due_at=now - timedelta(days=1),
        required_replies=2,
        max_points=10,
    )
    later = factories.reading(course, title="Later reading", due_at=now + timedelta(days=4))

    def respond(key, published_at, **fields):
        return factories.response(
            course,
            students[key],
            reading,
            title=f"{key.title()}'s response",
            body="word " * (10 + len(key)),
            published_at=published_at,
            **fields,
        )

    responses = {
        "ada": respond("ada", due - timedelta(hours=1)),
        "ben": respond("ben", due + timedelta(hours=5)),
        "di": respond("di", due - timedelta(hours=2), deleted_at=now - timedelta(days=2)),
        "ed": respond("ed", due - timedelta(hours=3), visibility=Visibility.HELD),
        "flo": respond("flo", due - timedelta(hours=4), visibility=Visibility.HIDDEN, hidden_reason="Off topic"),
        "gus": respond("gus", due - timedelta(hours=5), anonymous=True),
    }
    factories.response(course, students["ada"], later, title="Ada early on the later reading")
    # A second, later response by Ada does not replace her first.
    respond("ada", due + timedelta(days=1))

    def say(on, by, minutes, **fields):
        factories.comment(responses[on], students[by], f"{by} on {on}", minutes=minutes, **fields)

    before_reply_due, after_reply_due = -2 * DAY, -60
    say("ben", "ada", before_reply_due)
    say("gus", "ada", before_reply_due)
    say("ada", "ada", before_reply_due)  # on her own response: neither given nor received
    say("ada", "ben", after_reply_due)
    say("gus", "ben", after_reply_due)
    say("ada", "gus", before_reply_due)
    say("ada", "cy", before_reply_due)
    say("ada", "flo", before_reply_due, visibility=Visibility.HELD)  # held: not counted
    say("ada", "di", before_reply_due, deleted_at=now)  # deleted: not counted
    say("di", "ada", before_reply_due)  # on a deleted response: not counted
    factories.comment(responses["gus"], instructor, "Staff comment", minutes=before_reply_due)
    award_type = AwardType(course_id=course.id, name="Sharp Question", badge="lightbulb")
    db.session.add(award_type)
    db.session.flush()
    db.session.add(Award(post_id=responses["ada"].id, award_type_id=award_type.id, given_by_id=instructor.id))
    db.session.add(PostLike(post_id=responses["ada"].id, user_id=students["ben"].id))
    for key, points in (("ada", 9.0), ("ben", 6.5)):
        db.session.add(
            Grade(
                course_id=course.id,
                reading_id=reading.id,
                student_id=students[key].id,
                points=points,
                grader_id=instructor.id,
            )
        )
    db.session.commit()
    return Klass(course, instructor, assistant, students, reading, later, responses)
