"""The one way to fetch a course, post or comment for a user, and the visibility rules behind every list.

A non-member gets 404 for everything in a course, so a course's existence does not leak; the same goes for a
post or comment the viewer may not see. A member who may see a thing but not act on it gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from . import timezones
from .desk.models import Grade
from .extensions import db
from .models import (
    Award,
    AwardType,
    Comment,
    Course,
    Membership,
    Post,
    PostKind,
    PostStatus,
    Report,
    Role,
    User,
    Visibility,
)
from .permissions import can
from .uploads.models import Upload, UploadRef


@dataclass(frozen=True)
class CourseContext:
    """A signed-in member looking at one course: everything the access rules need."""

    course: Course
    membership: Membership
    user: User
    # The visibility clauses, built once per request (a page asks for the same one up to three times).
    clauses: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_staff(self) -> bool:
        return self.membership.is_staff

    def can(self, permission: str) -> bool:
        """Whether the viewer holds `permission` in this course."""
        return can(self.membership, permission)

    def require(self, permission: str) -> None:
        """Abort with 403 unless the viewer holds `permission`."""
        if not self.can(permission):
            abort(403)

    # Rules about one post or comment; services enforce them, templates ask them to decide what to show.

    def wrote(self, item: Post | Comment) -> bool:
        return item.author_id == self.user.id

    def may_edit_post(self, post: Post) -> bool:
        """Authors edit and delete their own posts; instructors and assistants also every reading."""
        return self.wrote(post) or (post.is_reading and self.can("reading:write"))

    def may_edit_comment(self, comment: Comment) -> bool:
        """Only its author edits or deletes a comment (moderators hide or delete it permanently instead)."""
        return self.wrote(comment)

    def may_read_revisions(self, item: Post | Comment) -> bool:
        """A post's or comment's earlier versions: its author and staff, never classmates (an edit may have taken
        back what was meant to stay unsaid)."""
        return self.wrote(item) or self.can("revisions:read")

    def may_like(self, item: Post | Comment) -> bool:
        """Not one's own writing: a self-like would tell classmates who wrote an anonymous post."""
        return self.can("post:like") and not self.wrote(item)

    def may_report(self, item: Post | Comment) -> bool:
        """Not one's own writing: its author edits or deletes it instead."""
        return self.can("report:create") and not self.wrote(item)


def course_context(user: User, slug: str) -> CourseContext:
    """The viewer's context in the course `slug`; 404 when there is no such course or the viewer is not a member."""
    if not user.is_authenticated:
        abort(404)
    row = db.session.execute(
        select(Course, Membership)
        .join(Membership, Membership.course_id == Course.id)
        .where(Course.slug == slug)
        .where(Membership.user_id == user.id)
    ).first()
    if row is None:
        abort(404)
    timezones.remember_course(row.Course)  # its pages show times in its zone to members who have none
    return CourseContext(course=row.Course, membership=row.Membership, user=user)


def get_membership(ctx: CourseContext, membership_id: int) -> Membership:
    """A membership of this course (for the roster); 404 if it belongs to another course."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.course_id != ctx.course.id:
        abort(404)
    return membership


def get_member(ctx: CourseContext, user_id: int) -> tuple[User, Membership]:
    """A fellow member of this course and their membership; 404 for anyone outside it."""
    row = db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == ctx.course.id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        abort(404)
    return row.User, row.Membership


def visible_posts_clause(ctx: CourseContext, *, include_deleted: bool = False):
    """SQL condition: the posts of this course the viewer may see (drafts, held, hidden and gated ones filtered).

    With include_deleted, staff also see posts their authors deleted (a deleted response that unlocked a
    reading stays visible to instructors, with its revisions).
    """
    key = ("visible_posts", include_deleted)
    if key not in ctx.clauses:
        ctx.clauses[key] = _visible_posts_clause(ctx, include_deleted)
    return ctx.clauses[key]


def _visible_posts_clause(ctx: CourseContext, include_deleted: bool):
    own = Post.author_id == ctx.user.id
    conditions = [Post.course_id == ctx.course.id]
    if not (include_deleted and ctx.is_staff):
        conditions.append(Post.deleted_at.is_(None))
    conditions.append(or_(Post.status == PostStatus.PUBLISHED, own))
    if ctx.is_staff:
        return and_(*conditions)
    conditions.append(or_(Post.visibility == Visibility.VISIBLE, own))
    conditions.append(or_(own, responses_unlocked_clause(ctx)))
    return and_(*conditions)


def can_see_reading(ctx: CourseContext, reading: Post) -> bool:
    """The Python twin of visible_posts_clause for a reading already loaded (readings are never gated)."""
    own = reading.author_id == ctx.user.id
    if reading.deleted_at is not None or not (reading.is_published or own):
        return False
    return ctx.is_staff or own or reading.visibility == Visibility.VISIBLE


def _unlocks(ctx: CourseContext, response, min_words) -> tuple:
    """Conditions on `response` (Post or an alias) for it to be the viewer's unlocking response to its reading."""
    return (response.author_id == ctx.user.id, *_unlocking(response, min_words))


