"""The demo course, built from the documents in seed/ as its manifest (seed/course.toml) describes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from .auth import services as accounts
from .courses import services as courses
from .extensions import db
from .importing import ParsedDocument, load_manifest, parse_document
from .importing.store import add_document
from .markdown import plain_text
from .models import AwardType, Course, Membership, Post, Role, User
from .notifications.services import seed_notifications
from .paths import resource_dir
from .uploads import services as uploads

DEMO_PASSWORD = "demo-password"


@dataclass
class SeedSummary:
    slug: str
    created: bool
    logins: list[tuple[str, str]] = field(default_factory=list)


# The two student posts opened with a photograph, lost in the blog's text export; seed/pictures/ holds drawn
# stand-ins (scripts/make_seed_pictures.py), shown above each post's own caption line.
PICTURES = {
    "003_efbb4616f769c3eb.txt": "prisoners-building-prisons.jpg",
    "004_6242c764d41ae8c1.txt": "prisoners-building-living-quarters.jpg",
}


def _with_picture(course: Course, author: User, parsed: ParsedDocument, picture: str) -> ParsedDocument:
    """The document with its picture, uploaded by the post's author, before its first paragraph (the caption);
    the caption's first part, before any "Source:", is the picture's alternative text."""
    path = resource_dir("seed") / "pictures" / picture
    upload = uploads.add_shipped_file(course, author.id, path.read_bytes(), picture)
    caption = plain_text(parsed.body.split("\n\n", 1)[0])  # the parser keeps it as <figure><figcaption>
    alt = caption.split("Source:", 1)[0].strip()
    return replace(parsed, body=f"{uploads.markdown_for(upload, course.slug, alt)}\n\n{parsed.body}")


def manifest_path() -> Path:
    return resource_dir("seed") / "course.toml"


def seed_demo(
    *, reset: bool = False, echo: Callable[[str], None] = print, manifest_file: Path | None = None
) -> SeedSummary:
    """Create the demo accounts and course; a second run changes nothing, reset=True rebuilds the course."""
    manifest = load_manifest(manifest_file or manifest_path())
    spec = manifest.course
    logins = [(a.email, a.role) for a in manifest.accounts]
    existing = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if existing is not None and not reset:
        echo(f"The demo course {spec.slug} is already seeded; nothing to do (use --reset to rebuild it).")
        return SeedSummary(spec.slug, created=False, logins=logins)
    if existing is not None:
        echo(f"Removing the demo course {spec.slug} to rebuild it…")
        db.session.delete(existing)
        db.session.commit()

    users = {}
    for account in manifest.accounts:
        user = accounts.find_user(account.email)
        if user is None:
            user = accounts.create_user(account.email, account.name, DEMO_PASSWORD)
            echo(f"  account {account.email} ({account.role})")
        users[account.email] = user
    course = courses.create_course(
        users[spec.instructor],
        title=spec.title,
        code=spec.code,
        term=spec.term,
        description=spec.description,
        slug=spec.slug,
        commit=False,
    )
    for account in manifest.accounts:
        if account.email != spec.instructor:
            db.session.add(Membership(course_id=course.id, user_id=users[account.email].id, role=Role(account.role)))
    for award in manifest.award_types:
        db.session.add(
            AwardType(course_id=course.id, name=award.name, description=award.description, badge=award.badge)
        )
    db.session.flush()
    echo(f"Course {spec.code} “{spec.title}” ({spec.slug}), {len(manifest.accounts)} members")

    posts_by_file: dict[str, Post] = {}
    for document in manifest.documents:
        parsed = parse_document(manifest.path_of(document).read_bytes(), title_lines=document.title_lines)
        if document.file in PICTURES:
            parsed = _with_picture(course, users[document.author], parsed, PICTURES[document.file])
        result = add_document(
            course,
            parsed,
            kind=document.kind,
            author=users[document.author],
            created_at=document.date,
            title=document.title,
            reading=posts_by_file.get(document.reading) if document.reading else None,
            week=document.week or "",
            comment_authors=[users[e] for e in document.comment_authors] if document.comment_authors else None,
        )
        posts_by_file[document.file] = result.post
        awards = f", award: {', '.join(result.awards)}" if result.awards else ""
        echo(f"  {document.kind:<8} “{result.post.title}”: {result.comments} comments, {result.likes} likes{awards}")
        for note in result.notes:
            echo(f"    note: {note}")
    seed_notifications(course)
    db.session.commit()
    echo("Demo course seeded.")
    return SeedSummary(spec.slug, created=True, logins=logins)
