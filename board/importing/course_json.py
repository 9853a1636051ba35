"""Export a whole course as JSON ("board-course/1") and import it into a database that lacks it.

Export → import into an empty database → export gives the same JSON. Password hashes are never exported;
members imported without an account get one with no password, which must be set through a reset. A course with
uploads travels as an archive that also holds their rows and bytes (course_uploads.py); the import gives them new
tokens and rewrites the URLs in the imported texts, so only the tokens differ on the way back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from .. import timezones
from ..auth import services as accounts
from ..extensions import db
from ..markdown import render_markdown, word_count
from ..models import (
    Award,
    AwardType,
    Comment,
    CommentLike,
    Course,
    Membership,
    Post,
    PostKind,
    PostLike,
    PostRevision,
    PostStatus,
    Role,
    User,
    Visibility,
)
from . import course_uploads

FORMAT = "board-course/1"


class CourseTransferError(ValueError):
    """An export or import that cannot be done; the message says why."""


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _published_at(item: dict[str, Any]) -> datetime | None:
    """When a post was published; a published post without the time (a hand-made file) counts from its creation,
    since every list of posts pages by this time and cannot seek past a missing one."""
    published_at = _parse_time(item.get("published_at"))
    if published_at is None and item["status"] == PostStatus.PUBLISHED:
        return _parse_time(item["created_at"])
    return published_at


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise CourseTransferError(f"time without a timezone: {value}")
    return parsed


def export_course(slug: str) -> dict[str, Any]:
    """The course as a JSON-ready dict in the board-course/1 format."""
    return _export(_course(slug))


def export_with_uploads(slug: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The course's export and its uploads' manifest (course_uploads.manifest; empty when it has none)."""
    course = _course(slug)
    return _export(course), course_uploads.manifest(course)


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise CourseTransferError(f"No course has the slug {slug}.")
    return course


def _export(course: Course) -> dict[str, Any]:
    emails = _emails(course)
    members = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.course_id == course.id)
        .order_by(Membership.id)
    ).all()
    award_types = db.session.scalars(
        select(AwardType).where(AwardType.course_id == course.id).order_by(AwardType.id)
    ).all()
    posts = db.session.scalars(
        select(Post)
        .where(Post.course_id == course.id)
        .order_by(Post.created_at, Post.id)
        .options(selectinload(Post.awards))
    ).all()
    refs = {post.id: f"p{index}" for index, post in enumerate(posts, start=1)}
    post_likes = _likes(select(PostLike.post_id, PostLike.user_id).join(Post).where(Post.course_id == course.id))
    comments = db.session.scalars(
        select(Comment).where(Comment.course_id == course.id).order_by(Comment.created_at, Comment.id)
    ).all()
    comment_likes = _likes(
        select(CommentLike.comment_id, CommentLike.user_id).join(Comment).where(Comment.course_id == course.id)
    )
    comment_awards: dict[int, list[Award]] = {}
    for award in db.session.scalars(
        select(Award)
        .join(Comment, Comment.id == Award.comment_id)
        .where(Comment.course_id == course.id)
        .order_by(Award.created_at, Award.id)
    ):
        comment_awards.setdefault(award.comment_id, []).append(award)
    revisions = db.session.scalars(
        select(PostRevision).join(Post).where(Post.course_id == course.id).order_by(PostRevision.id)
    ).all()
    return {
        "format": FORMAT,
        "course": {
            "slug": course.slug,
            "title": course.title,
            "code": course.code,
            "term": course.term,
            "description": course.description,
            "settings": course.settings(),
            "dates": {name: _day(getattr(course, name)) for name in Course.DATES},
        },
        "members": [{"email": user.email, "name": user.display_name, "role": m.role} for m, user in members],
        "award_types": [
            {"name": t.name, "description": t.description, "badge": t.badge, "per_reading_limit": t.per_reading_limit}
            for t in award_types
        ],
        "posts": [
            _export_post(post, refs, emails, post_likes, comments, (comment_likes, comment_awards), revisions)
            for post in posts
        ],
    }


def _export_award(award: Award, emails: dict[int, str]) -> dict[str, Any]:
    return {
        "name": award.award_type.name,
        "by": emails[award.given_by_id],
        "at": _time(award.created_at),
        "note": award.note,
    }


def _emails(course: Course) -> dict[int, str]:
    # Authors and likers may have left the course, so map every user who appears in it.
    return dict(db.session.execute(select(User.id, User.email)).all())


def _likes(statement) -> dict[int, list[int]]:
    likes: dict[int, list[int]] = {}
    for target_id, user_id in db.session.execute(statement.order_by(*statement.selected_columns)).all():
        likes.setdefault(target_id, []).append(user_id)
    return likes


