"""The class-mix benchmark: a class using the board, not one page asked again (`scripts/bench.py --mix class`).

    .venv/bin/python scripts/bench.py --mix class                          # both databases, both scales, cache on and off
    .venv/bin/python scripts/bench.py --mix class --db sqlite --scale 10000 --duration 10 --cache on   # about a minute
    .venv/bin/python scripts/bench.py --mix class --solo 0                  # without the per-action cold costs

For each database and scale (bench.py's data: the class course "bench-small" of 40 students, 4 readings, 120
responses and 3,000 comments with one 200-comment thread; the big course holds the scale's comments, so the class's
pages show whether their cost follows the size of the database) and each page-cache setting (on; off is
PAGE_CACHE_BYTES=0; a Board without board/pagecache/ runs once, "page cache none"): the class course's mutable state is reset (comments the mix wrote, likes, read marks, sessions,
notifications), Board is served by gunicorn with 2 sync workers (scripts/bench_app.py), the 40 students log in
through the login form (each its own cookies), and 8 clients with no think time each take the next student in turn
and do an action drawn (fixed seed) from MIX: a page, or a write done as a browser does it (the post page first,
then the form's POST with its CSRF token). Every post page that offers the read beacon (unread.js posts the page's
data-read-beacon form) is followed by it, counted as its own action. Every response's status and text is checked.

Printed (Markdown): per action the count, p50 and p95 latency and the share of kept pages; for the run the requests,
the workers' CPU ms per request (their CPU time over the run / requests: robust on a shared machine), hello's CPU ms
per request measured just before and after by the same client, the ratio, errors and the page-cache hit rate. With
the cache off, each kind of request is then run alone (--solo seconds each): its CPU ms per request is the cost of
building it cold. Last, the markup around each comment on the 200-comment page: (page bytes - the comments' own
HTML) / comments, as the issue counts it (the page's header, post and forms included), and the same for the comment
list alone.

Why a Python client and not Locust: threads with http.client need nothing installed, run in the same script that
builds the data and reads the workers' CPU time, and 8 clients of a few hundred requests a second are far below what
a thread-per-client client can send; gunicorn's sync workers close each connection anyway (no keep-alive), so the
client reconnects for every request as wrk does. The client's own CPU is not counted: only the workers' is.
"""

from __future__ import annotations

import http.client
import importlib.util
import queue
import random
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import bench
from bench_class import Student, Targets, reset
from sqlalchemy import create_engine, text

CLIENTS = 8
MIX = {  # action: percent of actions
    "home": 20,
    "reading": 12,
    "post": 38,
    "person": 4,
    "notifications": 4,
    "search": 4,
    "my work": 4,
    "comment": 8,
    "like": 6,
}
SOLO = (
    "home",
    "reading",
    "post",
    "thread",
    "person",
    "notifications",
    "search",
    "my work",
    "beacon",
    "comment",
    "like",
)
SEARCHES = ("long thread", "thoughts", "comment number 12", "answering")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BEACON = re.compile(r'<form[^>]*action="([^"]+)"[^>]*data-read-beacon>(.*?)</form>', re.DOTALL)
SHOWN = re.compile(r'name="shown" value="([^"]*)"')
COMMENT_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*id="comment-form"(.*?)</form>', re.DOTALL)
SUBMISSION = re.compile(r'name="submission_key"[^>]*value="([^"]*)"')
LIKE = re.compile(r'formaction="([^"]+)/like" name="liked" value="([01])"')
ENV = {  # limits meant for people, raised for 40 logins and a class's writes from one address
    "LOGIN_RATE_LIMIT": "10000 per minute",
    "LOGIN_ACCOUNT_LIMIT": "10000 per minute",
    "LOGIN_DEVICE_LIMIT": "10000 per minute",
    "POSTING_RATE_LIMIT": "100000 per minute",
}


class Stats:
    """Every request's (action, milliseconds, ok, page cache header), from all clients."""

    def __init__(self):
        self.rows: list[tuple[str, float, bool, str]] = []
        self.lock = threading.Lock()
        self.failures: list[str] = []

    def add(self, action: str, ms: float, ok: bool, kept: str, why: str = "") -> None:
        with self.lock:
            self.rows.append((action, ms, ok, kept))
            if not ok and len(self.failures) < 5:
                self.failures.append(f"{action}: {why}")


