"""`export-course` and `import-course`: a whole course as board-course/1 JSON, and back into an empty database."""

import copy
import html
import json
import re
import zipfile
from datetime import UTC, date, datetime

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
    ModerationPolicy,
    Post,
    PostLike,
    PostRevision,
    User,
    Visibility,
    utcnow,
)
from board.seeding import DEMO_PASSWORD
from board.uploads.models import Upload
from tests import factories
from tests.conftest import _empty_tables

SLUG = "hist-3644"
DEEP = 400  # replies to replies; the json module cannot nest much deeper (see the next test)
COUNTED = [User, Course, Membership, Post, Comment, CommentLike, PostLike, PostRevision, Award, AwardType]
POST_KEYS = {
    "ref",
    "kind",
    "title",
    "author",
    "body",
    "status",
    "created_at",
    "updated_at",
    "reading",
    "likes",
    "awards",
    "comments",
}
COMMENT_KEYS = {"author", "body", "status", "created_at", "likes", "replies"}


def use_cheap_password_hashes(monkeypatch) -> None:
    """Seeding hashes eleven demo passwords; a one-round hash keeps these tests fast and still checks them."""
    real = accounts.generate_password_hash
    monkeypatch.setattr(accounts, "generate_password_hash", lambda password, method: real(password, "pbkdf2:sha256:1"))


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    use_cheap_password_hashes(monkeypatch)


@pytest.fixture
def run(app):
    """Run a `flask --app board` command and return its result."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(arg) for arg in args])


@pytest.fixture
def course(run) -> Course:
    """The seeded demo course, with what the seed lacks: replies, moderation, drafts, edits, post likes."""
    result = run("seed")
    assert result.exit_code == 0, result.output
    forget_uploads()
    course = db.session.execute(select(Course).where(Course.slug == SLUG)).scalar_one()
    add_variety(course)
    return course


def forget_uploads() -> None:
    """Drop the seed's two pictures (their rows; the Markdown naming them stays), so the export is the plain JSON these
    tests read and edit. The archive a course with uploads exports is tested by
    test_the_seeded_course_with_its_pictures_round_trips_byte_for_byte below and tests/importing/test_course_uploads_transfer.py."""
    db.session.execute(delete(Upload))
    db.session.commit()


@pytest.fixture(scope="module")
def seed_export(app) -> dict:
    """The seeded course's export, made once for the module; the database is empty again afterwards."""
    with app.app_context(), pytest.MonkeyPatch.context() as monkeypatch:
        use_cheap_password_hashes(monkeypatch)
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed"]).exit_code == 0
        forget_uploads()
        data = json.loads(runner.invoke(args=["export-course", SLUG]).stdout)
        empty_database()
    return data


