"""A page's SQL query count does not grow with its content: a post with 200 comments costs what one with 10 does.

Each test builds a small and a large version of the same kind of content in bulk, warms the page up once, and
compares the queries one request runs; a failure prints both lists of SQL.
"""

import io
import itertools
import re
from datetime import timedelta

import pytest
from PIL import Image

from board.extensions import db
from board.models import (
    AuditEntry,
    Award,
    AwardType,
    Comment,
    CommentLike,
    CommentRevision,
    Membership,
    Post,
    PostKind,
    PostLike,
    PostStatus,
    Role,
    User,
    Visibility,
    utcnow,
)
from tests import factories
from tests.sql import count_queries

_seq = itertools.count(1)
VIEWER_ROLES = [Role.STUDENT, Role.ASSISTANT, Role.INSTRUCTOR]


def _classmates(courses, count: int) -> list[User]:
    """People who only appear in the data (they never log in), members of each course."""
    people = [
        User(email=f"bulk{next(_seq)}@example.edu", display_name=f"Classmate {n}", password_hash=None)
        for n in range(count)
    ]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(
        Membership(course_id=course.id, user_id=person.id, role=Role.STUDENT) for course in courses for person in people
    )
    return people


def _award_type(course) -> AwardType:
    award_type = AwardType(course_id=course.id, name=f"Insight {next(_seq)}", badge="lightbulb")
    db.session.add(award_type)
    return award_type


def _post(course, author, kind, *, reading=None, minutes=0, **fields) -> Post:
    fields.setdefault("status", PostStatus.PUBLISHED)
    if fields["status"] == PostStatus.PUBLISHED:
        fields.setdefault("published_at", utcnow() - timedelta(minutes=minutes))
    n = next(_seq)
    return Post(
        course_id=course.id,
        author_id=author.id,
        kind=kind,
        reading=reading,
        title=f"{kind.title()} {n}",
        body_md=f"Text {n}",
        body_html=f"<p>Text {n}</p>",
        word_count=2,
        **fields,
    )


def _discuss(post, people, count: int, viewer) -> list[Comment]:
    """`count` comments on `post`: top-level ones with reply chains deeper than the depth cap, second replies,
    held, hidden, anonymous and deleted ones (one with replies, so a placeholder shows), some liked."""
    start = utcnow() - timedelta(days=1)
    comments: list[Comment] = []
    for n in range(count):
        parent = None if n % 8 == 0 else comments[n - 1] if n % 8 < 7 else comments[n - 7]
        comments.append(
            Comment(
                course_id=post.course_id,
                post_id=post.id,
                parent=parent,
                depth=parent.depth + 1 if parent else 1,
                author_id=(viewer if n % 9 == 4 else people[n % len(people)]).id,
                body_md=f"Comment {n}",
                body_html=f"<p>Comment {n}</p>",
                visibility=Visibility.HELD if n % 10 == 5 else Visibility.HIDDEN if n % 10 == 6 else Visibility.VISIBLE,
                anonymous=n % 7 == 3,
                created_at=start + timedelta(seconds=n),
                deleted_at=start if n % 8 == 2 else None,
            )
        )
    db.session.add_all(comments)
    db.session.flush()
    db.session.add_all(
        CommentLike(comment_id=comment.id, user_id=person.id)
        for n, comment in enumerate(comments)
        if n % 3 == 0
        for person in people[: 1 + n % 4]
    )
    db.session.add_all(
        CommentLike(comment_id=comment.id, user_id=viewer.id) for n, comment in enumerate(comments) if n % 6 == 0
    )
    return comments


def _queries(visitor, url: str, *, expect: str):
    """The SQL one request for `url` runs, after a warm-up request."""
    warm_up = visitor.get(url)
    assert warm_up.status_code == 200
    with count_queries() as log:
        response = visitor.get(url)
    assert response.status_code == 200
    assert expect in response.get_data(as_text=True), f"{url} does not show {expect!r}"
    return log, response.get_data(as_text=True)


MAX_QUERIES = 10  # issue #9: every page at 10 queries or fewer


def _same_count(small, large, what: str, *, cap: int = MAX_QUERIES) -> None:
    assert len(large) == len(small), (
        f"{what}: {len(small)} queries for the small page, {len(large)} for the large one\n"
        f"--- small:\n{small}\n--- large:\n{large}"
    )
    assert len(large) <= cap, f"{what}: {len(large)} queries\n{large}"