class Client:
    """One browser-like client: its own connection, any student's cookies."""

    def __init__(self, base: str, stats: Stats):
        self.host = urllib.parse.urlsplit(base).netloc
        # Longer than gunicorn's 30 s: a slow request ends (its worker killed) before its client gives up, so no
        # abandoned request stays queued in front of the next ones.
        self.conn = http.client.HTTPConnection(self.host, timeout=300)
        self.stats = stats

    def call(self, action, student, method, path, want=200, expect="", form=None, accept="text/html"):
        """One request, recorded under `action`; the response body (text) when it is as expected, else None."""
        headers = {"User-Agent": bench.USER_AGENT, "Accept": accept}
        if student and student.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in student.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            page = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.stats.add(action, (time.perf_counter() - began) * 1000, False, "", f"{path}: {error!r}")
            return None
        ms = (time.perf_counter() - began) * 1000
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";")[0].partition("=")
            gone = not value or "expires=thu, 01 jan 1970" in cookie.lower() or "max-age=0" in cookie.lower()
            if student is not None:
                student.cookies.pop(name, None) if gone else student.cookies.__setitem__(name, value)
        ok = response.status == want and expect in page
        why = "" if ok else f"{method} {path}: {response.status}, {expect!r} {'found' if expect in page else 'missing'}"
        self.stats.add(action, ms, ok, response.headers.get("X-Bench-Page-Cache", ""), why)
        return page if ok else None

    def login(self, student: Student) -> None:
        form = self.call("login", student, "GET", "/login")
        fields = {"email": student.email, "password": bench.PASSWORD, "csrf_token": CSRF.search(form or "").group(1)}
        self.call("login", student, "POST", "/login", want=302, form=fields)
        home = self.call("login", student, "GET", "/courses", expect="Log out")
        if home is None:
            raise SystemExit(f"{student.email} could not log in")
        student.token = CSRF.search(home).group(1)


class Mix:
    """The actions of the class mix on one server (`solo` kinds are the requests measured alone)."""

    def __init__(self, base: str, t: Targets, stats: Stats):
        self.base, self.t, self.stats = base, t, stats
        self.course = f"/c/{t.slug}"

    def post_page(self, client, student, rng, action, post=None):
        """A post page as a browser shows it: the page, then its read beacon if it offers one."""
        post_id, title = post or rng.choice(self.t.responses)
        page = client.call(action, student, "GET", f"{self.course}/posts/{post_id}", expect=f"<h1>{title}</h1>")
        if page and (beacon := BEACON.search(page)):
            fields = {"csrf_token": CSRF.search(beacon.group(2)).group(1), "beacon": "1"}
            fields["shown"] = SHOWN.search(beacon.group(2)).group(1)
            client.call("read beacon", student, "POST", beacon.group(1), want=204, form=fields)
        return page

    def act(self, client: Client, student: Student, rng: random.Random, action: str) -> None:
        course, t = self.course, self.t
        if action == "home":
            client.call(action, student, "GET", f"{course}/", expect="Latest responses")
        elif action == "reading":
            reading_id, title = rng.choice(t.readings)
            client.call(action, student, "GET", f"{course}/posts/{reading_id}", expect=f"<h1>{title}</h1>")
        elif action == "post":
            self.post_page(client, student, rng, action)
        elif action == "person":
            client.call(action, student, "GET", f"{course}/people/{rng.choice(t.students).id}", expect="Comments")
        elif action == "notifications":
            client.call(action, student, "GET", "/notifications", expect="<h1>Notifications</h1>")
        elif action == "search":
            query = urllib.parse.quote_plus(rng.choice(SEARCHES))
            client.call(action, student, "GET", f"{course}/search?q={query}", expect="data-hit=")
        elif action == "my work":
            client.call(action, student, "GET", f"{course}/my-work", expect="<h1>My work</h1>")
        elif action == "comment":
            page = self.post_page(client, student, rng, "comment: page")
            if page and (form := COMMENT_FORM.search(page)):
                fields = {"csrf_token": CSRF.search(form.group(2)).group(1), "parent_id": ""}
                fields["submission_key"] = SUBMISSION.search(form.group(2)).group(1)
                fields["body"] = f"Mix comment from student {student.id}: I agree, and the second part made me think."
                client.call("comment: post", student, "POST", form.group(1), want=302, form=fields)
        elif action == "like":
            post_id, title = rng.choice(t.responses)
            path = f"{course}/posts/{post_id}"
            page = self.post_page(client, student, rng, "like: page", (post_id, title))
            buttons = LIKE.findall(page or "")
            if buttons:
                target, value = rng.choice(buttons)
                fields = {"csrf_token": CSRF.search(page).group(1), "liked": value}
                where = urllib.parse.urljoin(path, target) + "/like"
                client.call("like: post", student, "POST", where, form=fields, accept="application/json")
        else:
            raise ValueError(action)

    def solo(self, client: Client, student: Student, rng: random.Random, kind: str) -> None:
        """One request of `kind` alone (the writes without their page, with the session's token)."""
        course, t = self.course, self.t
        if kind == "post":
            post_id, title = rng.choice(t.responses[1:])
            client.call(kind, student, "GET", f"{course}/posts/{post_id}", expect=f"<h1>{title}</h1>")
        elif kind == "thread":
            post_id, title = t.responses[0]
            client.call(kind, student, "GET", f"{course}/posts/{post_id}", expect=f"<h1>{title}</h1>")
        elif kind == "beacon":
            fields = {"csrf_token": student.token, "beacon": "1", "shown": ""}
            client.call(kind, student, "POST", f"{course}/posts/{rng.choice(t.responses)[0]}/read", 204, form=fields)
        elif kind == "comment":
            fields = {"csrf_token": student.token, "body": "Mix comment, sent alone.", "parent_id": ""}
            client.call(
                kind, student, "POST", f"{course}/posts/{rng.choice(t.responses)[0]}/comments", 302, form=fields
            )
        elif kind == "like":
            kind, item = (
                ("posts", rng.choice(t.responses)[0]) if rng.random() < 0.5 else ("comments", rng.choice(t.comments))
            )
            while t.authors[kind, item] == student.id:  # no one may like their own
                item = rng.choice(t.comments) if kind == "comments" else rng.choice(t.responses)[0]
            target = f"{kind}/{item}"
            fields = {"csrf_token": student.token, "liked": rng.choice("01")}
            client.call(kind, student, "POST", f"{course}/{target}/like", form=fields, accept="application/json")
        else:
            self.act(client, student, rng, kind)


