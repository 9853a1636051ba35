"""Benchmark Board's pages under gunicorn with wrk, against a bare Flask "hello" served the same way.

Two modes:
- single page (the default): one URL asked again and again with one cookie (wrk), page by page. With the page cache
  on (board/pagecache/) this measures mostly a kept page served again, not a class's use of the board.
- class mix (`--mix class`, scripts/bench_mix.py): 40 students logged in through the form, 8 at a time, browsing,
  reading, commenting and liking in a class course in proportions a class does; see that module's docstring.

    .venv/bin/python scripts/bench.py                                  # everything (the 1M-comment data is cached)
    .venv/bin/python scripts/bench.py --db sqlite --scale 10000 --pages home,response --duration 5   # about a minute
    .venv/bin/python scripts/bench.py --pages home,response --repeat 5    # medians of 5 alternating runs a page

Single-page mode. For each database (SQLite, PostgreSQL) and each scale (10,000 and 1,000,000 comments in one big course), the script
builds the data once with bulk inserts (cached: SQLite files in instance/bench/, PostgreSQL databases named
board_bench_<scale> on the server given by --pg), serves Board with gunicorn (2 sync workers), logs in as a student
through the real login form, checks that every page answers 200 with its full content, loads each page with wrk and
prints one table: requests per second, p50 and p95 latency, the workers' CPU time per request, the ratio to "hello"'s
requests per second (hello is measured just before each page, and its rate is in the page's row), the SQL queries one request runs (counted in this process) and the HTML size.

The page cache (board/pagecache/) is on, as in production, so wrk's repeated requests measure kept pages; run with
PAGE_CACHE_BYTES=0 in the environment to measure building every page. The queries column always counts building one.

The data in every database: a class course ("bench-small": 40 students, 4 readings, 120 responses, 3,000 comments of
which a third are replies, one response with 200 threaded comments, likes on posts and comments) and a big course (2,000 responses to 20 readings, the scale's comments spread over them, one response with
the same 200 threaded comments), so the small course's pages measure a normal class and the big course's pages show
whether a page's cost follows the size of the database (it should not).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, select, text, update

MARKER = "board-bench data v3"  # in the big course's description: the cached data is complete and of this shape
PASSWORD = "bench-password"
USER_AGENT = "board-bench/1 (wrk)"  # the same for login and load, so a session bound to its browser stays valid
SECRET_KEY = "bench-secret-key-not-for-production"
CLASSMATES = 39  # with the bench student, a class of 40
CLASS = {"readings": 4, "responses": 120, "comments": 3000}  # the class course (bench-small)
THREAD = 200  # comments on each course's "long thread" response
PAGES = {
    # name: (course, what, the text the full page must contain)
    "home": ("small", "home", "Latest responses"),
    "response": ("small", "thread", f"Comment {THREAD - 1} "),
    "big-home": ("big", "home", "Latest responses"),
    "big-reading": ("big", "reading", "Responses"),
    "big-response": ("big", "thread", f"Comment {THREAD - 1} "),
    "big-person": ("big", "person", "Comments"),
    # Search (board/search/): a selective query (the 200 comments of the long thread) and a broad one that matches
    # every spread comment of the course (its cost follows the number of matches, which the ranking must score).
    "search": ("small", "search", "data-hit="),
    "big-search": ("big", "search", "data-hit="),
    "big-search-broad": ("big", "search-broad", "data-hit="),
    # Private Atom feeds (board/feeds/): the student's feed of the long thread's comments, and of the big course.
    "feed": ("small", "feed-comments", "<feed"),
    "big-feed": ("big", "feed-course", "<feed"),
}
HELLO_APP = """from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""
WRK_REPORT = """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


# Data ------------------------------------------------------------------------------------------------------------


def _sqlite_time(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (raw inserts bypass its type)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Loader:
    """Bulk inserts through the driver: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def rows(self, table: str, columns: list[str], rows) -> None:
        """Insert `rows` (tuples in `columns` order; datetimes aware) into `table`, in chunks."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                chunk = []
                for row in rows:
                    chunk.append(tuple(_sqlite_time(v) if isinstance(v, datetime) else v for v in row))
                    if len(chunk) == 50_000:
                        cursor.executemany(statement, chunk)
                        chunk = []
                cursor.executemany(statement, chunk)
            raw.commit()
        finally:
            raw.close()


def build(engine, scale: int) -> None:
    """Create both courses with `scale` comments in the big one (the schema must exist and be empty)."""
    from board.auth.services import hash_password
    from board.models import Comment, Course, Membership, Post, User

    load = Loader(engine)
    now = datetime.now(UTC)
    start = now - timedelta(days=120)
    password = hash_password(PASSWORD)
    with engine.begin() as conn:
        people = [("bench-instructor@example.edu", "Professor Bench"), ("bench-student@example.edu", "Sam Student")]
        people += [(f"bench-classmate{n}@example.edu", f"Classmate {n}") for n in range(CLASSMATES)]
        conn.execute(
            insert(User),
            [{"email": e, "display_name": d, "password_hash": password, "created_at": start} for e, d in people],
        )
        ids = dict(conn.execute(select(User.email, User.id)).all())
        instructor, student = ids[people[0][0]], ids[people[1][0]]
        classmates = [ids[e] for e, _ in people[2:]]
        courses = {}
        for slug, title, description in (
            ("bench-small", "Bench: a class", ""),
            ("bench-big", "Bench: a very large class", ""),
        ):
            courses[slug] = conn.execute(
                insert(Course).returning(Course.id),
                {
                    "slug": slug,
                    "title": title,
                    "code": "BENCH 1",
                    "description": description,
                    "student_join_code": f"{slug}-s",
                    "assistant_join_code": f"{slug}-a",
                    "created_at": start,
                },
            ).scalar_one()
            conn.execute(
                insert(Membership),
                [{"course_id": courses[slug], "user_id": instructor, "role": "instructor", "created_at": start}]
                + [
                    {"course_id": courses[slug], "user_id": p, "role": "student", "created_at": start}
                    for p in [student, *classmates]
                ],
            )

    def posts(course_id: int, readings: int, responses: int) -> tuple[list[int], list[int]]:
        body = "<p>" + "A reading of the sources, with some thoughts on what they leave out. " * 6 + "</p>"
        reading_rows = [
            (
                course_id,
                instructor,
                "reading",
                None,
                f"Reading {n}",
                "Read it.",
                "<p>Read it.</p>",
                2,
                f"Week {n}",
                "published",
                start,
                start,
                start,
            )
            for n in range(readings)
        ]
        columns = [
            "course_id",
            "author_id",
            "kind",
            "reading_id",
            "title",
            "body_md",
            "body_html",
            "word_count",
            "week",
            "status",
            "created_at",
            "updated_at",
            "published_at",
        ]
        defaults = [
            "source",
            "prompt",
            "prompt_html",
            "pinned",
            "responses_hidden_until_posted",
            "unlock_min_words",
            "visibility",
            "hidden_reason",
            "comments_locked",
            "anonymous",
        ]
        extra = ("", "", "", False, False, 0, "visible", "", False, False)
        load.rows("posts", columns + defaults, (row + extra for row in reading_rows))
        with engine.connect() as conn:
            reading_ids = list(
                conn.scalars(
                    select(Post.id).where(Post.course_id == course_id, Post.kind == "reading").order_by(Post.id)
                )
            )
        step = (now - start) / (responses + 1)
        response_rows = (
            (
                course_id,
                student if n % 25 == 0 else classmates[n % CLASSMATES],
                "response",
                reading_ids[n % readings],
                f"Response {n}",
                "Thoughts.",
                body,
                60,
                "",
                "published",
                start + step * n,
                start + step * n,
                start + step * n,
            )
            + extra
            for n in range(responses)
        )
        load.rows("posts", columns + defaults, response_rows)
        with engine.connect() as conn:
            response_ids = list(
                conn.scalars(
                    select(Post.id).where(Post.course_id == course_id, Post.kind == "response").order_by(Post.id)
                )
            )
        return reading_ids, response_ids

    comment_columns = [
        "course_id",
        "post_id",
        "author_id",
        "parent_id",
        "depth",
        "body_md",
        "body_html",
        "visibility",
        "hidden_reason",
        "anonymous",
        "created_at",
    ]

    def thread(course_id: int, post_id: int) -> None:
        """THREAD comments on one post: replies to replies (deeper than the shown depth), some liked."""
        moment = now - timedelta(days=1)
        with engine.begin() as conn:
            made: list[tuple[int, int]] = []  # (id, depth)
            for n in range(THREAD):
                parent = None if n % 8 == 0 else made[n - 1] if n % 8 < 7 else made[n - 7]
                text_ = f"Comment {n} in a long thread, answering what came before."
                made.append(
                    (
                        conn.execute(
                            text(
                                "INSERT INTO comments (course_id, post_id, author_id, parent_id, depth, body_md, body_html,"
                                " visibility, hidden_reason, anonymous, created_at) VALUES (:c, :p, :a, :parent, :d, :t,"
                                " :h, 'visible', '', :anon, :at) RETURNING id"
                            ),
                            {
                                "c": course_id,
                                "p": post_id,
                                "a": classmates[n % CLASSMATES],
                                "parent": parent[0] if parent else None,
                                "d": parent[1] + 1 if parent else 1,
                                "t": text_,
                                "h": f"<p>{text_} </p>",
                                "anon": False,
                                "at": _sqlite_time(moment + timedelta(seconds=n))
                                if not load.postgres
                                else moment + timedelta(seconds=n),
                            },
                        ).scalar_one(),
                        parent[1] + 1 if parent else 1,
                    )
                )
        likes = thread_likes([cid for cid, _ in made], classmates)
        load.rows("comment_likes", ["comment_id", "user_id", "created_at"], (row + (start,) for row in likes))

    def spread(course_id: int, others: list[int], count: int, replies: bool) -> None:
        """`count` comments over the posts `others`, round after round; with `replies`, every third round answers
        the round before it (depth 2)."""
        step = (now - start) / (count + 1)

        def row(n: int, parent: int | None) -> tuple:
            text_ = f"Comment number {n}."
            author = classmates[n % CLASSMATES]
            at = start + step * n
            where = others[n % len(others)]
            return (
                course_id,
                where,
                author,
                parent,
                2 if parent else 1,
                text_,
                f"<p>{text_}</p>",
                "visible",
                "",
                False,
                at,
            )

        def answers(n: int) -> bool:
            return replies and (n // len(others)) % 3 == 1

        load.rows("comments", comment_columns, (row(n, None) for n in range(count) if not answers(n)))
        if not replies:
            return
        with engine.connect() as conn:  # the rows just inserted, in order (one writer, fresh ids)
            ids = list(
                conn.scalars(
                    select(Comment.id)
                    .where(Comment.course_id == course_id, Comment.post_id.in_(others), Comment.parent_id.is_(None))
                    .order_by(Comment.id)
                )
            )
        top = dict(zip([n for n in range(count) if not answers(n)], ids, strict=True))
        load.rows("comments", comment_columns, (row(n, top[n - len(others)]) for n in range(count) if answers(n)))

    for slug, readings, responses, comments in (
        ("bench-small", CLASS["readings"], CLASS["responses"], CLASS["comments"]),
        ("bench-big", 20, 2000, scale),
    ):
        course_id = courses[slug]
        _, response_ids = posts(course_id, readings, responses)
        thread(course_id, response_ids[0])
        spread(course_id, response_ids[1:], comments - THREAD, replies=slug == "bench-small")
    with engine.begin() as conn:
        course_id = courses["bench-small"]
        post_likes, comment_likes = class_likes(conn, course_id)
        for table, column, rows in (
            ("post_likes", "post_id", post_likes),
            ("comment_likes", "comment_id", comment_likes),
        ):
            if rows:
                conn.execute(
                    text(f"INSERT INTO {table} ({column}, user_id, created_at) VALUES (:i, :u, :at)"),
                    [{"i": i, "u": u, "at": start if load.postgres else _sqlite_time(start)} for i, u in rows],
                )
    from board.models import recount_comments

    with engine.begin() as conn:  # the bulk inserts bypassed the ORM, which keeps posts.comment_count
        recount_comments(conn, list(conn.scalars(select(Post.id))))
    statistics = "VACUUM ANALYZE" if load.postgres else "ANALYZE"  # VACUUM too: index-only scans need it
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statistics))
    with engine.begin() as conn:  # last: a build cut short leaves no marker and is built again next time
        conn.execute(update(Course).where(Course.slug == "bench-big").values(description=f"{MARKER}, {scale} comments"))


def thread_likes(comment_ids: list[int], classmates: list[int]) -> list[tuple[int, int]]:
    """(comment id, user id) of the long thread's likes: every third comment, by one to five classmates."""
    return [(cid, classmates[k]) for n, cid in enumerate(comment_ids) if n % 3 == 0 for k in range(1 + n % 5)]