def add_variety(course: Course) -> None:
    """Add what the seed lacks, each kind of row the export must carry at least once."""
    person = {user.email.split("@")[0]: user for user in db.session.scalars(select(User))}
    course.moderation_policy = ModerationPolicy.FIRST
    course.allow_anonymous = True
    course.starts_on, course.ends_on = date(2017, 1, 16), date(2017, 5, 5)
    reading = factories.reading(
        course,
        person["instructor"],
        title="Memoirs of the Camps",
        body="Read *chapter 3*.",
        pinned=True,
        due_at=datetime(2017, 4, 3, 13, 0, tzinfo=UTC),
        prompt="What did prisoners share?",
        week="Week 11",
        source="Days and Lives exhibit",
        responses_hidden_until_posted=True,
        unlock_min_words=50,
        max_points=10.0,
    )
    factories.response(course, person["student3"], reading, title="Half-written", published=False)
    factories.response(course, person["student5"], reading, title="Withdrawn", deleted_at=utcnow())
    factories.response(
        course,
        person["student6"],
        reading,
        title="Copied",
        visibility=Visibility.HIDDEN,
        hidden_reason="Plagiarism",
        anonymous=True,
        comments_locked=True,
    )
    edited = factories.response(
        course, person["student4"], reading, title="Sharing Bread", body="Second draft.", edited_at=utcnow()
    )
    db.session.add(
        PostRevision(
            post_id=edited.id,
            editor_id=person["student4"].id,
            title="Sharing",
            body_md="First draft.",
            created_at=edited.created_at,
        )
    )
    sharp_question = db.session.execute(select(AwardType).where(AwardType.name == "Sharp Question")).scalar_one()
    db.session.add(
        Award(
            post_id=edited.id,
            award_type_id=sharp_question.id,
            given_by_id=person["instructor"].id,
            note="Ask it in class.",
        )
    )
    out_with_the_old = db.session.execute(select(Post).where(Post.title.startswith("Out With"))).scalar_one()
    db.session.add(PostLike(post_id=out_with_the_old.id, user_id=person["student5"].id))

    top = factories.comment(edited, person["student5"], "Who shared first?", edited_at=utcnow())
    reply = factories.comment(edited, person["student6"], "The *old* prisoners.", parent=top)
    factories.comment(edited, person["student4"], "Thanks!", parent=reply)
    db.session.add(CommentLike(comment_id=reply.id, user_id=person["student1"].id))
    sharp_question.per_reading_limit = 2
    db.session.add(
        Award(comment_id=reply.id, award_type_id=sharp_question.id, given_by_id=person["instructor"].id, note="Yes")
    )
    deleted = factories.comment(edited, person["student7"], "Removed later.", deleted_at=utcnow())
    factories.comment(edited, person["student8"], "Replying to a deleted comment.", parent=deleted)
    factories.comment(edited, person["student9"], "Waiting for approval.", visibility=Visibility.HELD)
    factories.comment(edited, person["student2"], "Rude.", visibility=Visibility.HIDDEN, hidden_reason="Off topic")
    factories.comment(edited, person["student1"], "Said anonymously.", anonymous=True)
    # A student who commented, then left the course: their comment stays, their membership does not.
    factories.comment(reading, person["student10"], "I am dropping the class.")
    db.session.execute(delete(Membership).where(Membership.user_id == person["student10"].id))
    db.session.commit()