def drive(base: str, seconds: float, students: list, work, seed: int) -> Stats:
    """CLIENTS threads for `seconds`, each doing work(client, student, rng) with the next free student in turn."""
    stats = Stats()
    free: queue.Queue = queue.Queue()
    for student in students:
        free.put(student)
    deadline = time.monotonic() + seconds

    def run(n: int) -> None:
        client, rng = Client(base, stats), random.Random(seed * 100 + n)
        while time.monotonic() < deadline:
            student = free.get()
            try:
                work(client, student, rng)
            finally:
                free.put(student)
        client.conn.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def measured(server, seconds, students, work, seed) -> tuple[Stats, float]:
    """drive() and the workers' CPU ms per request over it."""
    before = server.worker_cpu()
    stats = drive(server.base, seconds, students, work, seed)
    return stats, (server.worker_cpu() - before) * 1000 / max(len(stats.rows), 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def table(header: list[str], rows: list[list]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if n == 0 else "--:" for n in range(len(header))) + "|",
    ]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def markup(url: str, base: str, t: Targets, student: Student) -> tuple[int, int, int, int]:
    """(page bytes, its comment list's bytes, the comments' own HTML bytes, comments) of the 200-comment thread's page
    (the list: from <ol class="comment-list"> to the comment form, so with the one hidden reply composer)."""
    post_id, title = t.responses[0]
    page = Client(base, Stats()).call("markup", student, "GET", f"/c/{t.slug}/posts/{post_id}", expect=title)
    engine = create_engine(url)
    with engine.connect() as conn:
        bodies = conn.scalars(
            text("SELECT body_html FROM comments WHERE post_id = :p AND visibility = 'visible'"), {"p": post_id}
        ).all()
    engine.dispose()
    listed = page[page.index('<ol class="comment-list">') : page.index('id="comment-form"')]
    return len(page.encode()), len(listed.encode()), sum(len(b.encode()) for b in bodies), len(bodies)


