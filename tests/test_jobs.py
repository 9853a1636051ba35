"""The job queue (board/extensions.py's `huey`, tasks in each area's tasks.py): jobs run in their caller in immediate
mode, wait in the queue otherwise, and a real `flask --app board worker` process (and the one `flask --app board demo`
starts) consumes them from Redis. Email goes through the outbox (board/outbox/), whose delivery is such a job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from board import outbox
from board.extensions import configure_queue, db, describe_queue, huey

from .conftest import free_port
from .web import HttpVisitor

# Redis database 6 (TEST_REDIS_QUEUE_URL overrides it) is this suite's; it is emptied before and after each test using it.
REDIS_QUEUE_URL = os.environ.get("TEST_REDIS_QUEUE_URL", "redis://127.0.0.1:6379/6")
QUEUE_PLACE = REDIS_QUEUE_URL.removeprefix("redis://")  # as the worker names it: host:port/db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def queue_on(app):
    """Point the queue at another storage for one test, then back to immediate mode."""

    def configure(url):
        configure_queue(url, Path(app.instance_path))

    yield configure
    configure_queue("immediate", Path(app.instance_path))


@pytest.fixture
def redis_queue(queue_on):
    server = redis.Redis.from_url(REDIS_QUEUE_URL)
    server.flushdb()
    queue_on(REDIS_QUEUE_URL)
    yield REDIS_QUEUE_URL
    server.flushdb()
    server.close()


@pytest.fixture
def mail_folder(app, tmp_path, monkeypatch):
    """The folder board/mail.py writes messages to when SMTP_URL is unset."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "outbox"


def send_email(*args, **kwargs) -> None:
    """Put one email in the outbox and commit, as a service does."""
    outbox.email(*args, **kwargs)
    db.session.commit()


def test_in_immediate_mode_email_is_sent_at_once_when_its_transaction_commits(mail_folder):
    assert huey.immediate
    outbox.email(("Ada", "ada@example.edu"), "Hello", "plain", "<p>html</p>", unsubscribe_url="https://b.example/u")
    assert not mail_folder.exists()
    db.session.commit()
    [path] = mail_folder.iterdir()
    assert b"Subject: Hello" in path.read_bytes()


def test_queued_email_waits_until_a_worker_takes_it(app, queue_on, mail_folder, tmp_path):
    queue_on(None)
    assert describe_queue() == f"the SQLite queue {tmp_path / 'queue.sqlite3'}"
    send_email("bo@example.edu", "Later", "plain", "<p>html</p>")
    assert huey.pending_count() == 1 and not mail_folder.exists()

    huey.execute(huey.dequeue())  # what a worker thread does with it
    assert huey.pending_count() == 0
    [path] = mail_folder.iterdir()
    assert b"Subject: Later" in path.read_bytes()


def test_queue_url_chooses_redis_and_an_unknown_one_is_refused(app, queue_on):
    queue_on("redis://:secret@127.0.0.1:6379/6")
    assert describe_queue() == "the Redis queue at 127.0.0.1:6379/6"
    with pytest.raises(ValueError, match="QUEUE_URL"):
        queue_on("amqp://127.0.0.1")


def test_worker_command_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0 and "QUEUE_URL=immediate" in result.output


_FLASK_WITH_CTRL_C = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from flask.cli import main; sys.argv[0] = 'flask'; main()"
)