def export(run, path) -> dict:
    """Export the demo course to `path` and return what was written."""
    result = run("export-course", SLUG, "-o", path)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def empty_database() -> None:
    db.session.remove()
    _empty_tables()


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def walk(value):
    """Yield every (key, value) pair in nested dicts and lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def comment_trees(data: dict):
    """Yield every list of sibling comments in the export."""
    stack = [post["comments"] for post in data["posts"]]
    while stack:
        siblings = stack.pop()
        yield siblings
        stack.extend(comment["replies"] for comment in siblings)


def test_export_to_stdout_and_to_a_file_agree(run, course, tmp_path):
    path = tmp_path / "course.json"

    to_stdout = run("export-course", SLUG)
    to_file = run("export-course", SLUG, "-o", path)

    assert to_stdout.exit_code == 0 and to_file.exit_code == 0
    assert json.loads(to_stdout.stdout) == json.loads(path.read_text(encoding="utf-8"))
    assert to_file.stdout == ""
    assert f"Wrote {path}." in to_file.stderr


def test_the_seeded_course_with_its_pictures_round_trips_byte_for_byte(run, tmp_path):
    assert run("seed").exit_code == 0
    first = tmp_path / "course.zip"
    to_stdout = run("export-course", SLUG)
    assert run("export-course", SLUG, "-o", first).exit_code == 0
    assert to_stdout.stdout_bytes == first.read_bytes() and zipfile.is_zipfile(first)
    with zipfile.ZipFile(first) as archive:
        assert len(json.loads(archive.read("uploads.json"))["uploads"]) == 2
    empty_database()
    result = run("import-course", first)
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.zip"
    assert run("export-course", SLUG, "-o", again).exit_code == 0
    assert again.read_bytes() == first.read_bytes()


def test_export_unknown_course_is_an_error(run):
    result = run("export-course", "no-such-course")

    assert result.exit_code != 0
    assert "No course has the slug no-such-course." in result.output


def test_export_format(run, course, tmp_path):
    data = export(run, tmp_path / "course.json")

    assert data["format"] == "board-course/1"
    assert set(data["course"]) == {"slug", "title", "code", "term", "description", "settings", "dates"}
    assert data["course"]["settings"]["moderation_policy"] == "first"
    assert data["course"]["dates"] == {"starts_on": "2017-01-16", "ends_on": "2017-05-05"}
    assert data["members"][0] == {"email": "instructor@example.edu", "name": "Dr. Anna Petrova", "role": "instructor"}
    assert all(set(member) == {"email", "name", "role"} for member in data["members"])
    assert len(data["members"]) == 10
    assert [award_type["name"] for award_type in data["award_types"]] == [
        "Comrade’s Corner",
        "Sharp Question",
        "Primary Source Pro",
    ]
    assert all({"name", "description"} <= set(award_type) for award_type in data["award_types"])
    for post in data["posts"]:
        assert POST_KEYS <= set(post)
        assert all(set(award) == {"name", "by", "at", "note"} for award in post["awards"])
    for siblings in comment_trees(data):
        assert all(COMMENT_KEYS <= set(comment) for comment in siblings)


def test_export_refers_to_people_by_email_and_to_readings_by_ref(run, course, tmp_path):
    data = export(run, tmp_path / "course.json")
    posts = {post["title"]: post for post in data["posts"]}

    uprisings = posts["Between Hitler and Stalin: The Gulag Uprisings of 1952–54"]
    out_with_the_old = posts["Out With the Old (Prisoners)"]
    assert out_with_the_old["reading"] == uprisings["ref"]
    assert posts["Freedom from the Gulags"]["reading"] == uprisings["ref"]
    assert uprisings["reading"] is None
    assert out_with_the_old["author"] == "student1@example.edu"
    assert out_with_the_old["likes"] == ["student5@example.edu"]
    assert out_with_the_old["awards"][0]["name"] == "Comrade’s Corner"
    assert out_with_the_old["awards"][0]["by"] == "instructor@example.edu"
    assert [len(comment["likes"]) for comment in out_with_the_old["comments"]] == [0, 0, 0, 1, 1, 1, 2]
    assert len({post["ref"] for post in data["posts"]}) == len(data["posts"]) == 10


def test_export_times_are_iso_8601_with_a_timezone(run, course, tmp_path):
    data = export(run, tmp_path / "course.json")

    times = [value for key, value in walk(data) if (key == "at" or key.endswith("_at")) and value is not None]

    assert len(times) > 30
    for value in times:
        assert datetime.fromisoformat(value).utcoffset() is not None, value
    first = data["posts"][0]
    assert datetime.fromisoformat(first["created_at"]) == datetime(2017, 3, 20, 13, 0, tzinfo=UTC)


def test_export_lists_posts_and_comments_in_creation_order(run, course, tmp_path):
    data = export(run, tmp_path / "course.json")

    post_times = [datetime.fromisoformat(post["created_at"]) for post in data["posts"]]
    assert post_times == sorted(post_times)
    assert [post["title"] for post in data["posts"][:5]] == [
        "Solidarity: Dimitri Panin",
        "Solidarity: Jacques Rossi",
        "Between Hitler and Stalin: The Gulag Uprisings of 1952–54",
        "Out With the Old (Prisoners)",
        "Freedom from the Gulags",
    ]
    for siblings in comment_trees(data):
        comment_times = [datetime.fromisoformat(comment["created_at"]) for comment in siblings]
        assert comment_times == sorted(comment_times)


def test_export_contains_no_password_hashes(run, course):
    hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) == 11 and all(hashes)

    text = run("export-course", SLUG).stdout

    for password_hash in hashes:
        assert password_hash not in text
        assert password_hash.split("$")[-1] not in text
    assert not [key for key, _ in walk(json.loads(text)) if "password" in key or "hash" in key]


def test_export_carries_what_the_seed_lacks(run, course, tmp_path):
    """The variety a round trip must keep is in the export, so comparing exports means something."""
    posts = {post["title"]: post for post in export(run, tmp_path / "course.json")["posts"]}

    assert posts["Half-written"]["status"] == "draft"
    assert posts["Withdrawn"]["deleted_at"] is not None
    hidden = posts["Copied"]
    assert (hidden["visibility"], hidden["hidden_reason"], hidden["anonymous"], hidden["comments_locked"]) == (
        "hidden",
        "Plagiarism",
        True,
        True,
    )
    reading = posts["Memoirs of the Camps"]
    assert reading["pinned"] is True and reading["week"] == "Week 11"
    assert (reading["responses_hidden_until_posted"], reading["unlock_min_words"]) == (True, 50)
    assert datetime.fromisoformat(reading["due_at"]) == datetime(2017, 4, 3, 13, tzinfo=UTC)
    assert reading["comments"][0]["author"] == "student10@example.edu"
    edited = posts["Sharing Bread"]
    assert edited["edited_at"] is not None
    assert [(r["title"], r["body"], r["by"]) for r in edited["revisions"]] == [
        ("Sharing", "First draft.", "student4@example.edu")
    ]
    assert [(a["name"], a["note"]) for a in edited["awards"]] == [("Sharp Question", "Ask it in class.")]
    thread = edited["comments"]
    assert [comment["status"] for comment in thread] == ["visible", "deleted", "held", "hidden", "visible"]
    assert thread[0]["edited_at"] is not None
    assert thread[0]["replies"][0]["replies"][0]["body"] == "Thanks!"
    assert thread[0]["replies"][0]["likes"] == ["student1@example.edu"]
    assert thread[1]["replies"][0]["body"] == "Replying to a deleted comment."
    assert thread[3]["hidden_reason"] == "Off topic"
    assert thread[4]["anonymous"] is True


def test_round_trip_through_an_empty_database_gives_the_same_export(run, course, tmp_path):
    path = tmp_path / "course.json"
    first = export(run, path)
    before = counts()
    empty_database()
    assert set(counts().values()) == {0}

    result = run("import-course", path)

    assert result.exit_code == 0, result.output
    assert f"Imported {SLUG} with 10 posts." in result.output
    assert export(run, tmp_path / "again.json") == first
    imported = db.session.scalar(select(Course).where(Course.slug == SLUG))
    assert (imported.starts_on, imported.ends_on) == (date(2017, 1, 16), date(2017, 5, 5))
    depths = db.session.execute(select(Comment.body_md, Comment.depth).where(Comment.depth > 1)).all()
    assert sorted(depths) == [("Replying to a deleted comment.", 2), ("Thanks!", 3), ("The *old* prisoners.", 2)]
    assert counts() == before


def test_a_long_chain_of_replies_survives_the_round_trip(run, course, tmp_path):
    """Export and import walk comment trees without recursion: a long chain (far past the depth-5 display cap)
    comes back whole."""
    post = db.session.scalar(select(Post).where(Post.title == "Freedom from the Gulags"))
    people = db.session.scalars(select(User).order_by(User.id)).all()
    parent = None
    for n in range(DEEP):
        parent = factories.comment(post, people[n % len(people)], f"Reply {n}", parent=parent, minutes=n + 1)
    first = export(run, tmp_path / "deep.json")
    empty_database()
    assert run("import-course", tmp_path / "deep.json").exit_code == 0
    assert export(run, tmp_path / "again.json") == first
    assert db.session.scalar(select(func.max(Comment.depth))) == DEEP


def test_a_chain_too_deep_for_json_is_refused_with_a_clear_message(run, course):
    post = db.session.scalar(select(Post).where(Post.title == "Freedom from the Gulags"))
    author = db.session.scalar(select(User).where(User.email == "student1@example.edu"))
    parent = None
    for n in range(600):
        parent = factories.comment(post, author, f"Reply {n}", parent=parent, minutes=n + 1)
    result = run("export-course", SLUG)
    assert result.exit_code == 1
    assert "has a chain of replies too deep to write as nested JSON" in result.output


def test_imported_accounts_have_no_password_until_one_is_set(run, course, tmp_path, make_visitor):
    path = tmp_path / "course.json"
    export(run, path)
    empty_database()
    assert run("import-course", path).exit_code == 0
    assert db.session.scalars(select(User.password_hash)).all() == [None] * 11
    person = make_visitor()
    assert person.login("student1@example.edu", DEMO_PASSWORD).status_code == 200

    result = run("set-password", "student1@example.edu", "--password", "a new long password")

    assert result.exit_code == 0, result.output
    assert person.login("student1@example.edu", DEMO_PASSWORD).status_code == 200
    assert person.login("student1@example.edu", "a new long password").status_code == 302


def test_import_keeps_existing_accounts_and_their_passwords(run, course, tmp_path):
    path = tmp_path / "course.json"
    export(run, path)
    empty_database()
    existing = factories.user("Emily C.", email="student1@example.edu")
    password_hash = existing.password_hash

    assert run("import-course", path).exit_code == 0

    db.session.expire_all()
    assert db.session.scalars(select(User).where(User.email == "student1@example.edu")).one().password_hash == (
        password_hash
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == 11
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == existing.id)) == 1


def test_import_refuses_a_course_whose_slug_exists(run, course, tmp_path):
    path = tmp_path / "course.json"
    export(run, path)
    before = counts()

    result = run("import-course", path)

    assert result.exit_code != 0
    assert f"A course with the slug {SLUG} already exists; nothing was imported." in result.output
    assert counts() == before


def _without(*path):
    """A change to an export that deletes the key at `path`."""
    return lambda data: _parent(data, path).pop(path[-1])


def _set(*path, value):
    """A change to an export that sets the value at `path`."""
    return lambda data: _parent(data, path).__setitem__(path[-1], value)


def _parent(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


# Post 3 is "Out With the Old (Prisoners)": seven comments and an award.
@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_set("format", value="board-course/2"), "Not a board-course/1 export", id="other-format"),
        pytest.param(_without("format"), "Not a board-course/1 export", id="no-format"),
        pytest.param(_without("course"), "missing 'course'", id="no-course"),
        pytest.param(_without("course", "slug"), "missing 'slug'", id="no-slug"),
        pytest.param(_without("members"), "missing 'members'", id="no-members"),
        pytest.param(_without("posts"), "missing 'posts'", id="no-posts"),
        pytest.param(_without("posts", 3, "title"), "missing 'title'", id="post-without-title"),
        pytest.param(_without("posts", 3, "comments", 6, "author"), "missing 'author'", id="comment-without-author"),
        pytest.param(_set("posts", 3, "kind", value="essay"), "'essay' is not a valid PostKind", id="kind"),
        pytest.param(_set("posts", 3, "status", value="archived"), "'archived' is not a valid PostStatus", id="status"),
        pytest.param(
            _set("posts", 3, "created_at", value="2017-03-27T01:40:00"), "time without a timezone", id="naive-time"
        ),
        pytest.param(
            _set("posts", 3, "awards", 0, "name", value="Gold Star"),
            "Award 'Gold Star' is not one of the course's award types",
            id="award-type",
        ),
        pytest.param(
            _set("posts", 3, "reading", value="p9"),
            "Post p4 answers p9, which is not an earlier post",
            id="reading-ref",
        ),
        pytest.param(_set("members", 1, "role", value="dean"), "'dean' is not a valid Role", id="role"),
        pytest.param(_set("course", "settings", "colour", value="red"), "Unknown course setting colour", id="setting"),
        pytest.param(_set("course", "dates", "ends_on", value="May 5"), "ends on is not a date: 'May 5'", id="date"),
        pytest.param(_set("course", "dates", "halfway", value=None), "Unknown course date halfway", id="date-name"),
        pytest.param(
            _set("course", "dates", value={"starts_on": "2017-05-05", "ends_on": "2017-01-16"}),
            "The course's last day (2017-01-16) must come after its first day (2017-05-05)",
            id="dates-backwards",
        ),
        pytest.param(
            _set("course", "dates", value={"starts_on": "2017-05-05", "ends_on": "2017-05-05"}),
            "must come after its first day",
            id="dates-same-day",
        ),
        pytest.param(
            _set("posts", 3, "likes", value=["student5@example.edu"] * 2),
            "The export is malformed",
            id="duplicate-like",
        ),
    ],
)
def test_malformed_export_is_refused_and_nothing_is_imported(run, seed_export, tmp_path, change, message):
    broken = copy.deepcopy(seed_export)
    change(broken)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")

    result = run("import-course", path)

    assert result.exit_code != 0
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert set(counts().values()) == {0}


def test_unbroken_export_imports_where_the_broken_ones_are_refused(run, seed_export, tmp_path):
    path = tmp_path / "course.json"
    path.write_text(json.dumps(seed_export), encoding="utf-8")

    result = run("import-course", path)

    assert result.exit_code == 0, result.output
    assert counts()["Post"] == 5 and counts()["CommentLike"] == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not a JSON file: Expecting property name"),
        (b"\xff\xfe{}", "is not a JSON file: 'utf-8' codec can't decode byte 0xff"),
        (b"[1, 2]", "Not a board-course/1 export"),
        (b'"board-course/1"', "Not a board-course/1 export"),
    ],
)
def test_import_of_something_that_is_not_an_export_is_refused(run, tmp_path, content, message):
    path = tmp_path / "course.json"
    path.write_bytes(content)

    result = run("import-course", path)

    assert result.exit_code != 0
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert set(counts().values()) == {0}


def test_published_posts_imported_without_a_publication_time_are_all_reached_by_paging(
    run, seed_export, tmp_path, make_visitor, monkeypatch
):
    # A hand-made file may leave published_at out; keyset pages seek on (published_at, id), where NULL matches nothing.
    data = copy.deepcopy(seed_export)
    for item in data["posts"]:
        item["published_at"] = None
    author = next(p["author"] for p in data["posts"] if p["kind"] == "response")
    for item in data["posts"]:
        if item["kind"] == "response":
            item["author"] = author  # one person's responses, enough of them to page through
    path = tmp_path / "course.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run("import-course", path).exit_code == 0
    user = db.session.scalar(select(User).where(User.email == author))
    accounts.set_password(user, DEMO_PASSWORD)
    expected = db.session.scalars(
        select(Post.title).where(
            Post.author_id == user.id, Post.kind == "response", Post.deleted_at.is_(None), Post.status == "published"
        )
    ).all()
    assert len(expected) >= 2
    monkeypatch.setattr("board.courses.routes.PERSON_PAGE_SIZE", 1)
    visitor = make_visitor()
    visitor.login(author, DEMO_PASSWORD)

    seen, url = [], f"/c/{SLUG}/people/{user.id}"
    while url:
        page = visitor.get(url).get_data(as_text=True)
        section = page.split('id="person-responses"')[1].split("</section>")[0]
        seen += re.findall(r'<a href="/c/[^"]+/posts/\d+">([^<]*)</a>', section)
        following = re.search(r'href="([^"]+)" rel="next"', section)
        url = html.unescape(following.group(1)) if following else None

    assert sorted(seen) == sorted(html.escape(title, quote=True) for title in expected)