def _export_post(post, refs, emails, post_likes, comments, comment_extras, revisions) -> dict[str, Any]:
    # Built without recursion, so a long chain of replies cannot exhaust Python's stack.
    comment_likes, comment_awards = comment_extras
    own = [comment for comment in comments if comment.post_id == post.id]
    nodes = {
        comment.id: {
            "author": emails[comment.author_id],
            "body": comment.body_md,
            "status": "deleted" if comment.deleted_at else comment.visibility,
            "created_at": _time(comment.created_at),
            "edited_at": _time(comment.edited_at),
            "deleted_at": _time(comment.deleted_at),
            "hidden_reason": comment.hidden_reason,
            "anonymous": comment.anonymous,
            "likes": sorted(emails[u] for u in comment_likes.get(comment.id, [])),
            "awards": [_export_award(a, emails) for a in comment_awards.get(comment.id, [])],
            "replies": [],
        }
        for comment in own
    }
    top_level: list[dict[str, Any]] = []
    for comment in own:  # in creation order, so replies keep theirs
        (nodes[comment.parent_id]["replies"] if comment.parent_id else top_level).append(nodes[comment.id])

    return {
        "ref": refs[post.id],
        "kind": post.kind,
        "title": post.title,
        "author": emails[post.author_id],
        "body": post.body_md,
        "status": post.status,
        "created_at": _time(post.created_at),
        "updated_at": _time(post.updated_at),
        "reading": refs.get(post.reading_id),
        "likes": sorted(emails[u] for u in post_likes.get(post.id, [])),
        "awards": [_export_award(a, emails) for a in post.awards],
        "comments": top_level,
        # Beyond the core format: what a lossless round trip also needs.
        "published_at": _time(post.published_at),
        "edited_at": _time(post.edited_at),
        "deleted_at": _time(post.deleted_at),
        "visibility": post.visibility,
        "hidden_reason": post.hidden_reason,
        "anonymous": post.anonymous,
        "comments_locked": post.comments_locked,
        "pinned": post.pinned,
        "source": post.source,
        "prompt": post.prompt,
        "week": post.week,
        "due_at": _time(post.due_at),
        "responses_hidden_until_posted": post.responses_hidden_until_posted,
        "unlock_min_words": post.unlock_min_words,
        "max_points": post.max_points,
        "revisions": [
            {"title": r.title, "body": r.body_md, "by": emails[r.editor_id], "at": _time(r.created_at)}
            for r in revisions
            if r.post_id == post.id
        ],
    }