def main(options, backends: list[str], scales: list[int]) -> None:
    import tempfile

    weights = list(MIX.values())
    caches = [c.strip() for c in options.cache.split(",") if c.strip()]
    if importlib.util.find_spec("board.pagecache") is None:
        caches = ["none"]  # this Board has no page cache: one run per database and scale
    elif set(caches) - {"on", "off"} or ("on" in caches and bench.os.environ.get("PAGE_CACHE_BYTES") == "0"):
        raise SystemExit("--cache takes on, off or both (and on needs PAGE_CACHE_BYTES unset or not 0)")
    duration = options.duration or 30
    runs, solos, markups = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "hello.py").write_text(bench.HELLO_APP)
        hello = bench.serve("hello:app", {}, Path(scratch))
        try:
            for backend in backends:
                for scale in scales:
                    url = bench.prepare(backend, scale, options.pg, options.rebuild, options.pg_prefix)
                    t = Targets.load(url)
                    for cache in caches:
                        reset(url, t)
                        env = {"DATABASE_URL": url, "SECRET_KEY": bench.SECRET_KEY, "SECURE_COOKIES": "0", **ENV}
                        if cache == "off":
                            env["PAGE_CACHE_BYTES"] = "0"
                        server = bench.serve("scripts.bench_app:app", env, bench.ROOT)
                        try:
                            for student in t.students:
                                Client(server.base, Stats()).login(student)
                            label = f"{backend}, {scale:,} comments, page cache {cache}"
                            print(f"  {label}: {bench.os.getloadavg()[0]:.2f} load…", file=sys.stderr, flush=True)

                            mixer = Mix(server.base, t, Stats())

                            def mix(client, student, rng, mixer=mixer):
                                mixer.act(client, student, rng, rng.choices(list(MIX), weights)[0])

                            drive(server.base, 3, t.students, mix, options.seed + 1)  # warm-up, not counted

                            def greet(client, student, rng):
                                client.call("hello", None, "GET", "/", expect="Hello")

                            _, hello_a_cpu = measured(hello, duration / 6, t.students, greet, 0)
                            stats, cpu = measured(server, duration, t.students, mix, options.seed)
                            _, hello_b_cpu = measured(hello, duration / 6, t.students, greet, 0)
                            hello_cpu = (hello_a_cpu + hello_b_cpu) / 2
                            load = bench.os.getloadavg()[0]
                            runs.append((label, stats, cpu, hello_cpu, duration, load))
                            if cache != "on" and options.solo:
                                for kind in SOLO:
                                    mixer = Mix(server.base, t, Stats())

                                    def one(client, student, rng, kind=kind, mixer=mixer):
                                        mixer.solo(client, student, rng, kind)

                                    solo, solo_cpu = measured(server, options.solo, t.students, one, options.seed)
                                    bad = sum(not ok for _, _, ok, _ in solo.rows)
                                    for failure in solo.failures:
                                        print(f"  alone, {failure}", file=sys.stderr)
                                    solos.append((backend, scale, kind, len(solo.rows), solo_cpu, bad))
                            if cache == caches[0]:
                                markups.append((backend, scale, *markup(url, server.base, t, t.students[0])))
                        finally:
                            server.stop()
        finally:
            hello.stop()
    report(runs, solos, markups)


def report(runs, solos, markups) -> None:
    print(
        f"\nClass mix: {CLIENTS} clients, no think time, 40 students; gunicorn 2 sync workers; {bench.os.cpu_count()} CPUs"
    )
    summary = []
    for label, stats, cpu, hello_cpu, duration, load in runs:
        rows, actions = [], dict.fromkeys([a for a, *_ in stats.rows])
        for action in sorted(actions, key=lambda a: -sum(1 for b, *_ in stats.rows if b == a)):
            mine = [r for r in stats.rows if r[0] == action]
            kept = [k for *_, k in mine if k]
            share = f"{100 * kept.count('hit') / len(kept):.0f}%" if kept else "-"
            times = [ms for _, ms, _, _ in mine]
            bad = sum(not ok for _, _, ok, _ in mine)
            rows.append(
                [action, len(mine), f"{percentile(times, 0.5):.1f}", f"{percentile(times, 0.95):.1f}", bad, share]
            )
        print(f"\n### {label}\n")
        print(table(["action", "count", "p50 ms", "p95 ms", "errors", "kept pages"], rows))
        for failure in stats.failures:
            print(f"\n    first errors: {failure}")
        kept = [k for *_, k in stats.rows if k]
        errors = sum(not ok for _, _, ok, _ in stats.rows)
        hit = f"{100 * kept.count('hit') / len(kept):.1f}%" if kept else "-"
        summary.append([label, len(stats.rows), f"{len(stats.rows) / duration:.0f}", f"{cpu:.2f}", f"{hello_cpu:.3f}"])
        summary[-1] += [f"{100 * hello_cpu / cpu:.1f}%", errors, hit, f"{load:.2f}"]
    print("\n### Class mix, per run\n")
    header = ["run", "requests", "req/s", "server CPU ms/req", "hello CPU ms/req", "hello/mix", "errors"]
    print(table([*header, "page-cache hits", "load avg (1 min, at end)"], summary))
    if solos:
        print("\n### Each request alone, page cache off or none (built cold): workers' CPU ms per request\n")
        rows = [[b, f"{s:,}", k, n, f"{cpu:.2f}", bad] for b, s, k, n, cpu, bad in solos]
        print(table(["database", "comments", "request", "count", "CPU ms/req", "errors"], rows))
    print("\n### Markup around each comment (the 200-comment page)\n")
    rows = [
        [b, f"{s:,}", page, own, n, f"{(page - own) / n:.0f}", f"{(listed - own) / n:.0f}"]
        for b, s, page, listed, own, n in markups
    ]
    header = ["database", "comments", "page bytes", "comments' HTML bytes", "comments", "per comment (page - HTML)"]
    print(table([*header, "per comment (list - HTML)"], rows))
