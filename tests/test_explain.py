"""With a realistic amount of data (50,000 comments on 1,000 responses, statistics gathered), no page's query reads
the whole comments or posts table: every page finds its rows through an index, so it stays fast at any size.

Each page is loaded as a student and as the instructor; every SELECT it ran is EXPLAINed with its own parameters.
On PostgreSQL a plan fails on a "Seq Scan" of comments or posts; on SQLite (EXPLAIN QUERY PLAN) on a "SCAN" of
them, which is SQLite's word for reading a whole table or a whole index rather than searching it.
"""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, insert, select, text

from board.extensions import db
from board.models import (
    AuditEntry,
    Award,
    AwardType,
    Comment,
    CommentLike,
    Membership,
    Post,
    PostKind,
    PostStatus,
    Role,
    User,
    Visibility,
    recount_comments,
    utcnow,
)
from board.notifications.models import Notification
from tests import factories

COMMENTS = 50_000  # in each of two courses
RESPONSES = 1_000  # in the course the pages show; the other course has four times as many
READINGS = 20
_seq = itertools.count(1)


def _ids(model, **where) -> list[int]:
    query = select(model.id).order_by(model.id)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return list(db.session.scalars(query))


def _fill(course, instructor, student, *, responses: int, comments: int) -> dict:
    """Bulk-insert a course's readings, responses, comments, awards and audit log (executemany through Core, so it
    takes seconds)."""
    start = utcnow() - timedelta(days=60)
    tag = next(_seq)
    db.session.execute(
        insert(User),
        [{"email": f"bulk{tag}-{n}@example.edu", "display_name": f"Classmate {n}"} for n in range(30)],
    )
    people = list(db.session.scalars(select(User.id).where(User.email.like(f"bulk{tag}-%"))))
    db.session.execute(
        insert(Membership), [{"course_id": course.id, "user_id": p, "role": Role.STUDENT} for p in people]
    )
    post = {"course_id": course.id, "status": PostStatus.PUBLISHED, "body_md": "Text", "body_html": "<p>Text</p>"}
    db.session.execute(
        insert(Post),
        [
            post
            | {
                "author_id": instructor.id,
                "kind": PostKind.READING,
                "title": f"Reading {n}",
                "week": f"Week {n}",
                "responses_hidden_until_posted": n == 0,
                "created_at": start,
                "published_at": start,
            }
            for n in range(READINGS)
        ],
    )
    readings = _ids(Post, kind=PostKind.READING, course_id=course.id)
    db.session.execute(
        insert(Post),
        [
            post
            | {
                "author_id": student.id if n % 50 == 0 else people[n % len(people)],
                "kind": PostKind.RESPONSE,
                "reading_id": readings[n % READINGS],
                "title": f"Response {n}",
                "word_count": 300,
                "visibility": Visibility.HELD if n % 40 == 7 else Visibility.VISIBLE,
                "anonymous": n % 9 == 4,
                "created_at": start + timedelta(minutes=n),
                "published_at": start + timedelta(minutes=n),
            }
            for n in range(responses)
        ],
    )
    response_ids = _ids(Post, kind=PostKind.RESPONSE, course_id=course.id)
    db.session.execute(
        insert(Comment),
        [
            {
                "course_id": course.id,
                "post_id": response_ids[n % responses],
                "author_id": people[n % len(people)],
                "body_md": f"Comment {n}",
                "body_html": f"<p>Comment {n}</p>",
                "visibility": Visibility.HELD if n % 25 == 3 else Visibility.VISIBLE,
                "created_at": start + timedelta(seconds=60 * n),
                "deleted_at": start if n % 60 == 5 else None,
            }
            for n in range(comments)
        ],
    )
    liked = db.session.scalars(select(Comment.id).where(Comment.post_id == response_ids[0])).all()
    db.session.execute(insert(CommentLike), [{"comment_id": c, "user_id": p} for c in liked for p in people[:5]])
    award_type = AwardType(course_id=course.id, name="Insight", badge="lightbulb")
    db.session.add(award_type)
    db.session.flush()
    db.session.execute(
        insert(Award),
        [
            {"post_id": p, "award_type_id": award_type.id, "given_by_id": instructor.id, "created_at": start}
            for p in response_ids[::10]
        ],
    )
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "course_id": course.id,
                "actor_id": instructor.id,
                "action": "approve",
                "subject_type": "comment",
                "subject_id": n,
                "created_at": start + timedelta(minutes=n),
            }
            for n in range(2_000)
        ],
    )
    recount_comments(db.session.connection(), response_ids)  # Core inserts bypass the ORM hook that keeps counts
    db.session.commit()
    return {"reading": readings[1], "gated": readings[0], "response": response_ids[0], "classmate": people[0]}