def class_likes(conn, course_id: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The class course's seeded likes other than the long thread's: (post id, user id) and (comment id, user id).
    Every response liked by n % 6 classmates, every fourth other comment by one to three (used again to reset it)."""
    from board.models import Comment, Post, User

    classmates = list(
        conn.scalars(select(User.id).where(User.email.like("bench-classmate%@example.edu")).order_by(User.id))
    )
    responses = conn.execute(
        select(Post.id, Post.author_id).where(Post.course_id == course_id, Post.kind == "response").order_by(Post.id)
    ).all()
    comments = conn.execute(
        select(Comment.id, Comment.author_id)
        .where(
            Comment.course_id == course_id, Comment.post_id != responses[0].id, Comment.body_md.like("Comment number%")
        )
        .order_by(Comment.id)
    ).all()

    def likers(n: int, many: int, author: int) -> list[int]:
        return [u for k in range(many) if (u := classmates[(n + 1 + k) % len(classmates)]) != author]

    post_likes = [(p, u) for n, (p, author) in enumerate(responses) for u in likers(n, n % 6, author)]
    comment_likes = [
        (c, u) for n, (c, author) in enumerate(comments) if n % 4 == 0 for u in likers(n, 1 + n % 3, author)
    ]
    return post_likes, comment_likes


def _complete(engine, scale: int) -> bool:
    from sqlalchemy import inspect

    from board.models import Course

    if not inspect(engine).has_table("courses"):
        return False
    with engine.connect() as conn:
        found = conn.scalar(select(Course.description).where(Course.slug == "bench-big"))
    return found == f"{MARKER}, {scale} comments"


def prepare(backend: str, scale: int, pg: str, rebuild: bool, prefix: str = "board_bench") -> str:
    """The URL of a database holding the data for `scale`, built now unless a complete one is cached."""
    from flask_migrate import upgrade

    from board import create_app

    if backend == "sqlite":
        folder = ROOT / "instance" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"board-{scale}.sqlite3"
        url = f"sqlite:///{path}"
        if rebuild or not _complete(create_engine(url), scale):
            path.unlink(missing_ok=True)
    else:
        name = f"{prefix}_{scale}"
        url = f"{pg.rstrip('/')}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
        server = create_engine(
            f"{pg.rstrip('/')}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )
        with server.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and (rebuild or not _complete(create_engine(url), scale)):
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()  # also brings a cached database up to the newest migration
        from board.extensions import db

        if not _complete(db.engine, scale):
            began = time.monotonic()
            print(f"building {backend} data with {scale:,} comments…", file=sys.stderr, flush=True)
            build(db.engine, scale)
            print(f"  built in {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
        db.engine.dispose()
    return url


def feed_token(url: str) -> str:
    """The bench student's feed token (feeds turned on once, as the account page's button does)."""
    from board import create_app
    from board.extensions import db
    from board.feeds import tokens
    from board.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        student = db.session.scalar(select(User).where(User.email == "bench-student@example.edu"))
        if tokens.token_for(student) is None:
            tokens.renew(student)
        token = tokens.token_for(student)
        db.engine.dispose()
    return token


def page_urls(url: str) -> dict[str, str]:
    """The path of each page in PAGES for the data in `url`."""
    from board.models import Course, Post, User

    engine = create_engine(url)
    paths = {}
    with engine.connect() as conn:
        for course_key in ("small", "big"):
            slug = f"bench-{course_key}"
            course_id = conn.scalar(select(Course.id).where(Course.slug == slug))
            first_response = conn.scalar(
                select(Post.id).where(Post.course_id == course_id, Post.kind == "response").order_by(Post.id)
            )
            reading = conn.scalar(
                select(Post.id).where(Post.course_id == course_id, Post.kind == "reading").order_by(Post.id)
            )
            classmate = conn.scalar(select(User.id).where(User.email == "bench-classmate0@example.edu"))
            paths[(course_key, "home")] = f"/c/{slug}/"
            paths[(course_key, "thread")] = f"/c/{slug}/posts/{first_response}"
            paths[(course_key, "reading")] = f"/c/{slug}/posts/{reading}"
            paths[(course_key, "person")] = f"/c/{slug}/people/{classmate}"
            paths[(course_key, "search")] = f"/c/{slug}/search?q=long+thread+answering"
            paths[(course_key, "search-broad")] = f"/c/{slug}/search?q=comment+number"
            token = feed_token(url)
            paths[(course_key, "feed-comments")] = f"/feeds/{token}/c/{slug}/posts/{first_response}/comments.atom"
            paths[(course_key, "feed-course")] = f"/feeds/{token}/c/{slug}/feed.atom"
    engine.dispose()
    return {name: paths[(course, what)] for name, (course, what, _) in PAGES.items()}


# Serving and measuring -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    def worker_cpu(self) -> float:
        """Seconds of CPU the workers (the master's children) have used, the live ones and those that ended (a worker
        gunicorn killed for its timeout and replaced: the master's cutime and cstime hold what its reaped children
        used, so a killed worker's CPU is not lost from a delta)."""
        ticks = os.sysconf("SC_CLK_TCK")
        master = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = int(master[13]) + int(master[14])  # cutime, cstime: the master's children that ended
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        for pid in children:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(app: str, env: dict, chdir: Path) -> Server:
    """gunicorn with 2 sync workers on a free local port, once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(chdir),
            "--log-level",
            "warning",
            app,
        ],
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}") from None
            time.sleep(0.1)
    return Server(process, base)


def login(base: str) -> str:
    """Log in as the student through the login form; the Cookie header that carries the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"email": "bench-student@example.edu", "password": PASSWORD, "csrf_token": token}
    ).encode()
    landed = opener.open(base + "/login", data=data)
    if "/login" in urllib.parse.urlsplit(landed.geturl()).path:
        raise SystemExit("login failed")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check(base: str, path: str, cookie: str, expect: str) -> None:
    """The page answers 200 with its full content for this session."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read().decode()
        if response.status != 200 or expect not in body or response.geturl() != base + path:
            raise SystemExit(f"{path}: status {response.status}, {expect!r} {'found' if expect in body else 'missing'}")


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float
    bad: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(server: Server, path: str, headers: dict, duration: int, connections: int, script: Path) -> Result:
    """wrk against one page: a short warm-up, then the measured run."""
    args = ["wrk", "-t1", f"-c{connections}", "--timeout", "30s", "-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    subprocess.run([*args, "-d", "2s", server.base + path], capture_output=True, check=True)
    cpu_before = server.worker_cpu()
    out = subprocess.run([*args, "-d", f"{duration}s", server.base + path], capture_output=True, text=True, check=True)
    cpu = server.worker_cpu() - cpu_before
    match = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out.stdout)
    requests, micros, p50, p95, status_errors, socket_errors = (int(g) for g in match.groups())
    return Result(
        requests=requests,
        seconds=micros / 1e6,
        p50_ms=p50 / 1000,
        p95_ms=p95 / 1000,
        cpu_ms=cpu * 1000 / requests if requests else float("nan"),
        bad=status_errors + socket_errors,
    )


def count_queries(url: str, paths: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(SQL queries, HTML bytes) of one request for each page, logged in as the student, in this process."""
    from board import create_app
    from board.extensions import db

    # Counted with the page cache off: what building the page costs (a page it kept costs the user loader's 1 query).
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SESSION_COOKIE_SECURE": False,
            "SECRET_KEY": SECRET_KEY,
            "PAGE_CACHE_BYTES": 0,
        }
    )
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    form = client.get("/login", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post(
        "/login",
        headers=headers,
        data={"email": "bench-student@example.edu", "password": PASSWORD, "csrf_token": token},
    )
    counts = {}
    with app.app_context():
        engine = db.engine
    for name, path in paths.items():
        client.get(path, headers=headers)  # warm-up
        statements = []

        def record(*args, statements=statements):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        body = client.get(path, headers=headers).get_data()
        event.remove(engine, "before_cursor_execute", record)
        counts[name] = (len(statements), len(body))
    with app.app_context():
        db.engine.dispose()
    return counts


# Main ------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--scale", default="10000,1000000", help="comments in the big course (comma-separated)")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"some of: {', '.join(PAGES)}")
    parser.add_argument(
        "--mix", choices=["class"], help="the class mix (scripts/bench_mix.py) instead of one page at a time"
    )
    parser.add_argument(
        "--duration", type=int, help="seconds of load per page (default 10), or of each class-mix run (default 30)"
    )
    parser.add_argument("--cache", default="on,off", help="class mix: page cache on, off or both (default on,off)")
    parser.add_argument(
        "--solo", type=float, default=4, help="class mix: seconds of each request kind alone, cache off (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=23, help="class mix: the random seed of the clients' choices")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections (default 4)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="hello-then-page runs per page; the row gives the medians, and the median of the runs' ratios (default 1)",
    )
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server (no db name)")
    parser.add_argument(
        "--pg-prefix", default="board_bench", help="PostgreSQL databases are named PREFIX_<scale> (default board_bench)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if cached")
    options = parser.parse_args()
    backends = [b.strip() for b in options.db.split(",") if b.strip()]
    scales = [int(s) for s in options.scale.split(",") if s.strip()]
    pages = [p.strip() for p in options.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in PAGES] + [b for b in backends if b not in ("sqlite", "postgresql")]
    if unknown or any(s < THREAD + 300 for s in scales):
        parser.error(f"unknown {unknown}" if unknown else f"a scale must be at least {THREAD + 300}")
    if options.mix:
        import bench_mix

        bench_mix.main(options, backends, scales)
        return
    options.duration = options.duration or 10

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "hello.py").write_text(HELLO_APP)
        script = scratch / "report.lua"
        script.write_text(WRK_REPORT)

        # A shared machine's speed drifts by a quarter over a run of minutes (seen here: the same page at 1,625 and
        # 1,059 req/s ten minutes apart), so each page is compared with hello measured just before it, and that rate
        # is in its row. hello keeps running, idle, while Board is measured.
        hello = serve("hello:app", {}, scratch)
        try:
            check(hello.base, "/", "", "Hello")
            for backend in backends:
                for scale in scales:
                    url = prepare(backend, scale, options.pg, options.rebuild, options.pg_prefix)
                    paths = {name: path for name, path in page_urls(url).items() if name in pages}
                    counts = count_queries(url, paths)
                    env = {
                        "DATABASE_URL": url,
                        "SECRET_KEY": SECRET_KEY,
                        "SECURE_COOKIES": "0",
                        "LOGIN_RATE_LIMIT": "1000 per minute",
                    }
                    server = serve("board:create_app()", env, ROOT)
                    try:
                        cookie = login(server.base)
                        headers = {"Cookie": cookie, "User-Agent": USER_AGENT}
                        for name, path in paths.items():
                            check(server.base, path, cookie, PAGES[name][2])
                            pairs = []
                            for _ in range(options.repeat):
                                hello_result = load(
                                    hello,
                                    "/",
                                    {"User-Agent": USER_AGENT},
                                    options.duration,
                                    options.connections,
                                    script,
                                )
                                result = load(server, path, headers, options.duration, options.connections, script)
                                pairs.append((hello_result, result))
                                print(
                                    f"  {backend} {scale:,} {name}: {result.rate:.0f} req/s "
                                    f"(hello {hello_result.rate:.0f})",
                                    file=sys.stderr,
                                    flush=True,
                                )
                            check(server.base, path, cookie, PAGES[name][2])  # still logged in after the load
                            rows.append((backend, f"{scale:,}", name, pairs, *counts[name]))
                    finally:
                        server.stop()
        finally:
            hello.stop()

    header = (
        "database",
        "comments",
        "page",
        "req/s",
        "p50 ms",
        "p95 ms",
        "CPU ms/req",
        "hello req/s",
        "vs hello",
        "queries",
        "HTML KB",
        "errors",
    )
    table = [header]
    for backend, scale, name, pairs, queries, size in rows:
        hellos, results = [hello for hello, _ in pairs], [result for _, result in pairs]
        table.append(
            (
                backend,
                scale,
                name,
                f"{median(r.rate for r in results):.0f}",
                f"{median(r.p50_ms for r in results):.1f}",
                f"{median(r.p95_ms for r in results):.1f}",
                f"{median(r.cpu_ms for r in results):.1f}",
                f"{median(h.rate for h in hellos):.0f}",
                f"{100 * median(r.rate / h.rate for h, r in pairs):.1f}%",
                "-" if queries is None else str(queries),
                f"{size / 1024:.1f}",
                str(sum(r.bad for r in results)),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    cache = os.environ.get("PAGE_CACHE_BYTES", "default")
    print(
        "Single page (one URL asked again and again with one cookie; with the page cache on, mostly a kept page "
        "served again; --mix class measures a class): "
        f"wrk -t1 -c{options.connections}, {options.duration} s per page; gunicorn 2 sync workers; "
        f"{os.cpu_count()} CPUs; page cache {'off' if cache == '0' else 'on'} (PAGE_CACHE_BYTES={cache}); "
        "queries: building the page (a kept page runs 1); hello req/s: measured just before the page"
        + (f"; each row the median of {options.repeat} alternating hello-then-page runs" if options.repeat > 1 else "")
    )
    for n, row in enumerate(table):
        print(
            "  ".join(
                cell.rjust(width) if i > 2 else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