def _unlocking(response, min_words) -> tuple:
    """Conditions on `response` for it to unlock its reading for its author: published, not deleted, seen by the
    class (a held or hidden placeholder unlocks nothing), and long enough."""
    return (
        response.status == PostStatus.PUBLISHED,
        response.deleted_at.is_(None),
        response.visibility == Visibility.VISIBLE,
        response.word_count >= min_words,
    )


# Made once: building an alias of a 28-column model costs milliseconds, and these are used on every page.
_READING = aliased(Post, name="gating_reading")
_MINE = aliased(Post, name="unlocking_response")


def responses_unlocked_clause(ctx: CourseContext):
    """SQL condition on Post: not a response behind its reading's "post before you see" rule, or unlocked."""
    reading = _READING
    mine = _MINE
    gated_reading = (
        select(reading.id)
        .where(reading.id == Post.reading_id)
        .where(reading.responses_hidden_until_posted == true())
        .correlate(Post)
    )
    unlocking_response = (
        select(mine.id)
        .join(reading, reading.id == mine.reading_id)
        .where(mine.reading_id == Post.reading_id, *_unlocks(ctx, mine, reading.unlock_min_words))
        .correlate(Post)
    )
    return or_(
        Post.kind == PostKind.READING,
        Post.reading_id.is_(None),
        ~exists(gated_reading),
        exists(unlocking_response),
    )


def has_unlocked(ctx: CourseContext, reading: Post) -> bool:
    """Whether the viewer may see classmates' responses to `reading`."""
    if ctx.is_staff or not reading.responses_hidden_until_posted:
        return True
    return bool(
        db.session.scalar(
            select(exists().where(Post.reading_id == reading.id, *_unlocks(ctx, Post, reading.unlock_min_words)))
        )
    )


def visible_comments_clause(ctx: CourseContext, comment=Comment):
    """SQL condition on Comment (or an alias of it): comments the viewer may read (held and hidden ones only for
    author and staff)."""
    if ctx.is_staff:
        return true()
    return or_(comment.visibility == Visibility.VISIBLE, comment.author_id == ctx.user.id)


def can_read_comment(ctx: CourseContext, comment: Comment) -> bool:
    """The Python twin of visible_comments_clause, for comments already loaded."""
    return ctx.is_staff or comment.visibility == Visibility.VISIBLE or comment.author_id == ctx.user.id


_WITH_READING = joinedload(Post.reading).lazyload(Post.author)


def get_post(ctx: CourseContext, post_id: int, *, check_author: bool = False) -> Post:
    """A post the viewer may see; 404 if it is not in the course or not visible to them.

    With check_author, 403 unless the viewer wrote it.
    """
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .where(visible_posts_clause(ctx, include_deleted=True))
        .options(_WITH_READING)  # a response's page names its reading: in this query, not one of its own
    )
    if post is None:
        abort(404)
    if check_author and post.author_id != ctx.user.id:
        abort(403)
    return post


def get_comment(
    ctx: CourseContext, comment_id: int, *, check_author: bool = False, include_deleted: bool = False
) -> Comment:
    """A comment on a post the viewer may see; 404 otherwise. With check_author, 403 unless the viewer wrote it.

    With include_deleted, those who read revisions (staff) also find a comment its author deleted (and one on a
    deleted post), as visible_posts_clause does for posts: its earlier versions stay theirs to read.
    """
    deleted_too = include_deleted and ctx.can("revisions:read")
    visible_post_ids = select(Post.id).where(visible_posts_clause(ctx, include_deleted=deleted_too))
    statement = (
        select(Comment)
        .where(Comment.id == comment_id)
        .where(Comment.course_id == ctx.course.id)
        .where(Comment.post_id.in_(visible_post_ids))
        .where(visible_comments_clause(ctx))
    )
    if not deleted_too:
        statement = statement.where(Comment.deleted_at.is_(None))
    comment = db.session.scalar(statement)
    if comment is None:
        abort(404)
    if check_author and comment.author_id != ctx.user.id:
        abort(403)
    return comment


