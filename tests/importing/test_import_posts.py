"""`flask --app board courses` and `import-posts`: blog-export documents imported into an existing course."""

import pytest
from sqlalchemy import delete, func, select

from board.auth import services as accounts
from board.extensions import db
from board.models import (
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
    utcnow,
)
from tests import factories

DOCUMENT = (
    "Letters From Vorkuta\n"
    "\n"
    "The letters describe the strike.\n"
    "\n"
    "This post received the Sharp Question award\n"
    "\n"
    "2 thoughts on “Letters From Vorkuta”\n"
    "\n"
    "  1. A first comment.\n"
    "\n"
    "    Liked by one person\n"
    "\n"
    "  2. A second comment.\n"
    "\n"
    "    Liked by 2 people\n"
    "\n"
    "Leave a Reply\n"
    "Connecting to %s\n"
)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Every factory account hashes a password; a one-round hash keeps these tests fast."""
    real = accounts.generate_password_hash
    monkeypatch.setattr(accounts, "generate_password_hash", lambda password, method: real(password, "pbkdf2:sha256:1"))


@pytest.fixture
def run(app):
    """Run a `flask --app board` command and return its result."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(arg) for arg in args])


@pytest.fixture
def course() -> Course:
    """A course with an instructor and three students."""
    course = factories.course(slug="hist-2000", title="Russia Since 1900")
    for _ in range(3):
        factories.member(course)
    return course


@pytest.fixture
def write(tmp_path):
    """Write a document into tmp_path and return its path."""

    def write(name: str, content: str | bytes):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return write


def posts() -> list[Post]:
    return list(db.session.scalars(select(Post).order_by(Post.id)))


def comments_on(post: Post) -> list[Comment]:
    return list(
        db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.created_at, Comment.id))
    )


def likes_on(comment: Comment) -> int:
    return db.session.scalar(select(func.count()).select_from(CommentLike).where(CommentLike.comment_id == comment.id))


def test_courses_lists_one_course_per_line_slug_first(run):
    factories.course(slug="russ-1010", title="Beginning Russian", code="RUSS 1010")
    factories.course(slug="hist-3644", title="Soviet History", code="HIST 3644")

    result = run("courses")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["hist-3644", "russ-1010"]
    assert "Beginning Russian" in lines[1] and "RUSS 1010" in lines[1]


def test_import_posts_adds_a_published_response_with_comments_likes_and_award(run, course, write):
    path = write("vorkuta.txt", DOCUMENT)

    result = run("import-posts", course.slug, path)

    assert result.exit_code == 0, result.output
    assert f"{path}: imported “Letters From Vorkuta” (2 comments, 3 likes, awards: Sharp Question)" in result.output
    [post] = posts()
    assert (post.course_id, post.kind, post.status) == (course.id, PostKind.RESPONSE, PostStatus.PUBLISHED)
    assert post.author_id == factories.instructor_of(course).id
    assert post.body_md == "The letters describe the strike."
    assert "<p>The letters describe the strike.</p>" in post.body_html
    comments = comments_on(post)
    assert [comment.body_md for comment in comments] == ["A first comment.", "A second comment."]
    assert [likes_on(comment) for comment in comments] == [1, 2]
    [award] = db.session.scalars(select(Award).where(Award.post_id == post.id)).all()
    assert award.award_type.name == "Sharp Question"


def test_import_posts_kind_and_author_options(run, course, write):
    student = factories.member(course)
    path = write("reading.txt", "A Reading\n\nRead this.\n")

    result = run("import-posts", course.slug, path, "--kind", "reading", "--author", student.email.upper())

    assert result.exit_code == 0, result.output
    [post] = posts()
    assert (post.kind, post.author_id, post.title) == (PostKind.READING, student.id, "A Reading")


def test_post_without_comments(run, course, write):
    path = write("plain.txt", "Quiet Post\n\nNobody answered.\n\nLeave a Reply\n")

    result = run("import-posts", course.slug, path)

    assert result.exit_code == 0, result.output
    assert "imported “Quiet Post” (0 comments, 0 likes)" in result.output
    [post] = posts()
    assert comments_on(post) == []
    assert post.body_md == "Nobody answered."


