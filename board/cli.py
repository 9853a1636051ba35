"""Command-line tools: flask --app board create-user | set-password | demo | worker | seed | courses |
import-posts | export-course | import-course."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from .auth import services as accounts
from .extensions import db
from .models import Course, Membership, Post, Role, User


def register_commands(app: Flask) -> None:
    """Add Board's commands to `flask --app board`."""
    app.cli.add_command(create_user)
    app.cli.add_command(set_password)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(seed)
    app.cli.add_command(list_courses)
    app.cli.add_command(import_posts)
    app.cli.add_command(export_course)
    app.cli.add_command(import_course)
    from .lti.cli import lti

    app.cli.add_command(lti)


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make a site admin.")
def create_user(email: str, display_name: str, password: str, admin: bool) -> None:
    """Create an account (use --admin for a site admin)."""
    try:
        user = accounts.create_user(email, display_name, password, is_admin=admin)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {'admin ' if admin else ''}{user.email}.")


@click.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(email: str, password: str) -> None:
    """Set an account's password (also how imported accounts get their first one)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    try:
        accounts.set_password(user, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Password set for {user.email}.")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="PORT or 5000")
def demo(host: str, port: int) -> None:
    """Apply migrations, seed the demo course, print the URL and demo logins, start a job worker, serve the app."""
    from .seeding import DEMO_PASSWORD, seed_demo

    upgrade()
    summary = seed_demo(echo=click.echo)
    app = current_app._get_current_object()
    # The development server speaks plain HTTP, so cookies cannot be Secure here (they are in production).
    app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    url = f"http://{host}:{port}/"
    if not os.environ.get("BASE_URL"):
        # Links in the demo's email lead back to the demo itself: here, and in its worker, which builds the account
        # and notification messages as it sends them (start_worker passes the URL on).
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        app.config["BASE_URL"] = (
            f"http://{shown_host}:{port}" if ":" not in shown_host else f"http://[{shown_host}]:{port}"
        )
    click.echo("")
    click.echo(f"Board is running at {url}")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role in summary.logins:
        click.echo(f"  {email:<28} {role}")
    click.echo("")
    from werkzeug.serving import run_simple

    from . import mail

    click.echo(f"Email is {mail.describe_delivery()}.")
    job_worker = start_worker(app.config["BASE_URL"])
    # `kill` and a closed terminal stop the demo as Ctrl-C does, so its worker is stopped too rather than left behind.
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        run_simple(host, port, app, threaded=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop_worker(job_worker)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def start_worker(base_url: str) -> subprocess.Popen | None:
    """Start `flask --app board worker` beside the demo server, unless jobs run immediately (QUEUE_URL=immediate).

    A separate process rather than a thread: it is exactly what production runs, and Huey's consumer installs its
    own signal handlers, which only a process's main thread may do. It gets its own process group, so the
    terminal's Ctrl-C reaches only the demo, which then stops it with one SIGINT (a second would cut short the
    jobs it is finishing). Its links start with `base_url`, the demo's own (so email leads back to this demo).
    """
    from .extensions import describe_queue, huey

    if huey.immediate:
        click.echo(f"Jobs: {describe_queue()}.")
        return None
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "board", "worker"],
        process_group=0,
        env={**os.environ, "BASE_URL": base_url},
    )
    click.echo(f"Jobs: a worker (pid {process.pid}) consumes {describe_queue()}.")
    return process


def stop_worker(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Stop the demo's worker as Ctrl-C would (it finishes the job in hand), and kill it if it takes too long."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    click.echo("Worker stopped.")


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 32), help="Jobs run at once.")
def worker(threads: int) -> None:
    """Run the job queue's consumer (it sends email) until Ctrl-C or SIGTERM."""
    from . import mail
    from .extensions import describe_queue, huey
    from .outbox import tasks as outbox_tasks

    if huey.immediate:
        raise click.ClickException("QUEUE_URL=immediate runs each job inside its caller: there is no queue to consume.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Worker: consuming {describe_queue()} with {threads} threads; email is {mail.describe_delivery()}.")
    # Whatever waits in the outbox (left by a worker that died, or queued while the queue was down) goes out now
    # rather than at the next minute's sweep.
    outbox_tasks.queue_delivery()
    # Huey's signals: SIGINT (Ctrl-C) lets running jobs finish, SIGTERM stops at once.
    huey.create_consumer(workers=threads, worker_type="thread").run()


@click.command("seed")
@click.option("--reset", is_flag=True, help="Delete the demo course and build it again.")
def seed(reset: bool) -> None:
    """Create the demo accounts and the demo course from seed/ (running it again changes nothing)."""
    from .seeding import seed_demo

    seed_demo(reset=reset, echo=click.echo)