def _viewer(courses, role) -> User:
    viewer = factories.user("Viewer")
    db.session.add_all(Membership(course_id=course.id, user_id=viewer.id, role=role) for course in courses)
    db.session.commit()
    return viewer


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_response_page_costs_the_same_for_10_and_200_comments(make_visitor, role):
    course = factories.course()
    viewer = _viewer([course], role)
    people = _classmates([course], 12)
    reading = _post(course, factories.instructor_of(course), PostKind.READING, due_at=utcnow())
    small, large = (_post(course, people[0], PostKind.RESPONSE, reading=reading) for _ in range(2))
    award_type = _award_type(course)
    db.session.add_all([reading, small, large])
    db.session.flush()
    for post in (small, large):
        db.session.add(Award(post_id=post.id, award_type=award_type, given_by_id=reading.author_id))
        db.session.add_all(PostLike(post_id=post.id, user_id=person.id) for person in people[:3])
    _discuss(small, people, 10, viewer)
    _discuss(large, people, 200, viewer)
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{course.slug}/posts/{small.id}", expect="Comment 9")
    large_log, page = _queries(visitor, f"/c/{course.slug}/posts/{large.id}", expect="Comment 199")
    assert page.count('<li class="comment depth-') > 150
    assert "Comment deleted." in page and 'class="comment depth-5' in page
    _same_count(small_log, large_log, "response page, 10 vs 200 comments")


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_branches_history_links_and_parent_links_cost_no_query_per_comment(make_visitor, role):
    """Collapsible branches, "in reply to" links past the depth cap and "edited · earlier versions" links come from
    the thread's own query: 10 comments cost what 200 do, with every fifth comment edited (some by the viewer)."""
    course = factories.course()
    viewer = _viewer([course], role)
    people = _classmates([course], 12)
    small, large = (_post(course, people[0], PostKind.RESPONSE) for _ in range(2))
    db.session.add_all([small, large])
    db.session.flush()
    for post, count in ((small, 10), (large, 200)):
        comments = _discuss(post, people, count, viewer)
        for n, comment in enumerate(comments):
            if n % 5 == 4:  # every ninth comment is the viewer's (n % 9 == 4): some of these are theirs
                comment.edited_at = utcnow()
                db.session.add(CommentRevision(comment_id=comment.id, editor_id=comment.author_id, body_md="Before"))
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{course.slug}/posts/{small.id}", expect="Comment 9")
    large_log, page = _queries(visitor, f"/c/{course.slug}/posts/{large.id}", expect="Comment 199")
    assert page.count("<details open>") > 50 and 'class="in-reply-to"' in page
    assert "earlier versions</a>" in page
    _same_count(small_log, large_log, "post page with branches and edited comments, 10 vs 200 comments")


def _older_link(page: str) -> str | None:
    """The "Older" link of the first keyset pager on `page`."""
    match = re.search(r'<a href="([^"]+)" rel="next">', page)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_reading_page_costs_the_same_for_5_and_120_responses_and_on_its_older_pages(make_visitor, role):
    course = factories.course()
    instructor = factories.instructor_of(course)
    viewer = _viewer([course], role)
    people = _classmates([course], 20)
    award_type = _award_type(course)
    small, large = (_post(course, instructor, PostKind.READING, due_at=utcnow() - timedelta(days=1)) for _ in range(2))
    responses = []
    for reading, count in ((small, 5), (large, 120)):
        for n in range(count):
            responses.append(
                _post(
                    course,
                    people[n % len(people)],
                    PostKind.RESPONSE,
                    reading=reading,
                    minutes=n,
                    visibility=Visibility.HELD if n % 10 == 3 else Visibility.VISIBLE,
                    anonymous=n % 7 == 2,
                    deleted_at=utcnow() if n % 10 == 4 else None,
                )
            )
    db.session.add_all([small, large, *responses])
    db.session.flush()
    for n, response in enumerate(responses):
        if n % 3 == 0:
            db.session.add(Award(post_id=response.id, award_type=award_type, given_by_id=instructor.id))
        _discuss(response, people, 2, viewer)
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{course.slug}/posts/{small.id}", expect=responses[0].title)
    large_log, page = _queries(visitor, f"/c/{course.slug}/posts/{large.id}", expect=responses[5].title)
    assert page.count("mini-award") >= 12
    _same_count(small_log, large_log, "reading page, 5 vs 120 responses")
    older = _older_link(page)
    assert older is not None, "120 responses fit on one page"
    older_log, older_page = _queries(visitor, older, expect="Newer")
    _same_count(small_log, older_log, "reading page, first page vs an older page")
    assert responses[5].title not in older_page


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_person_page_costs_the_same_for_a_few_and_many_contributions(make_visitor, role):
    course = factories.course()
    instructor = factories.instructor_of(course)
    viewer = _viewer([course], role)
    quiet, busy = _classmates([course], 2)
    others = _classmates([course], 5)
    award_type = _award_type(course)
    reading = _post(course, instructor, PostKind.READING)
    posts = [
        _post(course, author, PostKind.RESPONSE, reading=reading, minutes=n, anonymous=n % 5 == 1)
        for author, count in ((quiet, 2), (busy, 60))
        for n in range(count)
    ]
    db.session.add_all([reading, *posts])
    db.session.flush()
    db.session.add_all(Award(post_id=post.id, award_type=award_type, given_by_id=instructor.id) for post in posts)
    for author, count in ((quiet, 2), (busy, 60)):
        db.session.add_all(
            Comment(
                course_id=course.id,
                post_id=posts[n % len(posts)].id,
                author_id=author.id,
                body_md=f"Remark {author.id}-{n}",
                body_html=f"<p>Remark {author.id}-{n}</p>",
                anonymous=n % 6 == 1,
                created_at=utcnow() - timedelta(minutes=n),
            )
            for n in range(count)
        )
    for post in posts[:10]:
        _discuss(post, others, 3, viewer)
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{course.slug}/people/{quiet.id}", expect=quiet.display_name)
    large_log, page = _queries(visitor, f"/c/{course.slug}/people/{busy.id}", expect=f"Remark {busy.id}-0")
    _same_count(small_log, large_log, "person page, 2 vs 60 of each")
    assert page.count('rel="next"') == 3, "each of the three lists pages"
    older_log, _ = _queries(visitor, _older_link(page), expect=busy.display_name)
    _same_count(small_log, older_log, "person page, first page vs an older page")


