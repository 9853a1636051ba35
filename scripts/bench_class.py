"""The class course of the benchmark's data (bench.py's "bench-small"): its students and ids, and putting it back as
built before each class-mix run (scripts/bench_mix.py), since the mix writes comments, likes and read marks."""

from __future__ import annotations

from dataclasses import dataclass, field

import bench
from sqlalchemy import create_engine, select, text


@dataclass
class Student:
    id: int
    email: str
    cookies: dict = field(default_factory=dict)
    token: str = ""


@dataclass
class Targets:
    """The class course's ids, read from the database."""

    slug: str
    course_id: int
    readings: list
    responses: list  # (id, title); the first is the 200-comment thread
    students: list
    comments: list  # ids of the spread comments (solo likes)
    authors: dict = field(default_factory=dict)  # ("posts" or "comments", id): author id

    @classmethod
    def load(cls, url: str) -> Targets:
        from board.models import Comment, Course, Post, User

        engine = create_engine(url)
        with engine.connect() as conn:
            course = conn.scalar(select(Course.id).where(Course.slug == "bench-small"))
            posts = conn.execute(
                select(Post.id, Post.title, Post.kind, Post.author_id).where(Post.course_id == course).order_by(Post.id)
            )
            posts = posts.all()
            emails = ["bench-student@example.edu"] + [
                f"bench-classmate{n}@example.edu" for n in range(bench.CLASSMATES)
            ]
            people = dict(conn.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
            comments = conn.execute(
                select(Comment.id, Comment.author_id).where(
                    Comment.course_id == course, Comment.body_md.like("Comment number%")
                )
            ).all()
        engine.dispose()
        return cls(
            "bench-small",
            course,
            [(i, t) for i, t, k, _ in posts if k == "reading"],
            [(i, t) for i, t, k, _ in posts if k == "response"],
            [Student(people[e], e) for e in emails],
            [i for i, _ in comments],
            {("posts", i): a for i, _, _, a in posts} | {("comments", i): a for i, a in comments},
        )


def reset(url: str, t: Targets) -> None:
    """The class course as built: no comment of the mix, the seeded likes, half the responses read by each student."""
    from board.models import recount_comments

    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    stamp = bench.datetime.now(bench.UTC) - bench.timedelta(days=60)
    stamp = stamp if postgres else bench._sqlite_time(stamp)
    c = {"c": t.course_id}
    with engine.begin() as conn:
        for table in ("notifications", "mention_notices", "watches", "outbox", "post_reads", "user_sessions"):
            conn.execute(text(f"DELETE FROM {table}"))
        ours = "SELECT id FROM comments WHERE course_id = :c"
        conn.execute(text(f"DELETE FROM comment_likes WHERE comment_id IN ({ours})"), c)
        conn.execute(text(f"{ours.replace('SELECT id', 'DELETE')} AND body_md LIKE 'Mix comment%'"), c)
        conn.execute(text("DELETE FROM post_likes WHERE post_id IN (SELECT id FROM posts WHERE course_id = :c)"), c)
        classmates = [s.id for s in t.students[1:]]
        thread = conn.scalars(text("SELECT id FROM comments WHERE post_id = :p ORDER BY id"), {"p": t.responses[0][0]})
        post_likes, comment_likes = bench.class_likes(conn, t.course_id)
        comment_likes += bench.thread_likes(list(thread), classmates)
        for table, column, rows in (
            ("post_likes", "post_id", post_likes),
            ("comment_likes", "comment_id", comment_likes),
        ):
            statement = text(f"INSERT INTO {table} ({column}, user_id, created_at) VALUES (:i, :u, :at)")
            conn.execute(statement, [{"i": i, "u": u, "at": stamp} for i, u in rows])
        recount_comments(conn, [i for i, _ in t.readings + t.responses])
        last = dict(
            conn.execute(text("SELECT post_id, MAX(id) FROM comments WHERE course_id = :c GROUP BY post_id"), c).all()
        )
        reads = [
            {"u": s.id, "p": p, "l": last.get(p, 0), "at": stamp}
            for i, s in enumerate(t.students)
            for j, (p, _) in enumerate(t.responses)
            if (i + j) % 2 == 0
        ]
        columns = "user_id, post_id, last_comment_id, read_at"
        conn.execute(text(f"INSERT INTO post_reads ({columns}) VALUES (:u, :p, :l, :at)"), reads)
    engine.dispose()
