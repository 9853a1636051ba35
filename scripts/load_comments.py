"""A class commenting on one post at the deadline, through gunicorn: errors, lost and doubled comments, time.

    .venv/bin/python scripts/load_comments.py                                   # SQLite and PostgreSQL, 20 x 50
    .venv/bin/python scripts/load_comments.py --db postgresql --students 10 --comments 10 --pairs 5   # a quick look
    .venv/bin/python scripts/load_comments.py --redis-limits redis://127.0.0.1:6379/8 \
        --redis-queue redis://127.0.0.1:6379/9                              # limits and queue in Redis

For each database the script builds a fresh one with the migrations (a SQLite file in a temporary folder; on
PostgreSQL the database --pg-database, dropped and created again, and dropped at the end), with a course, its
instructor, one reading, STUDENTS students and two readers. It serves Board with gunicorn (4 sync workers, its
default 30 s worker timeout, on a free loopback port), logs every student in through the login form, and then:

1. the load: a Barrier releases the STUDENTS together, each posting COMMENTS comments on the reading, one after the
   other, as fast as the server answers, while the two readers load the reading's page over and over;
2. pairs: PAIRS rounds in which two students comment on the reading at the same moment, one round after the other.

It prints one row per database and phase: comments sent and saved, errors (any answer but the redirect to the new
comment, and connections the server dropped), lost (answered as saved, and not saved), doubled (saved twice or
more), whether posts.comment_count equals the real count, wall time, the writes' p50 and p95, and the p50 of the
reads during the load that were answered 200 (and how many were not). Everything runs on loopback and stops by
itself (no comment is sent after --deadline seconds). The posting limit is raised (the load is 50 comments a minute
per student, over Board's default). Notification preferences are the defaults: each comment tells the commenters
before it (in Board), so a comment costs what it costs in a busy thread.

The limits and the job queue are Board's defaults for one machine (limits per process, queue: none, since the
instructor takes no email) unless --redis-limits and --redis-queue name Redis databases, which are emptied before and
after: give databases nobody else uses. With a queue, the instructor is emailed at once of every comment (the job
waits in Redis; no worker runs).
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from statistics import median, quantiles

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from tests.concurrency import Gunicorn, Person

PASSWORD = "load-password"
SECRET_KEY = "load-secret-key-not-for-production"
WORKERS = 4
HIGH = "100000 per hour"
MAX_STUDENTS, MAX_COMMENTS, MAX_PAIRS = 100, 200, 100  # bounds: this is a measurement, not a flood


def build(url: str, students: int) -> dict:
    """Migrate an empty database and fill it: the course, its reading, the students and two readers."""
    from flask_migrate import upgrade

    from board import create_app
    from board.auth.services import hash_password
    from board.courses.services import create_course
    from board.extensions import db
    from board.models import Membership, Post, PostKind, PostStatus, Role, User, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "QUEUE_URL": "immediate"})
    with app.app_context():
        upgrade()
        password = hash_password(PASSWORD)

        def person(email: str, name: str) -> User:
            user = User(email=email, display_name=name, password_hash=password)
            db.session.add(user)
            return user

        instructor = person("instructor@example.edu", "Instructor")
        db.session.flush()
        course = create_course(instructor, title="Soviet History", code="HIST 3644", term="Spring", commit=False)
        people = [person(f"student{n}@example.edu", f"Student {n}") for n in range(students)]
        readers = [person(f"reader{n}@example.edu", f"Reader {n}") for n in range(2)]
        db.session.flush()
        db.session.add_all(Membership(course_id=course.id, user_id=u.id, role=Role.STUDENT) for u in people + readers)
        reading = Post(
            course_id=course.id,
            author_id=instructor.id,
            kind=PostKind.READING,
            title="The deadline reading",
            body_md="Comment here.",
            body_html="<p>Comment here.</p>",
            status=PostStatus.PUBLISHED,
            published_at=utcnow(),
        )
        db.session.add(reading)
        db.session.commit()
        place = {
            "app": app,
            "path": f"/c/{course.slug}/posts/{reading.id}",
            "post_id": reading.id,
            "students": [u.email for u in people],
            "readers": [u.email for u in readers],
            "instructor_id": instructor.id,
        }
        db.engine.dispose()
    return place


def saved(place: dict) -> tuple[Counter, bool]:
    """How many times each comment body was saved, and whether posts.comment_count is the real count."""
    from board.extensions import db
    from board.models import Comment, Post

    with place["app"].app_context():
        bodies = Counter(db.session.scalars(select(Comment.body_md).where(Comment.post_id == place["post_id"])))
        real = db.session.scalar(select(func.count()).where(Comment.post_id == place["post_id"]))
        kept = db.session.get(Post, place["post_id"]).comment_count
        db.session.remove()
        db.engine.dispose()
    return bodies, kept == real


class Tally:
    """The answers of one phase: (what was sent, status or the error, seconds)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writes: list[tuple[str, str, float]] = []
        self.reads: list[tuple[int | str, float]] = []

    def comment(self, person: Person, path: str, body: str) -> None:
        form = {"body": body, "submission_key": secrets.token_urlsafe(24)}
        started = time.monotonic()
        try:
            response = person.post(path + "/comments", form)
            ok = response.status == 302 and "#comment-" in (response.getheader("Location") or "")
            outcome = "ok" if ok else str(response.status)
        except (OSError, http.client.HTTPException) as error:  # a worker killed mid-request drops the connection
            outcome = type(error).__name__
        with self.lock:
            self.writes.append((body, outcome, time.monotonic() - started))