def test_awards_page_costs_the_same_for_2_and_120_awards(make_visitor):
    course = factories.course()
    instructor = factories.instructor_of(course)
    viewer = _viewer([course], Role.STUDENT)
    people = _classmates([course], 10)
    small_type, large_type = _award_type(course), _award_type(course)
    posts = [_post(course, people[n % 10], PostKind.RESPONSE, minutes=n) for n in range(120)]
    db.session.add_all(posts)
    db.session.flush()
    db.session.add_all(
        Award(post_id=post.id, award_type=large_type if n >= 2 else small_type, given_by_id=instructor.id)
        for n, post in enumerate(posts)
    )
    db.session.commit()

    visitor = make_visitor(viewer)
    base = f"/c/{course.slug}/awards"
    small_log, _ = _queries(visitor, f"{base}?type={small_type.id}", expect=posts[0].title)
    large_log, page = _queries(visitor, f"{base}?type={large_type.id}", expect=posts[-1].title)
    _same_count(small_log, large_log, "awards page, 2 vs 120 awards")
    older_log, _ = _queries(visitor, _older_link(page), expect="Newer")
    _same_count(small_log, older_log, "awards page, first page vs an older page")


def test_audit_log_costs_the_same_for_3_and_250_entries(make_visitor):
    small, large = factories.course(title="Small course"), factories.course(title="Large course")
    instructor = factories.user("Instructor")
    db.session.add_all(Membership(course_id=c.id, user_id=instructor.id, role=Role.INSTRUCTOR) for c in (small, large))
    actors = _classmates([small, large], 5)
    db.session.add_all(
        AuditEntry(
            course_id=course.id,
            actor_id=actors[n % 5].id,
            action="approve",
            subject_type="comment",
            subject_id=n,
            detail=f"Entry {n}",
            created_at=utcnow() - timedelta(minutes=n),
        )
        for course, count in ((small, 3), (large, 250))
        for n in range(count)
    )
    db.session.commit()

    visitor = make_visitor(instructor)
    small_log, _ = _queries(visitor, f"/c/{small.slug}/audit", expect="Entry 2")
    large_log, page = _queries(visitor, f"/c/{large.slug}/audit", expect="Entry 99")
    _same_count(small_log, large_log, "audit log, 3 vs 250 entries")
    older_log, _ = _queries(visitor, _older_link(page), expect="Entry 100")
    _same_count(small_log, older_log, "audit log, first page vs an older page")


