"""Write parsed blog documents into a course: the database side of seeding and `import-posts`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

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
    PostStatus,
    Role,
    User,
    Visibility,
)
from .blog_export import ParsedDocument, ParseError

# Longer titles fit SQLite but make PostgreSQL refuse the row, so both refuse them here.
TITLE_MAX = Post.__table__.c.title.type.length
AWARD_NAME_MAX = AwardType.__table__.c.name.type.length
COMMENT_SPACING = timedelta(hours=3)
AWARD_DELAY = timedelta(days=2)


def timeline_ending_now(parsed: ParsedDocument, now: datetime) -> datetime:
    """When to date an imported post that carries no date of its own, so that its comments (one every
    COMMENT_SPACING) and its award (AWARD_DELAY after the post) are all in the past."""
    return now - max(COMMENT_SPACING * (len(parsed.comments) + 1), AWARD_DELAY + timedelta(minutes=1))


@dataclass
class ImportResult:
    post: Post
    comments: int
    likes: int
    awards: list[str]
    notes: list[str] = field(default_factory=list)


def members_by_role(course: Course) -> dict[str, list[User]]:
    """The course's users grouped by role, in the order they joined."""
    rows = db.session.execute(
        select(Membership.role, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.course_id == course.id)
        .order_by(Membership.id)
    ).all()
    grouped: dict[str, list[User]] = {role.value: [] for role in Role}
    for role, user in rows:
        grouped[role].append(user)
    return grouped


def add_document(
    course: Course,
    parsed: ParsedDocument,
    *,
    kind: str,
    author: User,
    created_at: datetime,
    title: str | None = None,
    reading: Post | None = None,
    week: str = "",
    comment_authors: list[User] | None = None,
) -> ImportResult:
    """Add one parsed document as a published post with its comments, likes and awards. Does not commit.

    Raises ParseError, before writing anything, when the title is too long for a post.
    """
    title = title or parsed.title
    if len(title) > TITLE_MAX:
        raise ParseError(f"the title is {len(title)} characters long; a post title holds at most {TITLE_MAX}")
    members = members_by_role(course)
    students = members[Role.STUDENT]
    instructor = (members[Role.INSTRUCTOR] or [author])[0]
    body = parsed.body
    post = Post(
        course_id=course.id,
        author_id=author.id,
        kind=PostKind(kind),
        title=title,
        reading_id=reading.id if reading is not None else None,
        body_md=body,
        body_html=render_markdown(body),
        word_count=word_count(body),
        week=week or "",
        status=PostStatus.PUBLISHED,
        visibility=Visibility.VISIBLE,
        created_at=created_at,
        updated_at=created_at,
        published_at=created_at,
    )
    db.session.add(post)
    db.session.flush()
    result = ImportResult(post=post, comments=0, likes=0, awards=[], notes=list(parsed.warnings))

    commenters = comment_authors or [s for s in students if s.id != author.id] or [instructor]
    for index, parsed_comment in enumerate(parsed.comments):
        commenter = commenters[index % len(commenters)]
        comment = Comment(
            course_id=course.id,
            post_id=post.id,
            author_id=commenter.id,
            depth=1,
            body_md=parsed_comment.body,
            body_html=render_markdown(parsed_comment.body),
            visibility=Visibility.VISIBLE,
            created_at=created_at + COMMENT_SPACING * (index + 1),
        )
        db.session.add(comment)
        db.session.flush()
        result.comments += 1
        likers = [s for s in students if s.id != commenter.id]
        if parsed_comment.likes > len(likers):
            result.notes.append(
                f"comment {index + 1} was liked by {parsed_comment.likes} but the course has only "
                f"{len(likers)} other students; {len(likers)} likes were added"
            )
        for liker in _rotate(likers, index)[: parsed_comment.likes]:
            db.session.add(CommentLike(comment_id=comment.id, user_id=liker.id, created_at=comment.created_at))
            result.likes += 1

    for name in dict.fromkeys(parsed.awards):  # a post holds each award once
        if (times := parsed.awards.count(name)) > 1:
            result.notes.append(f"the award “{name}” is listed {times} times; it was given once")
        award_type = award_type_named(course, name, notes=result.notes)
        db.session.add(
            Award(
                post_id=post.id,
                award_type_id=award_type.id,
                given_by_id=instructor.id,
                created_at=created_at + AWARD_DELAY,
            )
        )
        result.awards.append(name)
    db.session.flush()
    return result


def award_type_named(course: Course, name: str, *, notes: list[str] | None = None) -> AwardType:
    """The course's award type with this name, created (with the star badge) if it has none.

    Raises ParseError when the name is too long for an award type.
    """
    if len(name) > AWARD_NAME_MAX:
        raise ParseError(f"the award name “{name[:40]}…” is {len(name)} characters; at most {AWARD_NAME_MAX} fit")
    award_type = db.session.scalar(select(AwardType).where(AwardType.course_id == course.id, AwardType.name == name))
    if award_type is None:
        award_type = AwardType(course_id=course.id, name=name, description="", badge="star")
        db.session.add(award_type)
        db.session.flush()
        if notes is not None:
            notes.append(f"created the award type “{name}”")
    return award_type


def _rotate(people: list[User], offset: int) -> list[User]:
    # Spread likes over the class rather than always starting with the same student.
    if not people:
        return []
    offset %= len(people)
    return people[offset:] + people[:offset]
