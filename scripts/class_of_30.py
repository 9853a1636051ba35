"""Build the class of 30 the weekly-loop issue was tried with, for looking and measuring (not a test).

Usage: DATABASE_URL=sqlite:///… python scripts/class_of_30.py   (after `flask --app board db upgrade`)

It creates the course `class-30` (instructor teacher@example.edu, students s01…s30@example.edu, all with the password
demo-password), built through Board's own services as the pages would build it:
- "Week 1: Solzhenitsyn" (published two weeks ago): 30 responses, a few comments each;
- "Week 2: Ginzburg" (this week: due tomorrow 11:59 PM in America/New_York, 10 points, 100 words to unlock,
  2 required replies): 27 responses (s01…s27; s27's has 12 words), s28…s30 have not written;
- one thread of 36 comments, nested up to four deep, on s01's Week 2 response.
A second run changes nothing.
"""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from board import create_app
from board.access import CourseContext
from board.auth import services as accounts
from board.courses import services as courses
from board.extensions import db
from board.models import Course, Membership, Role, utcnow
from board.posts import services as posts

PASSWORD = "demo-password"
SLUG = "class-30"
WORDS = (
    "The camp economy depended on the labour of prisoners who built the barracks they slept in, and the memoir "
    "returns again and again to the question of what a person keeps when everything is taken. "
)


def long_text(n: int, who: int) -> str:
    words = (WORDS * 8).split()
    return f"Student {who} writes: " + " ".join(words[:n])


def context(course: Course, user) -> CourseContext:
    membership = db.session.scalar(
        select(Membership).where(Membership.course_id == course.id, Membership.user_id == user.id)
    )
    return CourseContext(course=course, membership=membership, user=user)


def build() -> None:
    if db.session.scalar(select(Course).where(Course.slug == SLUG)) is not None:
        print(f"{SLUG} already exists; nothing to do")
        return
    teacher = accounts.find_user("teacher@example.edu") or accounts.create_user(
        "teacher@example.edu", "Prof. Teacher", PASSWORD
    )
    course = courses.create_course(teacher, title="The Gulag in Memoir", code="HIST 3650", term="Fall", slug=SLUG)
    students = []
    for i in range(1, 31):
        email = f"s{i:02d}@example.edu"
        user = accounts.find_user(email) or accounts.create_user(email, f"Student {i:02d}", PASSWORD)
        courses.add_member(course, user, Role.STUDENT)
        students.append(user)
    db.session.commit()
    staff = context(course, teacher)
    eastern = ZoneInfo("America/New_York")
    tomorrow = (utcnow().astimezone(eastern) + timedelta(days=1)).date()
    due = datetime.combine(tomorrow, time(23, 59), eastern).astimezone(ZoneInfo("UTC"))
    week1 = posts.create_reading(
        staff, title="Week 1: Solzhenitsyn", body=long_text(400, 0), week="Week 1", publish=True
    )
    week1.published_at = utcnow() - timedelta(days=14)
    week2 = posts.create_reading(
        staff,
        title="Week 2: Ginzburg, Journey into the Whirlwind",
        body="\n\n".join(long_text(160, 0) for _ in range(6)),
        prompt="What did Ginzburg keep? Write at least 100 words, then reply to two classmates.",
        week="Week 2",
        publish=True,
        due_at=due,
        reply_due_at=due + timedelta(days=2),
        responses_hidden_until_posted=True,
        unlock_min_words=100,
        required_replies=2,
        max_points=10,
    )
    db.session.commit()
    for i, student in enumerate(students, start=1):
        ctx = context(course, student)
        posts.create_response(ctx, week1, title=f"On Solzhenitsyn ({i})", body=long_text(180, i), publish=True)
        if i <= 27:
            words = 12 if i == 27 else 150 + i
            posts.create_response(ctx, week2, title=f"What Ginzburg kept ({i})", body=long_text(words, i), publish=True)
    thread = db.session.scalars(select(posts.Post).where(posts.Post.reading_id == week2.id).order_by("id")).first()
    previous = top = None
    for n in range(36):
        author = students[(n * 7 + 3) % 26 + 1]
        if n % 4 == 0:
            parent = None  # every fourth comment starts a branch
        else:
            parent = previous if previous.depth < 4 else top
        previous = posts.add_comment(
            context(course, author), thread, f"Comment {n + 1}: " + long_text(40 + n, n), parent=parent
        )
        top = previous if parent is None else top
    print(f"built {SLUG}: 30 students, 2 readings, 57 responses, a 36-comment thread on post {thread.id}")


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        build()
    sys.exit(0)