def _fill_course(course, people, viewer, count: int) -> None:
    """`count` posts in `course`: readings (pinned, by week, with due dates, one gated), responses (some free,
    held, anonymous or awarded), the viewer's drafts, and a comment or two on each post."""
    instructor = factories.instructor_of(course)
    readings = [
        _post(
            course,
            instructor,
            PostKind.READING,
            minutes=n,
            week=f"Week {n % 4}",
            pinned=n == 0,
            due_at=utcnow() + timedelta(days=n) if n % 2 else None,
            responses_hidden_until_posted=n == 1,
        )
        for n in range(max(2, count // 5))
    ]
    responses = [
        _post(
            course,
            people[n % len(people)],
            PostKind.RESPONSE,
            minutes=n,
            reading=None if n % 7 == 3 else readings[n % len(readings)],
            visibility=Visibility.HELD if n % 10 == 4 else Visibility.VISIBLE,
            anonymous=n % 6 == 5,
        )
        for n in range(count - len(readings))
    ]
    drafts = [
        _post(course, viewer, PostKind.RESPONSE, reading=readings[0], status=PostStatus.DRAFT)
        for _ in range(1 + count // 20)
    ]
    db.session.add_all([*readings, *responses, *drafts])
    db.session.flush()
    award_type = _award_type(course)
    db.session.add_all(
        Award(post_id=response.id, award_type=award_type, given_by_id=instructor.id) for response in responses[::4]
    )
    for post in [*readings, *responses]:
        _discuss(post, people, 2, viewer)


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_course_home_costs_the_same_for_5_and_100_posts(make_visitor, role):
    small, large = factories.course(title="Small course"), factories.course(title="Large course")
    viewer = _viewer([small, large], role)
    people = _classmates([small, large], 15)
    _fill_course(small, people, viewer, 5)
    _fill_course(large, people, viewer, 100)
    db.session.commit()

    visitor = make_visitor(viewer)
    small_log, _ = _queries(visitor, f"/c/{small.slug}/", expect="Small course")
    large_log, page = _queries(visitor, f"/c/{large.slug}/", expect="Large course")
    assert page.count('class="reading-item') == 20
    assert "mini-award" in page and "Your drafts" in page
    _same_count(small_log, large_log, "course home, 5 vs 100 posts")


def test_moderation_queue_costs_the_same_for_a_few_and_many_held_items_and_on_later_pages(make_visitor):
    small, large = factories.course(title="Small course"), factories.course(title="Large course")
    instructor = factories.user("Instructor")
    db.session.add_all(Membership(course_id=c.id, user_id=instructor.id, role=Role.INSTRUCTOR) for c in (small, large))
    people = _classmates([small, large], 5)
    for course, count in ((small, 3), (large, 120)):
        posts = [
            _post(course, people[n % 5], PostKind.RESPONSE, minutes=n, visibility=Visibility.HELD) for n in range(count)
        ]
        db.session.add_all(posts)
        db.session.flush()
        _discuss(posts[0], people, count, instructor)
        db.session.execute(
            Comment.__table__.update().where(Comment.post_id == posts[0].id).values(visibility=Visibility.HELD)
        )
    db.session.commit()

    visitor = make_visitor(instructor)
    small_log, _ = _queries(visitor, f"/c/{small.slug}/moderation", expect=">Comment 1<")
    large_log, page = _queries(visitor, f"/c/{large.slug}/moderation", expect=">Comment 0<")
    _same_count(small_log, large_log, "moderation queue, 3 vs 120 held posts and comments")
    assert page.count('rel="next"') == 2, "held posts and held comments each page"
    comments_later = re.search(r'href="([^"]*comments_after=[^"]*)"', page).group(1).replace("&amp;", "&")
    later_log, later = _queries(visitor, comments_later, expect="Earlier")
    _same_count(small_log, later_log, "moderation queue, first page vs a later page")
    assert ">Comment 0<" not in later and ">Comment 100<" in later


def _picture(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (n * 12 % 256, 90, 200 - n * 7)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR])
def test_response_page_with_20_pictures_costs_what_one_without_does(make_visitor, role):
    """Pictures load by URL, each a request of its own after the page: a response holding twenty uploaded pictures
    runs the queries of one holding none, and its HTML carries no picture's bytes."""
    course = factories.course()
    viewer = _viewer([course], role)
    author = factories.member(course, name="Pia Pictures")
    reading = _post(course, factories.instructor_of(course), PostKind.READING)
    db.session.add(reading)
    db.session.commit()
    writer = make_visitor(author)
    markdown = []
    for n in range(20):
        sent = writer.post(f"/c/{course.slug}/uploads", {"file": (io.BytesIO(_picture(n)), f"picture-{n}.png")})
        assert sent.status_code == 201
        markdown.append(sent.get_json()["markdown"])
    plain = factories.response(course, author, reading, title="Words only", body="No pictures here.")
    pictured = factories.response(
        course, author, reading, title="Twenty pictures", body="Pictures:\n\n" + "\n\n".join(markdown)
    )

    visitor = make_visitor(viewer)
    plain_log, _ = _queries(visitor, f"/c/{course.slug}/posts/{plain.id}", expect="No pictures here.")
    pictured_log, page = _queries(visitor, f"/c/{course.slug}/posts/{pictured.id}", expect="Pictures:")
    assert page.count(f'src="/c/{course.slug}/uploads/') == 20 and page.count('loading="lazy"') >= 20
    assert "data:image" not in page and len(page) < 60_000
    _same_count(plain_log, pictured_log, "response page, no pictures vs 20")