def test_comment_count_that_disagrees_with_the_header_is_reported(run, course, write):
    path = write("short.txt", DOCUMENT.replace("2 thoughts", "5 thoughts"))

    result = run("import-posts", course.slug, path)

    assert result.exit_code == 0, result.output
    assert "note: header says 5 comments but 2 were found" in result.output
    assert len(comments_on(posts()[0])) == 2


def test_award_with_a_new_name_creates_the_award_type(run, course, write):
    path = write("red-star.txt", DOCUMENT.replace("Sharp Question", "Red Star"))

    result = run("import-posts", course.slug, path)

    assert result.exit_code == 0, result.output
    assert "awards: Red Star" in result.output
    assert "note: created the award type “Red Star”" in result.output
    award_type = db.session.execute(select(AwardType).where(AwardType.name == "Red Star")).scalar_one()
    assert award_type.course_id == course.id
    post = posts()[0]
    assert [award.award_type_id for award in post.awards] == [award_type.id]


def test_existing_award_type_is_reused(run, course, write):
    run("import-posts", course.slug, write("first.txt", DOCUMENT))

    result = run("import-posts", course.slug, write("second.txt", DOCUMENT.replace("Vorkuta", "Norilsk")))

    assert result.exit_code == 0, result.output
    assert "created the award type" not in result.output
    assert db.session.scalar(select(func.count()).select_from(AwardType)) == 1
    assert db.session.scalar(select(func.count()).select_from(Award)) == 2


def test_more_likes_than_classmates_is_reported(run, course, write):
    path = write("popular.txt", DOCUMENT.replace("Liked by 2 people", "Liked by 12 people"))

    result = run("import-posts", course.slug, path)

    # Of the three students, the comment's author cannot like it: two likes fit.
    assert result.exit_code == 0, result.output
    assert "note: comment 2 was liked by 12 but the course has only 2 other students; 2 likes were added" in (
        result.output
    )
    comment = comments_on(posts()[0])[1]
    likers = db.session.scalars(select(CommentLike.user_id).where(CommentLike.comment_id == comment.id)).all()
    assert len(likers) == 2 and comment.author_id not in likers


def test_windows_line_endings_import_like_unix_ones(run, course, write):
    unix = write("unix.txt", DOCUMENT)
    windows = write("windows.txt", DOCUMENT.replace("Vorkuta", "Norilsk").replace("\n", "\r\n"))

    result = run("import-posts", course.slug, unix, windows)

    assert result.exit_code == 0, result.output
    first, second = posts()
    assert second.title == "Letters From Norilsk"
    assert second.body_md == first.body_md
    assert [c.body_md for c in comments_on(second)] == [c.body_md for c in comments_on(first)]
    assert [likes_on(c) for c in comments_on(second)] == [1, 2]
    assert [a.award_type.name for a in second.awards] == ["Sharp Question"]
    assert "\r" not in second.body_md + "".join(c.body_md for c in comments_on(second))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "document is empty"),
        (b"\r\n  \r\n", "document is empty"),
        (b"Title\n\nSome text\n\x00\x01binary", "line 4: document looks binary: it contains a NUL byte"),
        ("Title\n\ncaf\u00e9\n".encode() + b"bad \xff byte\n", "line 4: document is not valid UTF-8 text"),
    ],
)
def test_unreadable_file_is_reported_and_the_others_still_import(run, course, write, content, reason):
    before = write("a.txt", "Before\n\nFine.\n")
    bad = write("bad.txt", content)
    after = write("c.txt", DOCUMENT)

    result = run("import-posts", course.slug, before, bad, after)

    assert result.exit_code == 1
    assert f"{bad}: not imported: {reason}" in result.stderr
    assert f"{before}: imported “Before”" in result.stdout
    assert f"{after}: imported “Letters From Vorkuta”" in result.stdout
    assert [post.title for post in posts()] == ["Before", "Letters From Vorkuta"]
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 2


