"""Private Atom feeds: valid Atom, a secret token that is required, renewable and revocable, and exactly what the
token's owner may see on the pages (drafts, held, hidden, deleted, the post-before-you-see gate, anonymity)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser
import pytest
from sqlalchemy import select

from board.extensions import db
from board.feeds import tokens
from board.models import Comment, Membership, Role, Visibility, utcnow
from tests import factories

ATOM = "{http://www.w3.org/2005/Atom}"
_FEED_HREF = re.compile(r'href="([^"]*\.atom)"')


def turn_on(visitor) -> str:
    """Turn feeds on through the account page's button; the course feed path the page then shows."""
    page = visitor.get("/account").get_data(as_text=True)
    assert "Turn feeds on" in page
    response = visitor.post("/account/feeds/renew")
    assert response.status_code == 302
    page = visitor.get("/account").get_data(as_text=True)
    return urlsplit(_FEED_HREF.findall(page)[0]).path


def fetch(app, path: str):
    """A feed reader: no cookies, just the URL."""
    return app.test_client().get(path)


def parse(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def token_of(path: str) -> str:
    return path.split("/")[2]


@pytest.fixture
def klass():
    course = factories.course(factories.user("Iris Instructor"))
    course.allow_anonymous = True
    db.session.commit()
    student = factories.member(course, Role.STUDENT, "Stu Student")
    classmate = factories.member(course, Role.STUDENT, "Cal Classmate")
    reading = factories.reading(
        course,
        title="Solzhenitsyn",
        body="Read *chapter one*.",
        prompt="Why **now**?",
        prompt_html="<p>Why <strong>now</strong>?</p>",
    )
    return course, student, classmate, reading


def test_feeds_are_off_until_turned_on_then_the_account_page_shows_each_course_link(app, make_visitor, klass):
    course, student, _, reading = klass
    visitor = make_visitor(student)
    assert tokens.token_for(student) is None
    assert "/feeds/" not in visitor.get(f"/c/{course.slug}/").get_data(as_text=True)

    path = turn_on(visitor)
    assert path == f"/feeds/{tokens.token_for(factories.reload(student))}/c/{course.slug}/feed.atom"
    home = visitor.get(f"/c/{course.slug}/").get_data(as_text=True)
    assert f'href="{path}"' in home and 'rel="alternate" type="application/atom+xml"' in home
    reading_page = visitor.get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert f"/c/{course.slug}/readings/{reading.id}/responses.atom" in reading_page
    assert f"/c/{course.slug}/posts/{reading.id}/comments.atom" in reading_page


def test_course_feed_is_valid_atom_with_absolute_links_and_stored_html(app, make_visitor, klass):
    course, student, classmate, reading = klass
    factories.response(course, classmate, reading, title="On <chapter> & verse", body="Bell\x07 *rings* <b>x</b>")
    path = turn_on(make_visitor(student))

    response = fetch(app, path)
    feed = parse(response)
    ET.fromstring(response.get_data())  # a strict XML parser agrees
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert feed.feed.title == "Soviet History: readings and responses"
    assert [e.title for e in feed.entries] == ["Response: On <chapter> & verse", "Reading: Solzhenitsyn"]
    response_entry, reading_entry = feed.entries
    assert response_entry.author == "Cal Classmate"
    assert response_entry.link.startswith(app.config["BASE_URL"] + f"/c/{course.slug}/posts/")
    assert response_entry.id == response_entry.link
    assert "<em>rings</em>" in response_entry.content[0].value and "\x07" not in response_entry.content[0].value
    assert (
        "Discussion prompt" in reading_entry.content[0].value
        and "<strong>now</strong>" in reading_entry.content[0].value
    )
    assert token_of(path) not in feed.feed.link  # the page's URL carries no secret


def test_feed_needs_a_live_token(app, make_visitor, klass):
    _, student, classmate, _ = klass
    path = turn_on(make_visitor(student))
    token = token_of(path)
    key_id, mac = token.split(".")
    assert fetch(app, path).status_code == 200
    for bad in (
        "nothing",
        f"{key_id}.{'A' * len(mac)}",
        f"{key_id}.{mac[:-1]}",
        f"{int(key_id) + 1}.{mac}",
        mac,
        "99999999999999999999.x",
    ):
        assert fetch(app, path.replace(token, bad)).status_code == 404, bad
    # Another member's key with this member's MAC opens nothing either.
    tokens.renew(classmate)
    other = tokens.token_for(classmate)
    assert fetch(app, path.replace(token, other.split(".")[0] + "." + mac)).status_code == 404
    # A session does not stand in for the token.
    assert make_visitor(student).get(path.replace(token, "nothing")).status_code == 404


def test_new_links_and_turning_feeds_off_make_old_links_404(app, make_visitor, klass):
    course, student, _, _ = klass
    visitor = make_visitor(student)
    old = turn_on(visitor)
    assert visitor.post("/account/feeds/renew").status_code == 302
    page = visitor.get("/account").get_data(as_text=True)
    new = urlsplit(_FEED_HREF.findall(page)[0]).path
    assert new != old
    assert fetch(app, old).status_code == 404
    assert fetch(app, new).status_code == 200

    assert visitor.post("/account/feeds/off").status_code == 302
    assert fetch(app, new).status_code == 404
    assert "Turn feeds on" in visitor.get("/account").get_data(as_text=True)
    assert "/feeds/" not in visitor.get(f"/c/{course.slug}/").get_data(as_text=True)


def test_a_member_removed_from_the_course_gets_404(app, make_visitor, klass):
    _, student, _, reading = klass
    path = turn_on(make_visitor(student))
    assert fetch(app, path).status_code == 200
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == student.id))
    db.session.delete(membership)
    db.session.commit()
    assert fetch(app, path).status_code == 404
    assert fetch(app, path.replace("feed.atom", f"readings/{reading.id}/responses.atom")).status_code == 404
    assert fetch(app, path.replace("feed.atom", f"posts/{reading.id}/comments.atom")).status_code == 404


