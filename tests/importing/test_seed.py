"""`flask --app board seed`: the demo course as the database holds it after seeding, and running it again."""

import re

import pytest
from sqlalchemy import func, select

from board.auth import services as accounts
from board.extensions import db
from board.importing import load_manifest
from board.models import (
    Award,
    AwardType,
    Comment,
    CommentLike,
    Course,
    Membership,
    Post,
    PostKind,
    PostLike,
    Role,
    User,
)
from board.seeding import DEMO_PASSWORD, manifest_path
from tests import factories

OUT_WITH_THE_OLD = "Out With the Old (Prisoners)"
FREEDOM = "Freedom from the Gulags"
UPRISINGS = "Between Hitler and Stalin: The Gulag Uprisings of 1952–54"
CHROME = ["Leave a Reply", "Connecting to %s", "Log Out /", "Fill in your details", "Notify me of new"]
COUNTED = [User, Course, Membership, Post, Comment, CommentLike, PostLike, Award, AwardType]


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Seeding hashes eleven demo passwords; a one-round hash keeps these tests fast and still checks them."""
    real = accounts.generate_password_hash
    monkeypatch.setattr(accounts, "generate_password_hash", lambda password, method: real(password, "pbkdf2:sha256:1"))


@pytest.fixture
def manifest():
    return load_manifest(manifest_path())


@pytest.fixture
def run(app):
    """Run a `flask --app board` command and return its result."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.fixture
def seeded(run, manifest) -> Course:
    """The demo course, seeded through the command."""
    result = run("seed")
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(Course).where(Course.slug == manifest.course.slug))


def post_titled(title: str) -> Post:
    return db.session.execute(select(Post).where(Post.title == title)).scalar_one()


def comments_on(post: Post) -> list[Comment]:
    return list(
        db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.created_at, Comment.id))
    )


def likers_of(comment: Comment) -> list[User]:
    return list(db.session.scalars(select(User).join(CommentLike).where(CommentLike.comment_id == comment.id)))


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_seed_creates_three_readings_and_two_responses(seeded):
    kinds = db.session.scalars(select(Post.kind).where(Post.course_id == seeded.id)).all()

    assert sorted(kinds) == [PostKind.READING] * 3 + [PostKind.RESPONSE] * 2


def test_seed_gives_every_manifest_account_its_role(seeded, manifest):
    roles = dict(
        db.session.execute(
            select(User.email, Membership.role).join(Membership).where(Membership.course_id == seeded.id)
        ).all()
    )

    assert roles == {account.email: account.role for account in manifest.accounts}
    assert roles["instructor@example.edu"] == Role.INSTRUCTOR


def test_readings_have_distinct_titles_and_the_essay_its_own(seeded, manifest):
    readings = db.session.scalars(
        select(Post.title).where(Post.kind == PostKind.READING).order_by(Post.created_at)
    ).all()

    assert readings == [document.title for document in manifest.documents[:3]]
    assert len(set(readings[:2])) == 2
    assert readings[2] == UPRISINGS


def test_responses_answer_the_uprisings_reading(seeded):
    responses = db.session.scalars(select(Post).where(Post.kind == PostKind.RESPONSE)).all()

    assert sorted(post.title for post in responses) == [FREEDOM, OUT_WITH_THE_OLD]
    assert {post.reading.title for post in responses} == {UPRISINGS}
    assert {post.author.email for post in responses} == {"student1@example.edu", "student2@example.edu"}


def test_out_with_the_old_has_seven_comments_liked_by_distinct_classmates(seeded, manifest):
    post = post_titled(OUT_WITH_THE_OLD)
    students = {account.email for account in manifest.students}

    comments = comments_on(post)

    assert [len(likers_of(comment)) for comment in comments] == [0, 0, 0, 1, 1, 1, 2]
    for comment in comments:
        likers = [user.email for user in likers_of(comment)]
        assert len(set(likers)) == len(likers)
        assert set(likers) <= students
        assert comment.author.email not in likers


def test_out_with_the_old_has_the_comrades_corner_award(seeded, manifest):
    post = post_titled(OUT_WITH_THE_OLD)

    awards = db.session.scalars(select(Award).where(Award.post_id == post.id)).all()

    assert [(award.award_type.name, award.given_by.email) for award in awards] == [
        ("Comrade’s Corner", manifest.course.instructor)
    ]
    # The parsed award matched the manifest's award type instead of creating a look-alike.
    names = db.session.scalars(select(AwardType.name).where(AwardType.course_id == seeded.id)).all()
    assert sorted(names) == sorted(award.name for award in manifest.award_types)


def test_freedom_from_the_gulags_has_eight_comments_without_likes_or_award(seeded):
    post = post_titled(FREEDOM)

    comments = comments_on(post)

    assert len(comments) == 8
    assert [len(likers_of(comment)) for comment in comments] == [0] * 8
    assert db.session.scalar(select(func.count()).select_from(Award).where(Award.post_id == post.id)) == 0