def import_course(
    data: dict[str, Any],
    uploads: list[dict[str, Any]] | None = None,
    files: dict[str, bytes] | None = None,
    slug: str | None = None,
) -> Course:
    """Recreate an exported course, with its uploads' rows and bytes when an archive brought them, under its own
    slug or `slug`; refuses when that slug exists. One transaction: all or nothing."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CourseTransferError(f'Not a {FORMAT} export (the "format" field is missing or different).')
    try:
        slug = slug or data["course"]["slug"]
        if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
            raise CourseTransferError(f"A course with the slug {slug} already exists; nothing was imported.")
        course = _import(data, slug, uploads or [], files or {})
        db.session.commit()
    except (KeyError, TypeError, ValueError, SQLAlchemyError) as error:
        db.session.rollback()
        if isinstance(error, CourseTransferError):
            raise
        reason = f"missing {error.args[0]!r}" if isinstance(error, KeyError) else getattr(error, "orig", error)
        raise CourseTransferError(f"The export is malformed ({reason}); nothing was imported.") from error
    return course


def _import(data: dict[str, Any], slug: str, uploads: list[dict[str, Any]], files: dict[str, bytes]) -> Course:
    from ..courses.services import new_join_code

    spec = data["course"]
    users: dict[str, User] = {}
    for member in data["members"]:
        users[member["email"]] = _user(member["email"], member["name"])
    course = Course(
        slug=slug,
        title=spec["title"],
        code=spec["code"],
        term=spec["term"],
        description=spec["description"],
        student_join_code=new_join_code(),
        assistant_join_code=new_join_code(),
    )
    for name, value in spec.get("settings", {}).items():
        if name not in Course.SETTINGS:
            raise CourseTransferError(f"Unknown course setting {name}.")
        if name == "time_zone" and not timezones.is_valid(value):
            raise CourseTransferError(f"Unknown time zone {value!r}.")
        setattr(course, name, value)
    for name, value in (spec.get("dates") or {}).items():
        if name not in Course.DATES:
            raise CourseTransferError(f"Unknown course date {name}.")
        setattr(course, name, _parse_day(name, value))
    if course.starts_on and course.ends_on and course.ends_on <= course.starts_on:  # as the settings form refuses
        raise CourseTransferError(
            f"The course's last day ({course.ends_on}) must come after its first day ({course.starts_on})."
        )
    db.session.add(course)
    db.session.flush()
    for member in data["members"]:
        db.session.add(Membership(course_id=course.id, user_id=users[member["email"]].id, role=Role(member["role"])))
    types = {}
    for award_type in data["award_types"]:
        types[award_type["name"]] = AwardType(
            course_id=course.id,
            name=award_type["name"],
            description=award_type.get("description", ""),
            badge=award_type.get("badge", "star"),
            per_reading_limit=award_type.get("per_reading_limit"),
        )
        db.session.add(types[award_type["name"]])
    db.session.flush()

    def person(email: str) -> User:
        if email not in users:
            users[email] = _user(email, email.split("@")[0])
        return users[email]

    # Before the posts, so the references listener (uploads/refs.py) finds the uploads their rewritten URLs name.
    made = course_uploads.import_uploads(course, uploads, files, person, _parse_time)
    rewrite = course_uploads.UrlRewriter(spec["slug"], slug, made)
    posts: dict[str, Post] = {}
    for item in data["posts"]:
        if item.get("reading") and item["reading"] not in posts:
            raise CourseTransferError(f"Post {item['ref']} answers {item['reading']}, which is not an earlier post.")
        post = Post(
            course_id=course.id,
            author_id=person(item["author"]).id,
            kind=PostKind(item["kind"]),
            title=item["title"],
            body_md=rewrite(item["body"]),
            body_html=render_markdown(rewrite(item["body"])),
            word_count=word_count(item["body"]),
            status=PostStatus(item["status"]),
            created_at=_parse_time(item["created_at"]),
            updated_at=_parse_time(item["updated_at"]),
            reading_id=posts[item["reading"]].id if item.get("reading") else None,
            published_at=_published_at(item),
            edited_at=_parse_time(item.get("edited_at")),
            deleted_at=_parse_time(item.get("deleted_at")),
            visibility=Visibility(item.get("visibility", Visibility.VISIBLE)),
            hidden_reason=item.get("hidden_reason", ""),
            anonymous=item.get("anonymous", False),
            comments_locked=item.get("comments_locked", False),
            pinned=item.get("pinned", False),
            source=item.get("source", ""),
            prompt=rewrite(item.get("prompt", "")),
            prompt_html=render_markdown(rewrite(item.get("prompt", ""))),
            week=item.get("week", ""),
            due_at=_parse_time(item.get("due_at")),
            responses_hidden_until_posted=item.get("responses_hidden_until_posted", False),
            unlock_min_words=item.get("unlock_min_words", 0),
            max_points=item.get("max_points"),
        )
        db.session.add(post)
        db.session.flush()
        posts[item["ref"]] = post
        for email in item.get("likes", []):
            db.session.add(PostLike(post_id=post.id, user_id=person(email).id))
        _import_awards(item.get("awards", []), types, person, post_id=post.id)
        for revision in item.get("revisions", []):
            db.session.add(
                PostRevision(
                    post_id=post.id,
                    editor_id=person(revision["by"]).id,
                    title=revision["title"],
                    body_md=rewrite(revision["body"]),
                    created_at=_parse_time(revision["at"]),
                )
            )
        course_uploads.add_version_refs(post, [rewrite(r["body"]) for r in item.get("revisions", [])], made)
        _import_comments(course, post, item.get("comments", []), person, types, rewrite)
    db.session.flush()
    return course


def _import_awards(items: list[dict[str, Any]], types: dict[str, AwardType], person, **target: int) -> None:
    """Add the awards of one post or comment (`post_id=` or `comment_id=`)."""
    for award in items:
        if award["name"] not in types:
            raise CourseTransferError(f"Award {award['name']!r} is not one of the course's award types.")
        db.session.add(
            Award(
                **target,
                award_type_id=types[award["name"]].id,
                given_by_id=person(award["by"]).id,
                note=award.get("note", ""),
                created_at=_parse_time(award["at"]),
            )
        )


def _import_comments(course: Course, post: Post, items: list[dict[str, Any]], person, types, rewrite) -> None:
    """Add a post's comment tree in document order (depth first), without recursion."""
    pending: list[tuple[dict[str, Any], Comment | None]] = [(item, None) for item in reversed(items)]
    while pending:
        item, parent = pending.pop()
        status = item.get("status", Visibility.VISIBLE)
        comment = Comment(
            course_id=course.id,
            post_id=post.id,
            author_id=person(item["author"]).id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 1,
            body_md=rewrite(item["body"]),
            body_html=render_markdown(rewrite(item["body"])),
            created_at=_parse_time(item["created_at"]),
            edited_at=_parse_time(item.get("edited_at")),
            deleted_at=_parse_time(item.get("deleted_at")),
            visibility=Visibility.VISIBLE if status == "deleted" else Visibility(status),
            hidden_reason=item.get("hidden_reason", ""),
            anonymous=item.get("anonymous", False),
        )
        db.session.add(comment)
        db.session.flush()
        for email in item.get("likes", []):
            db.session.add(CommentLike(comment_id=comment.id, user_id=person(email).id))
        _import_awards(item.get("awards", []), types, person, comment_id=comment.id)
        pending.extend((reply, comment) for reply in reversed(item.get("replies", [])))


def _user(email: str, name: str) -> User:
    existing = accounts.find_user(email)
    if existing is not None:
        return existing
    user = User(email=accounts.normalize_email(email), display_name=name, password_hash=None)
    db.session.add(user)
    db.session.flush()
    return user


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_day(name: str, value) -> date | None:
    """A course date from an export (YYYY-MM-DD, or null)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CourseTransferError(f"The course's {name.replace('_', ' ')} is not a date: {value!r}.") from None