def _titles(app, path: str) -> list[str]:
    return [entry.title for entry in parse(fetch(app, path)).entries]


def test_course_feed_shows_what_the_home_page_shows_to_each_viewer(app, make_visitor, klass):
    course, student, classmate, reading = klass
    instructor = factories.instructor_of(course)
    factories.reading(course, title="Draft reading", published=False)
    factories.response(course, classmate, reading, title="Held one", visibility=Visibility.HELD)
    factories.response(course, classmate, reading, title="Hidden one", visibility=Visibility.HIDDEN)
    factories.response(course, classmate, reading, title="Deleted one", deleted_at=utcnow())
    factories.response(course, classmate, reading, title="Draft response", published=False)
    factories.response(course, classmate, reading, title="Masked", anonymous=True)
    factories.response(course, classmate, reading, title="Plain")

    as_student = turn_on(make_visitor(student))
    assert _titles(app, as_student) == ["Response: Plain", "Response: Masked", "Reading: Solzhenitsyn"]
    masked = parse(fetch(app, as_student)).entries[1]
    assert masked.author == "Anonymous classmate"
    document = ET.fromstring(fetch(app, as_student).get_data())
    entry = next(e for e in document.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Response: Masked")
    assert "Cal" not in ET.tostring(entry, encoding="unicode")

    as_author = turn_on(make_visitor(classmate))
    assert "Response: Held one (awaiting approval)" in _titles(app, as_author)
    assert "Response: Draft response" not in _titles(app, as_author)

    as_staff = turn_on(make_visitor(instructor))
    staff_titles = _titles(app, as_staff)
    assert "Response: Held one (awaiting approval)" in staff_titles and "Response: Hidden one (hidden)" in staff_titles
    assert "Response: Deleted one" not in staff_titles and "Reading: Draft reading" not in staff_titles
    by_title = {e.title: e for e in parse(fetch(app, as_staff)).entries}
    assert by_title["Response: Masked"].author == "Cal Classmate (anonymous to classmates)"


def test_gated_reading_feed_shows_classmates_responses_only_after_posting(app, make_visitor, klass):
    course, student, classmate, _ = klass
    gated = factories.reading(course, title="Gated", responses_hidden_until_posted=True)
    theirs = factories.response(course, classmate, gated, title="Theirs")
    visitor = make_visitor(student)
    course_path = turn_on(visitor)
    reading_path = course_path.replace("feed.atom", f"readings/{gated.id}/responses.atom")
    comments_path = course_path.replace("feed.atom", f"posts/{theirs.id}/comments.atom")
    factories.comment(theirs, classmate, "Behind the gate")

    assert _titles(app, reading_path) == []
    assert "Response: Theirs" not in _titles(app, course_path)
    assert fetch(app, comments_path).status_code == 404  # the page is a 404 too
    assert visitor.get(f"/c/{course.slug}/posts/{theirs.id}").status_code == 404

    factories.response(course, student, gated, title="Mine")
    assert _titles(app, reading_path) == ["Response: Mine", "Response: Theirs"]
    assert "Response: Theirs" in _titles(app, course_path)
    assert [e.title for e in parse(fetch(app, comments_path)).entries] == ["Cal Classmate on “Theirs”"]


def test_comment_feed_shows_the_comments_the_thread_shows(app, make_visitor, klass):
    course, student, classmate, reading = klass
    post = factories.response(course, classmate, reading, title="Thread")
    factories.comment(post, classmate, "*amnesty* visible", minutes=1)
    factories.comment(post, classmate, "held by policy", visibility=Visibility.HELD, minutes=2)
    factories.comment(post, classmate, "hidden by staff", visibility=Visibility.HIDDEN, minutes=3)
    factories.comment(post, classmate, "deleted by author", deleted_at=utcnow(), minutes=4)
    factories.comment(post, classmate, "masked comment", anonymous=True, minutes=5)
    factories.comment(post, student, "my own held one", visibility=Visibility.HELD, minutes=6)

    path = turn_on(make_visitor(student)).replace("feed.atom", f"posts/{post.id}/comments.atom")
    entries = parse(fetch(app, path)).entries
    assert [e.content[0].value for e in entries] == [
        "<p>my own held one</p>",
        "<p>masked comment</p>",
        "<p><em>amnesty</em> visible</p>",
    ]
    assert entries[0].title == "Stu Student on “Thread” (awaiting approval)"
    assert entries[1].title == "Anonymous classmate on “Thread”" and entries[1].author == "Anonymous classmate"
    assert entries[2].link.endswith(f"/posts/{post.id}#comment-{entries[2].link.rsplit('-', 1)[1]}")

    staff_path = turn_on(make_visitor(factories.instructor_of(course))).replace(
        "feed.atom", f"posts/{post.id}/comments.atom"
    )
    staff = [e.content[0].value for e in parse(fetch(app, staff_path)).entries]
    assert "<p>held by policy</p>" in staff and "<p>hidden by staff</p>" in staff
    assert "<p>deleted by author</p>" not in staff


def test_a_feed_of_a_reading_id_that_is_a_response_is_404(app, make_visitor, klass):
    course, student, classmate, reading = klass
    response = factories.response(course, classmate, reading)
    path = turn_on(make_visitor(student))
    assert fetch(app, path.replace("feed.atom", f"readings/{response.id}/responses.atom")).status_code == 404
    other_course = factories.course()
    assert fetch(app, path.replace(course.slug, other_course.slug)).status_code == 404


def test_an_empty_feed_is_valid_atom(app, make_visitor):
    course = factories.course()
    student = factories.member(course)
    feed = parse(fetch(app, turn_on(make_visitor(student))))
    assert feed.entries == [] and feed.feed.updated


def test_a_free_post_and_a_post_imported_without_a_date_are_in_the_course_feed(app, make_visitor, klass):
    course, student, classmate, reading = klass
    factories.response(course, classmate, None, title="Course blog")
    undated = factories.response(course, classmate, reading, title="Imported")
    undated.published_at = None  # imported posts may have no date; the pages sort them as 1970
    db.session.commit()
    titles = _titles(app, turn_on(make_visitor(student)))
    assert titles == ["Post: Course blog", "Reading: Solzhenitsyn", "Response: Imported"]


def test_notifications_feed_shows_what_the_notifications_page_shows_and_hides_what_is_gone(app, make_visitor, klass):
    course, student, classmate, reading = klass
    mine = factories.response(course, student, reading, title="My reply to Solzhenitsyn")
    visitor = make_visitor(student)
    turn_on(visitor)
    page = visitor.get("/account").get_data(as_text=True)
    path = next(urlsplit(href).path for href in _FEED_HREF.findall(page) if href.endswith("/notifications.atom"))
    classmate_visitor = make_visitor(classmate)
    slug = course.slug
    classmate_visitor.post(f"/c/{slug}/posts/{mine.id}/comments", {"body": "A *fine* point", "anonymous": "y"})
    classmate_visitor.post(f"/c/{slug}/posts/{mine.id}/comments", {"body": "Second thoughts, later hidden"})

    feed = parse(fetch(app, path))
    assert feed.feed.title == "Notifications for Stu Student"
    titles = [entry.title for entry in feed.entries]
    assert len(titles) == 2 and all("commented on your post “My reply to Solzhenitsyn”" in t for t in titles)
    assert "Cal Classmate" not in feed.entries[1].title and "Anonymous" in feed.entries[1].title
    assert feed.entries[0].link.startswith(app.config["BASE_URL"] + f"/c/{slug}/posts/{mine.id}#comment-")

    hidden = db.session.scalar(select(Comment).where(Comment.body_md == "Second thoughts, later hidden"))
    hidden.visibility = Visibility.HIDDEN
    db.session.commit()
    feed = parse(fetch(app, path))
    assert feed.entries[0].title.endswith("This is no longer available.")
    assert "Second thoughts" not in fetch(app, path).get_data(as_text=True)

    # Turning feeds off closes this feed too.
    visitor.post("/account/feeds/off")
    assert fetch(app, path).status_code == 404