def get_target(ctx: CourseContext, kind: str, item_id: int) -> Post | Comment:
    """A post ("posts") or comment ("comments") the viewer may see, for actions that take either."""
    if kind == "posts":
        return get_post(ctx, item_id)
    if kind == "comments":
        return get_comment(ctx, item_id)
    abort(404)


def get_award_type(ctx: CourseContext, type_id: int) -> AwardType:
    """One of this course's award types; 404 otherwise."""
    award_type = db.session.get(AwardType, type_id)
    if award_type is None or award_type.course_id != ctx.course.id:
        abort(404)
    return award_type


def get_award(ctx: CourseContext, award_id: int) -> Award:
    """An award on a post or comment of this course that the viewer may see; 404 otherwise."""
    award = db.session.get(Award, award_id)
    if award is None:
        abort(404)
    if award.comment_id is not None:
        get_comment(ctx, award.comment_id)
    else:
        get_post(ctx, award.post_id)
    return award


def get_student(ctx: CourseContext, user_id: int) -> User:
    """A student of this course (someone staff grade); 404 for anyone else, staff included."""
    user, membership = get_member(ctx, user_id)
    if membership.role != Role.STUDENT:
        abort(404)
    return user


def visible_grades_clause(ctx: CourseContext):
    """SQL condition on Grade: graders see the course's grades; anyone else only their own, once released."""
    if ctx.can("grade:write"):
        return Grade.course_id == ctx.course.id
    released = select(Post.id).where(Post.id == Grade.reading_id, Post.grades_released_at.is_not(None))
    return and_(Grade.course_id == ctx.course.id, Grade.student_id == ctx.user.id, exists(released.correlate(Grade)))


def get_report(ctx: CourseContext, report_id: int) -> Report:
    """A report in this course; 404 otherwise."""
    item = db.session.get(Report, report_id)
    if item is None or item.course_id != ctx.course.id:
        abort(404)
    return item


def shows_author(ctx: CourseContext, item: Post | Comment) -> bool:
    """Whether the viewer is told who wrote `item` (anonymous items name their author to staff and the author only)."""
    if not item.anonymous:
        return True
    return ctx.is_staff or item.author_id == ctx.user.id


# Deciding who may be told: notifications and email obey the same rules as pages, checked for their recipient.


