"""What each feed shows: the page queries' rows, as their owner may see them now, turned into Atom entries."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from .. import timezones
from ..access import CourseContext
from ..auth.email_flows import absolute_url
from ..courses.services import courses_of
from ..extensions import db
from ..keyset import EPOCH, Window
from ..markdown import without_pictures
from ..models import Comment, Course, Post, User, Visibility
from ..notifications.models import Notification
from ..notifications.services import absolute, notifications_of, present
from ..posts import queries as page_queries
from ..templating import author_name
from . import tokens
from .atom import Entry, Feed

FEED_SIZE = 50  # newest entries a feed carries


def _state(item: Post | Comment) -> str:
    # Only its author and staff get held or hidden items at all; say so, as the page's tags do.
    if item.visibility == Visibility.HELD:
        return " (awaiting approval)"
    if item.visibility == Visibility.HIDDEN:
        return " (hidden)"
    return ""


def post_entry(ctx: CourseContext, post: Post) -> Entry:
    """A reading or response as an entry: its stored HTML, and a reading's discussion prompt after it."""
    link = absolute_url("posts.show", slug=ctx.course.slug, post_id=post.id)
    # A feed reader has no session: an uploaded picture would not load there, so it reads as its description.
    html = without_pictures(post.body_html)
    if post.is_reading and post.prompt_html:
        html += "\n<h2>Discussion prompt</h2>\n" + without_pictures(post.prompt_html)
    if post.is_reading and post.due_at is not None:
        # Read by the feed's owner: in their zone, else the course's (the Atom dates themselves stay UTC).
        due = timezones.human(post.due_at, timezones.zone_name(ctx.user, ctx.course), timezones.DAY_FORMAT)
        html += f"\n<p>Responses are due {escape(due)}.</p>"
    kind = "Reading" if post.is_reading else "Response" if post.reading_id else "Post"
    return Entry(
        id=link,
        title=f"{kind}: {post.title}{_state(post)}",
        link=link,
        author=author_name(ctx, post),
        published=post.published_at or post.created_at,
        updated=post.edited_at or post.published_at or post.created_at,
        html=html,
    )


def comment_entry(ctx: CourseContext, post: Post, comment: Comment) -> Entry:
    link = absolute_url("posts.show", slug=ctx.course.slug, post_id=post.id, _anchor=f"comment-{comment.id}")
    name = author_name(ctx, comment)
    return Entry(
        id=link,
        title=f"{name} on “{post.title}”{_state(comment)}",
        link=link,
        author=name,
        published=comment.created_at,
        updated=comment.edited_at or comment.created_at,
        html=without_pictures(comment.body_html),
    )


def _feed(ctx: CourseContext, token: str, endpoint: str, page: str, title: str, **values) -> Feed:
    return Feed(
        id=page,
        title=title,
        link=page,
        self_link=absolute_url(endpoint, token=token, slug=ctx.course.slug, **values),
        subtitle=f"{ctx.course.code} · {ctx.course.title}".strip(" ·"),
        fallback_updated=ctx.course.created_at,
    )


def course_feed(ctx: CourseContext, token: str) -> Feed:
    """New readings and responses in the course, newest first: the course home's own two lists."""
    readings = [row.post for row in page_queries.course_readings(ctx) if row.post.is_published]
    responses = [row.post for row in page_queries.latest_responses(ctx, Window(size=FEED_SIZE))]
    # A post imported without its date has none; it sorts as 1970, as the pages' lists sort it.
    newest = sorted(readings + responses, key=lambda p: (p.published_at or EPOCH, p.id), reverse=True)[:FEED_SIZE]
    page = absolute_url("courses.home", slug=ctx.course.slug)
    feed = _feed(ctx, token, "feeds.course", page, f"{ctx.course.title}: readings and responses")
    feed.entries = [post_entry(ctx, post) for post in newest]
    return feed


def reading_feed(ctx: CourseContext, token: str, reading: Post, unlocked: bool) -> Feed:
    """A reading's responses, newest first, as its page lists them (none of classmates' before the viewer has
    posted, when the reading asks for that)."""
    page = absolute_url("posts.show", slug=ctx.course.slug, post_id=reading.id)
    feed = _feed(ctx, token, "feeds.reading", page, f"Responses to “{reading.title}”", reading_id=reading.id)
    if unlocked:
        rows = page_queries.latest_responses(ctx, Window(size=FEED_SIZE), reading=reading)
        feed.entries = [post_entry(ctx, row.post) for row in rows]
    return feed


def comments_feed(ctx: CourseContext, token: str, post: Post) -> Feed:
    """A post's comments, newest first: those its page shows in full (no placeholders)."""
    page = absolute_url("posts.show", slug=ctx.course.slug, post_id=post.id)
    feed = _feed(ctx, token, "feeds.comments", page, f"Comments on “{post.title}”", post_id=post.id)
    thread = page_queries.post_page(ctx, post).thread
    readable = [item.comment for item in thread if item.placeholder is None]
    newest = sorted(readable, key=lambda c: (c.created_at, c.id), reverse=True)[:FEED_SIZE]
    feed.entries = [comment_entry(ctx, post, comment) for comment in newest]
    return feed


def notifications_feed(owner: User, token: str) -> Feed:
    """The owner's newest notifications, each as the notifications page shows it now (checked again against the
    access rules: an item they may no longer see is "no longer available", with no name, title or text)."""
    page = absolute_url("notifications.index")
    rows = list(
        db.session.scalars(
            notifications_of(owner).order_by(Notification.created_at.desc(), Notification.id.desc()).limit(FEED_SIZE)
        )
    )
    feed = Feed(
        id=page,
        title=f"Notifications for {owner.display_name}",
        link=page,
        self_link=absolute_url("feeds.notifications", token=token),
        fallback_updated=owner.created_at,
    )
    for shown in present(owner, rows):
        item = shown.notification
        link = absolute(shown.path) if shown.visible and shown.path else page
        title = f"{shown.course_name}: {shown.text}" if shown.course_name else shown.text
        feed.entries.append(
            Entry(
                id=f"{page}#notification-{item.id}",
                title=title,
                link=link,
                author="Board",
                published=item.created_at,
                updated=item.created_at,
                html=str(escape(shown.excerpt)) if shown.visible else "",
            )
        )
    return feed


@dataclass
class FeedLinks:
    """What the account page shows about the person's feeds: on or off, and each course's feed link."""

    token: str | None
    courses: list[tuple[Course, str]]
    notifications: str | None = None


def links_for(user: User) -> FeedLinks:
    token = tokens.token_for(user)
    if token is None:
        return FeedLinks(None, [])
    rows = db.session.execute(courses_of(user)).all()
    return FeedLinks(
        token,
        [(course, absolute_url("feeds.course", token=token, slug=course.slug)) for course, _ in rows],
        absolute_url("feeds.notifications", token=token),
    )