class Process:
    """A `flask --app board …` subprocess whose output (stdout and stderr) is collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]):
        # Started through a line that restores Ctrl-C's usual effect: a test runner started in the background may
        # have passed on an ignored SIGINT, which would make the Ctrl-C test meaningless.
        self.popen = subprocess.Popen(
            [sys.executable, "-c", _FLASK_WITH_CTRL_C, "--app", "board", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """Wait until a line containing `text` is printed; return that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            assert self.popen.poll() is None, f"exited with {self.popen.returncode} before {text!r}:\n{self.output}"
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout}s:\n{self.output}")

    def interrupt(self, signum: int = signal.SIGINT, timeout: float = 30) -> int:
        """Press Ctrl-C (SIGINT to this process only), or send another signal, and wait for it to exit."""
        self.popen.send_signal(signum)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"did not stop within {timeout}s of Ctrl-C:\n{self.output}") from None
        self._reader.join(5)
        return code

    def close(self):
        """Kill it if it still runs, and close its output."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._reader.join(5)
        # Closing a pipe another thread still reads would block: the output stays open while any process that
        # inherited it (a worker left behind) still runs.
        assert not self._reader.is_alive(), f"a process left behind still holds the output:\n{self.output}"
        self.popen.stdout.close()


def _environment(tmp_path: Path, smtp_url: str, database_url: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "PORT")}
    env.update(
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'board.sqlite3'}",
        QUEUE_URL=REDIS_QUEUE_URL,
        SMTP_URL=smtp_url,
        MAIL_FROM="Board <noreply@board.example.edu>",
        SECRET_KEY="test-secret-key-not-for-production",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for_empty_queue(timeout: float = 30) -> int:
    """Wait until the worker has taken every job (the delivery queued after each commit, and the one it queues when
    it starts, may outlive the message they sent); how many are left."""
    deadline = time.monotonic() + timeout
    while huey.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    return huey.pending_count()


def _wait_for_mail(received, count: int = 1, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while len(received.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return received.messages


def database_of(app) -> str:
    """The test database, for a worker process to read the outbox this test writes."""
    return os.environ.get("TEST_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]


def test_worker_process_takes_email_from_redis_and_sends_it_over_smtp(app, redis_queue, smtp_server, tmp_path):
    smtp_url, received = smtp_server
    worker = Process(["worker", "--threads", "1"], _environment(tmp_path, smtp_url, database_of(app)))
    try:
        started = worker.wait_for("Worker: consuming")
        assert f"the Redis queue at {QUEUE_PLACE}" in started and "sent through 127.0.0.1" in started
        send_email(("Ada", "ada@example.edu"), "From the queue", "plain", "<p>html</p>")

        [(_, recipients, message)] = _wait_for_mail(received)
        assert recipients == ["ada@example.edu"] and message["Subject"] == "From the queue"
        assert _wait_for_empty_queue() == 0
    finally:
        code = worker.interrupt() if worker.popen.poll() is None else worker.popen.returncode
        worker.close()
    assert code == 0, worker.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_runs_a_worker_beside_the_server_and_stopping_it_stops_both(redis_queue, smtp_server, tmp_path, signum):
    smtp_url, received = smtp_server
    port = free_port()
    demo = Process(["demo", "--port", str(port)], _environment(tmp_path, smtp_url))
    worker_pid = None
    try:
        demo.wait_for(f"Board is running at http://127.0.0.1:{port}/")
        assert "Email is sent through 127.0.0.1" in demo.wait_for("Email is")
        line = demo.wait_for("Jobs: a worker (pid ")
        worker_pid = int(line.split("(pid ")[1].split(")")[0])
        demo.wait_for(f"Worker: consuming the Redis queue at {QUEUE_PLACE}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            assert page.status == 200

        # The demo's own page writes the message to the demo's database, and its worker sends it.
        asked = HttpVisitor(f"http://127.0.0.1:{port}").post("/password/forgot", {"email": "nobody@example.edu"})
        assert asked.status == 302, asked.text
        [(_, recipients, message)] = _wait_for_mail(received)
        assert recipients == ["nobody@example.edu"] and message["Subject"] == "No Board account uses this address"
        # The worker builds the message, and its links lead back to this demo, on its own port.
        assert f"http://127.0.0.1:{port}/register" in message.get_body(("plain",)).get_content()

        # Only the demo gets the signal, as from a terminal's Ctrl-C (the worker has its own process group).
        assert demo.interrupt(signum) == 0, demo.output
        assert "Worker stopped." in demo.output
        with pytest.raises(ProcessLookupError):
            os.kill(worker_pid, 0)
    finally:
        if worker_pid is not None:
            try:
                os.kill(worker_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        demo.close()