def member_contexts(course: Course, user_ids) -> dict[int, CourseContext]:
    """The course contexts of those of `user_ids` who are members of `course` (one query); others are left out."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.course_id == course.id)
        .where(Membership.user_id.in_(ids))
    ).all()
    return {row.User.id: CourseContext(course=course, membership=row.Membership, user=row.User) for row in rows}


def visible_items(
    ctx: CourseContext, post_ids, comment_ids, *, include_deleted: bool = False
) -> tuple[set[int], set[int]]:
    """Which of these posts and comments the viewer may see right now, by the rules of get_post and get_comment
    (posts the author deleted count as gone, even for staff; with include_deleted, staff still see those, as
    get_post and get_comment(include_deleted=True) let them)."""
    posts: set[int] = set()
    comments: set[int] = set()
    post_ids, comment_ids = set(post_ids), set(comment_ids)
    deleted_too = include_deleted and ctx.can("revisions:read")
    if post_ids:
        clause = visible_posts_clause(ctx, include_deleted=deleted_too)
        posts = set(db.session.scalars(select(Post.id).where(Post.id.in_(post_ids), clause)))
    if comment_ids:
        visible_post_ids = select(Post.id).where(visible_posts_clause(ctx, include_deleted=deleted_too))
        statement = (
            select(Comment.id)
            .where(Comment.id.in_(comment_ids))
            .where(Comment.course_id == ctx.course.id)
            .where(Comment.post_id.in_(visible_post_ids))
            .where(visible_comments_clause(ctx))
        )
        if not deleted_too:
            statement = statement.where(Comment.deleted_at.is_(None))
        comments = set(db.session.scalars(statement))
    return posts, comments


def who_may_see(contexts: dict[int, CourseContext], post: Post | None, comment: Comment | None = None) -> set[int]:
    """Which of these members (of one course) may see `comment`, or `post` when comment is None, right now: the rules
    of visible_items, decided for all of them at once. Beyond role and authorship only the gate ("post before you
    see") differs from person to person, and it is one query for everyone, so telling a thousand people costs what
    telling one does. `post` None (a reminder about the course as a whole): all of them."""
    if post is None or not contexts:
        return set(contexts)
    course_id = next(iter(contexts.values())).course.id
    if comment is not None:
        if comment.course_id != course_id or comment.deleted_at is not None or comment.post_id != post.id:
            return set()
        contexts = {uid: ctx for uid, ctx in contexts.items() if can_read_comment(ctx, comment)}
    if post.course_id != course_id or post.deleted_at is not None:  # gone, even for staff (visible_items)
        return set()
    own = post.author_id
    mine = {own} & set(contexts)
    if post.status != PostStatus.PUBLISHED:
        return mine  # a draft: its author only
    staff = {uid for uid, ctx in contexts.items() if ctx.is_staff}
    if post.visibility != Visibility.VISIBLE:
        return staff | mine  # held or hidden
    return staff | mine | _past_the_gate(post, set(contexts) - staff - mine)


def _past_the_gate(post: Post, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` (not its author, not staff) who may see `post` as far as "post before you see" goes:
    everyone for a reading, a free post or a response to an ungated reading; else those who unlocked its reading."""
    if not user_ids or post.kind == PostKind.READING or post.reading_id is None:
        return user_ids
    reading = post.reading
    if reading is None or not reading.responses_hidden_until_posted:
        return user_ids
    return set(
        db.session.scalars(
            select(Post.author_id)
            .where(Post.reading_id == reading.id, Post.author_id.in_(user_ids))
            .where(*_unlocking(Post, reading.unlock_min_words))
            .distinct()
        )
    )


def attributed_to_clause(ctx: CourseContext, model, user_id: int):
    """SQL condition on Post or Comment: written by `user_id` as far as the viewer may know (an anonymous item is
    attributed only for staff and for its author), so filtering by a classmate never finds their anonymous writing."""
    if ctx.is_staff or user_id == ctx.user.id:
        return model.author_id == user_id
    return and_(model.author_id == user_id, model.anonymous.is_(False))


def may_fetch_upload(ctx: CourseContext, upload: Upload) -> bool:
    """Whether the viewer may fetch an upload of this course: their own always (the picture in their composer,
    before any post holds it); anyone else's when a post or comment they may see holds it now (visible_items: held,
    hidden, deleted, draft and gated ones do not count), or when an earlier version of one holds it and they may read
    that item's versions (its author and staff). Staff also see those of a post or comment its author deleted, as
    they still read it, until the cleanup removes them (board/uploads/cleanup.py)."""
    if upload.course_id != ctx.course.id:
        return False
    if upload.uploader_id == ctx.user.id:
        return True
    refs = db.session.execute(
        select(UploadRef.post_id, UploadRef.comment_id, UploadRef.current).where(UploadRef.upload_id == upload.id)
    ).all()
    if not refs:
        return False
    posts, comments = visible_items(
        ctx,
        {ref.post_id for ref in refs if ref.comment_id is None},
        {ref.comment_id for ref in refs if ref.comment_id},
        include_deleted=True,  # staff still read a deleted post (and its versions), pictures included
    )
    for ref in refs:
        seen = ref.comment_id in comments if ref.comment_id is not None else ref.post_id in posts
        if seen and (ref.current or ctx.can("revisions:read")):
            return True
    # An earlier version, for its author: the item's author_id decides (staff were answered above).
    authored = [ref for ref in refs if not ref.current]
    return any(_wrote_visible(ctx, ref, posts, comments) for ref in authored)


def _wrote_visible(ctx: CourseContext, ref, posts: set[int], comments: set[int]) -> bool:
    if ref.comment_id is not None:
        return ref.comment_id in comments and db.session.get(Comment, ref.comment_id).author_id == ctx.user.id
    return ref.post_id in posts and db.session.get(Post, ref.post_id).author_id == ctx.user.id