def test_comments_are_by_the_manifest_authors_never_the_post_author(seeded, manifest):
    posts = db.session.scalars(select(Post).order_by(Post.created_at)).all()
    assert [post.author.email for post in posts] == [document.author for document in manifest.documents]

    for document, post in zip(manifest.documents, posts, strict=True):
        authors = [comment.author.email for comment in comments_on(post)]

        assert authors == list(document.comment_authors or [])
        assert post.author.email not in authors


def test_no_page_furniture_or_numbering_in_stored_text(seeded):
    posts = db.session.scalars(select(Post)).all()
    comments = db.session.scalars(select(Comment)).all()
    assert len(posts) == 5 and len(comments) == 15

    for text in [
        *(p.body_md for p in posts),
        *(p.body_html for p in posts),
        *(c.body_md for c in comments),
        *(c.body_html for c in comments),
    ]:
        for chrome in CHROME:
            assert chrome not in text
    for comment in comments:
        assert comment.body_md.strip()
        assert not re.match(r"\s*\d+\\?\.", comment.body_md), comment.body_md[:40]
        assert not re.match(r"<(?:ol|p>\d+\.)", comment.body_html), comment.body_html[:40]


def test_demo_accounts_log_in_with_the_demo_password(seeded, manifest, make_visitor):
    emails = [account.email for account in manifest.accounts]
    assert {"instructor@example.edu", "student1@example.edu"} <= set(emails)

    for email in emails:
        person = make_visitor()
        assert person.login(email, DEMO_PASSWORD).status_code == 302, email
        assert seeded.title in person.get("/courses").get_data(as_text=True)


def test_demo_accounts_refuse_another_password(seeded, make_visitor):
    person = make_visitor()

    response = person.login("student1@example.edu", factories.PASSWORD)

    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)


def test_seed_twice_changes_nothing(run, seeded):
    before = counts()

    result = run("seed")

    assert result.exit_code == 0, result.output
    assert "already seeded" in result.output
    assert counts() == before
    assert before["Post"] == 5 and before["CommentLike"] == 5


def test_seed_reset_rebuilds_the_demo_course_and_leaves_others_alone(run, seeded):
    # The other course's post is newer than the demo posts, so even SQLite, which reuses the highest rowid once
    # it is free, must give the rebuilt posts new ids.
    other = factories.course(title="Another course")
    other_post = factories.reading(other, title="Another reading")
    before = counts()
    old_ids = set(db.session.scalars(select(Post.id).where(Post.course_id == seeded.id)))
    slug, old_join_code = seeded.slug, seeded.student_join_code
    # Damage the demo course so the rebuild has something to undo.
    post_titled(FREEDOM).title = "Tampered"
    db.session.delete(comments_on(post_titled(OUT_WITH_THE_OLD))[-1])
    db.session.commit()

    result = run("seed", "--reset")

    assert result.exit_code == 0, result.output
    assert "Removing the demo course" in result.output
    assert f"“{OUT_WITH_THE_OLD}”: 7 comments, 5 likes, award: Comrade’s Corner" in result.output
    assert f"“{FREEDOM}”: 8 comments, 0 likes" in result.output
    assert result.output.rstrip().endswith("Demo course seeded.")
    assert counts() == before
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    new_ids = set(db.session.scalars(select(Post.id).where(Post.course_id == course.id)))
    assert len(new_ids) == 5 and not new_ids & old_ids
    assert course.student_join_code != old_join_code
    assert len(comments_on(post_titled(OUT_WITH_THE_OLD))) == 7
    assert post_titled(FREEDOM).course_id == course.id
    assert db.session.get(Post, other_post.id).title == "Another reading"


def test_first_seed_reports_accounts_and_posts(run, manifest):
    result = run("seed")

    assert result.exit_code == 0, result.output
    for account in manifest.accounts:
        assert f"account {account.email} ({account.role})" in result.output
    assert "“Solidarity: Dimitri Panin”: 0 comments" in result.output
    assert result.output.rstrip().endswith("Demo course seeded.")


def test_both_responses_open_with_their_picture_which_a_student_may_load(seeded, make_visitor):
    student = make_visitor()
    assert student.login("student5@example.edu", DEMO_PASSWORD).status_code == 302
    outsider = make_visitor(factories.user())
    captions = {
        OUT_WITH_THE_OLD: "Prisoners had to build prisons for themselves because demand was so high.",
        FREEDOM: "This photo captures prisoners building living quarters for themselves",
    }
    for title, caption in captions.items():
        post = post_titled(title)
        found = re.match(r"!\[([^\]]*)\]\((/c/[^)#]+)#(\d+)x(\d+)\)\n\n(.*)", post.body_md)
        assert found, post.body_md[:200]
        alt, url, _, _, first_paragraph = found.groups()
        assert alt.startswith(caption) and "Source:" not in alt
        assert first_paragraph.startswith(f"<figure><figcaption>{caption}")  # the caption stays below it
        assert f'src="{url}"' in post.body_html and 'loading="lazy"' in post.body_html

        picture = student.get(url)
        assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
        assert len(picture.get_data()) <= 60 * 1024
        assert outsider.get(url).status_code == 404
        page = student.get(f"/c/{seeded.slug}/posts/{post.id}").get_data(as_text=True)
        assert f'src="{url}"' in page