def _analyze() -> None:
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


@contextmanager
def _selects():
    """Collect the SELECT statements run inside the block, with their parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _full_scans(statement: str, parameters) -> list[str]:
    """The whole-table reads of comments or posts in the plan of `statement`."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
            return [
                f"{node['Node Type']} on {node['Relation Name']}"
                for node in _nodes(plan[0]["Plan"])
                if node.get("Relation Name") in ("comments", "posts") and _reads_everything(node)
            ]
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        scans = [row[3] for row in rows if re.match(r"SCAN (comments|posts)\b", row[3])]
        return scans + _materialized_joins(rows)


def _materialized_joins(rows) -> list[str]:
    """SQLite's MATERIALIZE of a join (an eager load's nested "comments JOIN users") that reaches comments or posts:
    the whole join is built first, by walking one table (SCAN users) and searching the other for each row, so every
    comment is read even though the step itself says SEARCH."""
    children: dict[int, list] = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)

    def under(node_id: int):
        for child in children.get(node_id, []):
            yield child
            yield from under(child[0])

    found = []
    for row in rows:
        if row[3].startswith("MATERIALIZE (join"):
            steps = [child[3] for child in under(row[0])]
            if any(re.match(r"SEARCH (comments|posts)\w*\b", step) for step in steps):
                found.append(f"{row[3]}: " + "; ".join(steps))
    return found


def _reads_everything(node: dict) -> bool:
    """A sequential scan; on comments also an index scan with no condition (the whole index, in its order).

    (Posts are left that one freedom: the planner rightly reads a small partial index, or the primary key of a
    table of a few thousand posts, whole.)
    """
    if node["Node Type"] == "Seq Scan":
        return True
    whole_index = node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
    return whole_index and node["Relation Name"] == "comments"


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_no_page_reads_a_whole_table_of_comments_or_posts(make_visitor):
    instructor = factories.user("Instructor")
    course = factories.course(instructor)
    student = factories.member(course, Role.STUDENT, "Student")
    ids = _fill(course, instructor, student, responses=RESPONSES, comments=COMMENTS)
    # A site has other courses: without them "this course's posts" would be the whole table, and reading it all
    # would be the right plan.
    other = factories.course(factories.user("Other instructor"), title="Another course")
    _fill(other, factories.instructor_of(other), factories.member(other), responses=4 * RESPONSES, comments=COMMENTS)
    # Notifications on comments and posts for both people: loading a notification's comment with its author made
    # SQLite build the whole comments-join-users result first (seconds at a million comments; the class mix found it).
    recent = select(Comment.id).where(Comment.course_id == course.id).order_by(Comment.id.desc()).limit(30)
    some_comments = db.session.scalars(recent).all()  # notifications are about recent comments
    db.session.execute(
        insert(Notification),
        [
            {
                "user_id": person.id,
                "course_id": course.id,
                "kind": "comment",
                "actor_id": ids["classmate"],
                "post_id": ids["response"],
                "comment_id": comment_id,
            }
            for person in (student, instructor)
            for comment_id in some_comments
        ],
    )
    db.session.commit()
    _analyze()
    base = f"/c/{course.slug}"
    pages = {
        student: [
            "/courses",  # the dashboard counts what is new in every course
            "/notifications",
            f"{base}/",
            f"{base}/posts/{ids['reading']}",
            f"{base}/posts/{ids['gated']}",
            f"{base}/posts/{ids['response']}",
            f"{base}/people/{ids['classmate']}",
            f"{base}/awards",
            f"{base}/search?q=comment",  # in every comment: the newest matches, walked in order
            f"{base}/search?q=reading+or+response&kind=response",
        ],
        instructor: [
            "/courses",
            "/notifications",
            f"{base}/",
            f"{base}/posts/{ids['reading']}",
            f"{base}/people/{ids['classmate']}",
            f"{base}/moderation",
            f"{base}/audit",
            f"{base}/search?q=comment",
        ],
    }
    problems = []
    for person, urls in pages.items():
        visitor = make_visitor(person)
        for url in urls:
            with _selects() as statements:
                response = visitor.get(url)
            assert response.status_code == 200, url
            older = re.search(r'href="([^"]*before=[^"]*)"', response.get_data(as_text=True))
            if older:  # the second page of a paginated list seeks by its cursor: that plan counts too
                with _selects() as more:
                    assert visitor.get(older.group(1).replace("&amp;", "&")).status_code == 200
                statements += more
            for statement, parameters in statements:
                problems += [
                    f"{url} ({person.display_name}): {scan}\n  {statement}"
                    for scan in _full_scans(statement, parameters)
                ]
    assert not problems, "\n".join(problems)
