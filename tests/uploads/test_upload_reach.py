"""An upload reaches no one by a side door: a feed reader, a search result or an email
show or fetch nothing the person could not fetch from the post's own page."""

from __future__ import annotations

from board.extensions import db
from board.models import Role, Visibility
from tests import factories
from tests.feeds.test_feeds import fetch, parse, turn_on
from tests.uploads.test_uploads import png, upload


def _class_with_a_picture(make_visitor):
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    iris = factories.instructor_of(course)
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    reading = factories.reading(course, title="The reading")
    url = upload(make_visitor(ada), course, png(), "p.png").get_json()["url"]
    post = factories.response(course, ada, reading, title="Barracks", body=f"Look.\n\n![Wooden barracks]({url})")
    return course, iris, ada, bo, post, url


def test_a_feed_carries_the_pictures_description_and_its_reader_cannot_fetch_it(app, make_visitor):
    _course, _, _, bo, _post, url = _class_with_a_picture(make_visitor)
    feed = parse(fetch(app, turn_on(make_visitor(bo))))
    [entry] = [e for e in feed.entries if "Barracks" in e.title]
    html = entry.content[0].value
    assert "[picture: Wooden barracks]" in html and "<img" not in html and "/uploads/" not in html
    assert fetch(app, url).status_code == 404  # a feed reader has no session


def test_a_comment_email_and_a_search_result_hold_no_picture(app, make_visitor, inbox):
    course, _, ada, bo, post, _url = _class_with_a_picture(make_visitor)
    bos = make_visitor(bo)
    own = upload(bos, course, png(300, 200, (0, 90, 0)), "q.png").get_json()
    from board.notifications.models import Delivery, NotificationPreference

    db.session.add(NotificationPreference(user_id=ada.id, course_id=course.id, kind="comment", delivery=Delivery.NOW))
    db.session.commit()
    sent = bos.post(
        f"/c/{course.slug}/posts/{post.id}/comments",
        {"body": f"Here is mine: ![A green field]({own['url']}#300x200) barracks"},
    )
    assert sent.status_code == 302
    [message] = inbox.messages(ada.email)
    text = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    assert "/uploads/" not in text and "<img" not in text
    results = bos.get(f"/c/{course.slug}/search", query_string={"q": "barracks"}).get_data(as_text=True)
    assert "Barracks" in results
    assert "/uploads/" not in results.split("<main", 1)[1]


def test_a_picture_hidden_after_a_classmate_saw_it_is_gone_for_them_at_once(app, make_visitor):
    course, iris, _, bo, post, url = _class_with_a_picture(make_visitor)
    bos = make_visitor(bo)
    page = bos.get(f"/c/{course.slug}/posts/{post.id}")
    assert page.status_code == 200 and url in page.get_data(as_text=True)
    first = bos.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    hidden = make_visitor(iris).post(f"/c/{course.slug}/posts/{post.id}/hide", {"reason": "Not for the class"})
    assert hidden.status_code == 302, hidden.get_data(as_text=True)[:1000]
    assert factories.reload(post).visibility == Visibility.HIDDEN
    assert bos.get(url).status_code == 404
    assert bos.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404  # no 304 for a revoked one
    assert bos.get(f"/c/{course.slug}/posts/{post.id}").status_code == 404