@click.command("courses")
def list_courses() -> None:
    """List the courses, one per line, slug first."""
    for course in db.session.scalars(select(Course).order_by(Course.slug)):
        click.echo(f"{course.slug}\t{course.code}\t{course.title}\t{course.term}")


@click.command("import-posts")
@click.argument("slug")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["response", "reading"]), default="response", show_default=True)
@click.option("--author", "author_email", help="Author's email (a course member); default: the instructor.")
def import_posts(slug: str, files: tuple[Path, ...], kind: str, author_email: str | None) -> None:
    """Import blog-export documents into a course; each file is one transaction."""
    from sqlalchemy.exc import SQLAlchemyError

    from .importing import ParseError, parse_document
    from .importing.store import add_document, timeline_ending_now
    from .models import utcnow

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course has the slug {slug}. See: flask --app board courses")
    author = _import_author(course, author_email)
    failures = 0
    for path in files:
        try:
            parsed = parse_document(path.read_bytes())
            created_at = timeline_ending_now(parsed, utcnow())
            result = add_document(course, parsed, kind=kind, author=author, created_at=created_at)
            db.session.commit()
        except (ParseError, SQLAlchemyError) as error:
            db.session.rollback()
            failures += 1
            reason = error if isinstance(error, ParseError) else f"the database refused it: {error.__class__.__name__}"
            click.echo(f"{path}: not imported: {reason}", err=True)
            continue
        click.echo(
            f"{path}: imported “{result.post.title}” ({result.comments} comments, {result.likes} likes"
            f"{', awards: ' + ', '.join(result.awards) if result.awards else ''})"
        )
        for note in result.notes:
            click.echo(f"  note: {note}")
    if failures:
        raise SystemExit(1)


def _import_author(course: Course, email: str | None) -> User:
    query = select(User).join(Membership).where(Membership.course_id == course.id)
    if email:
        author = db.session.scalar(query.where(User.email == accounts.normalize_email(email)))
        if author is None:
            raise click.ClickException(f"{email} is not a member of {course.slug}.")
        return author
    instructor = db.session.scalar(query.where(Membership.role == Role.INSTRUCTOR).order_by(Membership.id))
    if instructor is None:
        raise click.ClickException(f"{course.slug} has no instructor to be the author; name one with --author.")
    return instructor


@click.command("export-course")
@click.argument("slug")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
def export_course(slug: str, output: Path | None) -> None:
    """Write a whole course as JSON (format board-course/1), or as a zip archive of that JSON with the uploads'
    files when the course has uploads."""
    from .importing import course_uploads
    from .importing.course_json import CourseTransferError, export_with_uploads

    try:
        data, uploads = export_with_uploads(slug)
        content = (
            course_uploads.pack(data, uploads)
            if uploads
            else (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        )
    except CourseTransferError as error:
        raise click.ClickException(str(error)) from error
    except RecursionError as error:
        # Python's json module nests by recursion; the format nests replies, so a chain of several hundred
        # replies to replies is more than it can write.
        raise click.ClickException(f"{slug} has a chain of replies too deep to write as nested JSON.") from error
    if output is None:
        click.echo(content, nl=False)  # bytes: written to the binary stream as they are
    else:
        output.write_bytes(content)
        click.echo(f"Wrote {output}{' (a zip archive: the course has uploads)' if uploads else ''}.", err=True)


@click.command("import-course")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", help="Import under this slug rather than the export's (for a copy beside the original).")
def import_course(file: Path, slug: str | None) -> None:
    """Recreate an exported course (JSON, or an archive with uploads) in this database (refused when its slug
    exists)."""
    from .importing import course_uploads
    from .importing.course_json import CourseTransferError
    from .importing.course_json import import_course as load

    content = file.read_bytes()
    try:
        if course_uploads.is_archive(content):
            try:
                data, uploads, files = course_uploads.unpack(content)
            except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors too
                raise click.ClickException(f"{file} is not a course archive: {error}") from error
        else:
            data, uploads, files = json.loads(content.decode("utf-8")), [], {}
        course = load(data, uploads, files, slug=slug)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file} is not a JSON file: {error}") from error
    except RecursionError as error:
        raise click.ClickException(f"{file} nests replies too deeply to read.") from error
    except CourseTransferError as error:
        raise click.ClickException(str(error)) from error
    posts = db.session.scalar(select(db.func.count()).select_from(Post).where(Post.course_id == course.id))
    click.echo(f"Imported {course.slug} with {posts} posts.")