def test_same_award_twice_is_given_once(run, course, write):
    twice = DOCUMENT.replace(
        "This post received the Sharp Question award\n", "This post received the Sharp Question award\n\n" * 2
    )
    path = write("twice.txt", twice)

    result = run("import-posts", course.slug, path, write("next.txt", "Next\n\nFine.\n"))

    assert result.exit_code == 0, result.output
    assert "note: the award “Sharp Question” is listed 2 times; it was given once" in result.output
    assert db.session.scalar(select(func.count()).select_from(Award)) == 1
    assert [post.title for post in posts()] == ["Letters From Vorkuta", "Next"]


def test_title_too_long_for_a_post_is_refused_on_every_database(run, course, write):
    long_title = " ".join(["Prisoners"] * 31)  # 309 characters: a paragraph, not a title
    bad = write("untitled.txt", f"{long_title}\n\nBody.\n")

    result = run("import-posts", course.slug, bad, write("next.txt", "Next\n\nFine.\n"))

    assert result.exit_code == 1
    assert f"{bad}: not imported: the title is 309 characters long; a post title holds at most 300" in result.stderr
    assert [post.title for post in posts()] == ["Next"]


def test_award_name_too_long_for_an_award_type_is_refused_on_every_database(run, course, write):
    long_name = "Most Thoughtful Use of the Current Digest of the Soviet Press in a Response This Term"  # 85
    bad = write("long-award.txt", DOCUMENT.replace("Sharp Question", long_name))

    result = run("import-posts", course.slug, bad, write("next.txt", "Next\n\nFine.\n"))

    assert result.exit_code == 1
    assert f"{bad}: not imported: the award name “{long_name[:40]}…” is 85 characters; at most 80 fit" in result.stderr
    assert [post.title for post in posts()] == ["Next"]
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0  # nothing of the bad file is left


def test_imported_posts_comments_and_awards_are_dated_in_the_past(run, course, write):
    before = utcnow()
    assert run("import-posts", course.slug, write("vorkuta.txt", DOCUMENT)).exit_code == 0
    [post] = posts()
    times = [post.created_at, *(c.created_at for c in comments_on(post)), *(a.created_at for a in post.awards)]
    assert all(moment <= before for moment in times), times
    assert times[:3] == sorted(times[:3])  # the post, then its comments in order


def test_title_of_the_longest_allowed_length_is_kept(run, course, write):
    title = "T" * 300

    result = run("import-posts", course.slug, write("long.txt", f"{title}\n\nBody.\n"))

    assert result.exit_code == 0, result.output
    assert [post.title for post in posts()] == [title]


def test_unknown_course_is_an_error(run, course, write):
    path = write("vorkuta.txt", DOCUMENT)

    result = run("import-posts", "no-such-course", path)

    assert result.exit_code != 0
    assert "No course has the slug no-such-course." in result.output
    assert posts() == []


def test_author_must_be_a_member_of_the_course(run, course, write):
    outsider = factories.user(email="outsider@example.edu")
    path = write("vorkuta.txt", DOCUMENT)

    result = run("import-posts", course.slug, path, "--author", outsider.email)

    assert result.exit_code != 0
    assert f"outsider@example.edu is not a member of {course.slug}." in result.output
    assert posts() == []


def test_course_without_an_instructor_needs_an_author(run, course, write):
    db.session.execute(delete(Membership).where(Membership.role == Role.INSTRUCTOR))
    db.session.commit()
    path = write("vorkuta.txt", DOCUMENT)

    refused = run("import-posts", course.slug, path)
    student = factories.member(course)
    accepted = run("import-posts", course.slug, path, "--author", student.email)

    assert refused.exit_code != 0
    assert f"{course.slug} has no instructor to be the author; name one with --author." in refused.output
    assert accepted.exit_code == 0, accepted.output
    assert [post.author_id for post in posts()] == [student.id]


def test_course_without_students_gets_comments_by_the_instructor_and_no_likes(run, write):
    course = factories.course(slug="empty-1000")

    result = run("import-posts", course.slug, write("vorkuta.txt", DOCUMENT))

    assert result.exit_code == 0, result.output
    assert "(2 comments, 0 likes, awards: Sharp Question)" in result.output
    assert "note: comment 1 was liked by 1 but the course has only 0 other students; 0 likes were added" in (
        result.output
    )
    instructor = factories.instructor_of(course)
    assert [comment.author_id for comment in comments_on(posts()[0])] == [instructor.id, instructor.id]