def log_in_all(server: Gunicorn, emails: list[str], token_page: str) -> list[Person]:
    people = [Person(server) for _ in emails]
    threads = [
        threading.Thread(target=lambda p=p, e=e: (p.login(e, PASSWORD), p.token_from(token_page)))
        for p, e in zip(people, emails, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(p.token for p in people), "a login failed"
    return people


def run_load(
    place: dict, people: list[Person], readers: list[Person], comments: int, tally: Tally, deadline: float
) -> float:
    start = threading.Barrier(len(people) + 1)
    go, done = threading.Event(), threading.Event()
    stop_at = time.monotonic() + deadline

    def write(n: int, person: Person) -> None:
        start.wait()
        for k in range(comments):
            if time.monotonic() > stop_at:
                return  # what was not sent is not counted; the row says how many were
            tally.comment(person, place["path"], f"Student {n}, comment {k}")

    def read(person: Person) -> None:
        go.wait()
        while not done.is_set():
            began = time.monotonic()
            try:
                status = person.get(place["path"]).status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            tally.reads.append((status, time.monotonic() - began))

    # Daemons: an interrupted run ends without waiting for them.
    writers = [threading.Thread(target=write, args=(n, p), daemon=True) for n, p in enumerate(people)]
    lookers = [threading.Thread(target=read, args=(p,), daemon=True) for p in readers]
    for thread in writers + lookers:
        thread.start()
    start.wait()
    go.set()
    began = time.monotonic()
    for thread in writers:
        thread.join()
    wall = time.monotonic() - began
    done.set()
    for thread in lookers:
        thread.join()
    return wall


def run_pairs(place: dict, people: list[Person], pairs: int, tally: Tally) -> float:
    began = time.monotonic()
    for round_ in range(pairs):
        pair = people[(2 * round_) % len(people)], people[(2 * round_ + 1) % len(people)]
        together = threading.Barrier(2)

        def send(k: int, person: Person, round_=round_, together=together) -> None:
            together.wait()
            tally.comment(person, place["path"], f"Pair {round_}, student {k}")

        threads = [threading.Thread(target=send, args=(k, p), daemon=True) for k, p in enumerate(pair)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return time.monotonic() - began


def row(database: str, phase: str, tally: Tally, bodies: Counter, count_right: bool, wall: float) -> dict:
    sent = [body for body, _, _ in tally.writes]
    outcomes = Counter(outcome for _, outcome, _ in tally.writes)
    times = sorted(seconds for _, _, seconds in tally.writes)
    errors = len(sent) - outcomes["ok"]
    return {
        "database": database,
        "phase": phase,
        "sent": len(sent),
        "errors": f"{errors} ({', '.join(f'{n} {o}' for o, n in outcomes.items() if o != 'ok')})" if errors else "0",
        "saved": sum(1 for body in sent if bodies[body]),
        "lost": sum(1 for body, outcome, _ in tally.writes if outcome == "ok" and bodies[body] == 0),
        "doubled": sum(1 for body in sent if bodies[body] > 1),
        "count right": "yes" if count_right else "NO",
        "wall s": f"{wall:.1f}",
        "write p50/p95 s": f"{median(times):.2f}/{quantiles(times, n=20)[-1]:.2f}" if len(times) > 1 else "-",
        "reads": _reads(tally.reads),
    }


def _reads(reads: list) -> str:
    """The p50 of the reads answered 200, how many there were, and how many were not."""
    good = [seconds for status, seconds in reads if status == 200]
    bad = len(reads) - len(good)
    if not reads:
        return "-"
    return (f"p50 {median(good):.2f} s of {len(good)}" if good else "none answered") + (
        f", {bad} failed" if bad else ""
    )


def empty_redis(urls) -> None:
    import redis

    for url in urls:
        store = redis.Redis.from_url(url)
        store.flushdb()
        store.close()


def measure(database: str, url: str, options, log_dir: Path) -> list[dict]:
    place = build(url, options.students)
    redis_urls = [u for u in (options.redis_limits, options.redis_queue) if u]
    empty_redis(redis_urls)
    env = {
        "POSTING_RATE_LIMIT": HIGH,
        "LOGIN_RATE_LIMIT": HIGH,
        "RATELIMIT_STORAGE_URI": options.redis_limits or "memory://",
        "QUEUE_URL": options.redis_queue or "immediate",
    }
    if not options.redis_queue:
        _no_email_for(place)
    log_dir.mkdir(parents=True, exist_ok=True)
    server = Gunicorn(url, SECRET_KEY, log_dir, workers=WORKERS, env=env, timeout=30)
    rows = []
    try:
        students = log_in_all(server, place["students"], place["path"])
        readers = log_in_all(server, place["readers"], place["path"])
        load = Tally()
        wall = run_load(place, students, readers, options.comments, load, options.deadline)
        bodies, right = saved(place)
        rows.append(row(database, f"{options.students} x {options.comments}", load, bodies, right, wall))
        print(rows[-1], file=sys.stderr, flush=True)
        if options.pairs:
            pairs = Tally()
            wall = run_pairs(place, students, options.pairs, pairs)
            bodies, right = saved(place)
            rows.append(row(database, f"{options.pairs} pairs", pairs, bodies, right, wall))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        server.stop()
        empty_redis(redis_urls)
    log = (log_dir / "error.log").read_text()
    for marker in ("deadlock detected", "WORKER TIMEOUT", "database is locked"):
        if marker in log:
            print(f"  {database}: gunicorn's log has {log.count(marker)} x {marker!r}", file=sys.stderr)
    return rows


def _no_email_for(place: dict) -> None:
    from board.extensions import db
    from board.models import User

    with place["app"].app_context():
        db.session.get(User, place["instructor_id"]).email_notifications = False
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--comments", type=int, default=50, help="by each student (default 50)")
    parser.add_argument("--pairs", type=int, default=20, help="rounds of two students at once (default 20; 0: none)")
    parser.add_argument("--deadline", type=float, default=600, help="seconds after which no more comments are sent")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server (no db name)")
    parser.add_argument("--pg-database", default="board_load_comments", help="dropped, created and dropped again")
    parser.add_argument("--redis-limits", help="a Redis database for the limits (emptied)")
    parser.add_argument("--redis-queue", help="a Redis database for the job queue (emptied)")
    options = parser.parse_args()
    backends = [b.strip() for b in options.db.split(",") if b.strip()]
    if any(b not in ("sqlite", "postgresql") for b in backends):
        parser.error("--db takes sqlite and postgresql")
    if not (2 <= options.students <= MAX_STUDENTS and 1 <= options.comments <= MAX_COMMENTS):
        parser.error(f"2 to {MAX_STUDENTS} students, 1 to {MAX_COMMENTS} comments each")
    if not 0 <= options.pairs <= MAX_PAIRS:
        parser.error(f"0 to {MAX_PAIRS} pairs")
    os.environ.pop("DATABASE_URL", None)

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for backend in backends:
            if backend == "sqlite":
                rows += measure("SQLite", f"sqlite:///{scratch / 'load.sqlite3'}", options, scratch / "sqlite")
            else:
                admin = f"{options.pg}/postgres"
                database = options.pg_database
                for sql in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
                    subprocess.run(["psql", "-q", admin, "-c", sql], check=True)
                try:
                    url = f"{options.pg}/{database}".replace("postgresql://", "postgresql+psycopg://", 1)
                    rows += measure("PostgreSQL", url, options, scratch / "postgresql")
                finally:
                    subprocess.run(["psql", "-q", admin, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])

    columns = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)))


if __name__ == "__main__":
    main()
