"""Nothing typed is lost: refused comments come back in the composer that was used, resends create one item."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

from sqlalchemy import event

from board.extensions import db
from board.models import Comment, Post
from board.posts import services
from tests import factories


class _Forms(HTMLParser):
    """Every <form> of a page: its attributes and the fields a browser would send (name, value) in order."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "fields": []})
        elif self.forms and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1]["fields"].append([attrs["name"], attrs.get("value") or ""])
        elif self.forms and tag == "textarea" and attrs.get("name"):
            self._textarea = [attrs["name"], ""]
            self.forms[-1]["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # As in a browser, a newline straight after <textarea> is not part of the value.
            self._textarea[1] = re.sub(r"^\r?\n", "", self._textarea[1])
            self._textarea = None


def forms(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_where(page: str, **attrs) -> dict:
    """The one form whose attributes include `attrs` (class_ for class)."""
    wanted = {key.rstrip("_"): value for key, value in attrs.items()}
    found = [f for f in forms(page) if all(f["attrs"].get(k) == v for k, v in wanted.items())]
    assert len(found) == 1, f"{len(found)} forms match {attrs}"
    return found[0]


def reply_form(visitor, post, parent_id: int) -> dict:
    """The reply form of comment `parent_id`, from the reply page its "Reply" link opens (without JavaScript)."""
    page = visitor.get(_url(post)).get_data(as_text=True)
    assert f'href="../comments/{parent_id}/reply"' in page
    reply_page = visitor.get(f"/c/{post.course.slug}/comments/{parent_id}/reply").get_data(as_text=True)
    [found] = [f for f in forms(reply_page) if ["parent_id", str(parent_id)] in f["fields"]]
    return found


def send(visitor, form: dict, action: str | None = None, **changes):
    """Submit `form` as a browser would (its own CSRF token), with some fields changed."""
    data = dict(form["fields"]) | changes
    return visitor.client.post(action or form["attrs"]["action"], data=data)


def _comments() -> list[Comment]:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment).order_by(Comment.id)).all()


def _discussion():
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), title="Work as dignity")
    return course, post


def _url(post) -> str:
    return f"/c/{post.course.slug}/posts/{post.id}"


def test_empty_reply_shows_its_error_in_that_reply_form_and_the_bottom_form_stays_a_comment(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    parent = factories.comment(post, factories.member(course), body="Is labour dignity?")
    response = send(student, reply_form(student, post, parent.id), body="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    bottom = form_where(page, id="comment-form")
    assert "parent_id" not in dict(bottom["fields"]), "the bottom form was turned into a reply"
    assert "Write something first." not in page[page.index('id="comment-form"') :]
    comment = page[
        page.index(f'id="comment-{parent.id}"') : page.index("</li>", page.index(f'id="comment-{parent.id}"'))
    ]
    reply = form_where(comment, id="reply-form")  # the page's one reply composer, under the comment, shown
    assert "hidden" not in reply["attrs"] and dict(reply["fields"])["parent_id"] == str(parent.id)
    assert 'aria-invalid="true"' in comment and "Write something first." in comment and "autofocus" in comment
    assert page.count('id="reply-form"') == 1
    # What is typed next in the bottom form is a comment on the post, not a reply.
    assert send(student, bottom, body="A comment of my own").status_code == 302
    assert [(c.body_md, c.parent_id) for c in _comments()] == [
        ("Is labour dignity?", None),
        ("A comment of my own", None),
    ]


def test_empty_comment_shows_its_error_in_the_bottom_form_with_focus(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    page = send(student, bottom, body="  ").get_data(as_text=True)
    form = page[page.index('id="comment-form"') :]
    assert 'aria-invalid="true"' in form and "autofocus" in form and "Write something first." in form


def test_reply_to_a_comment_deleted_meanwhile_can_be_posted_as_a_comment(make_visitor):
    course, post = _discussion()
    author = factories.member(course)
    parent = factories.comment(post, author, body="Gone soon")
    student = make_visitor(factories.member(course))
    form = reply_form(student, post, parent.id)
    make_visitor(author).post(f"/c/{course.slug}/comments/{parent.id}/delete")
    response = send(student, form, body="My careful reply")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    bottom = form_where(page, id="comment-form")
    assert dict(bottom["fields"])["body"] == "My careful reply"
    assert "parent_id" not in dict(bottom["fields"])
    assert "The comment you replied to was deleted or hidden meanwhile." in page
    assert send(student, bottom).status_code == 302
    assert [(c.body_md, c.parent_id) for c in _comments() if c.deleted_at is None] == [("My careful reply", None)]


def test_reply_to_a_comment_hidden_meanwhile_keeps_the_text(make_visitor):
    course, post = _discussion()
    parent = factories.comment(post, factories.member(course), body="Soon hidden")
    student = make_visitor(factories.member(course))
    form = reply_form(student, post, parent.id)
    parent.visibility = "hidden"
    db.session.commit()
    page = send(student, form, body="Still worth saying").get_data(as_text=True)
    assert dict(form_where(page, id="comment-form")["fields"])["body"] == "Still worth saying"
    assert len(_comments()) == 1


def test_comment_on_a_post_closed_meanwhile_shows_the_text_to_keep(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    post.comments_locked = True
    db.session.commit()
    response = send(student, bottom, body="Typed while it closed")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Comments on this post are closed." in page
    kept = page[page.index('id="kept-comment"') :]
    assert "Typed while it closed" in kept and "readonly" in kept
    assert 'id="comment-form"' not in page
    assert _comments() == []


def test_sending_the_same_comment_form_twice_creates_one_comment(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    first = send(student, bottom, body="Only once")
    second = send(student, bottom, body="Only once")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    [comment] = _comments()
    assert first.headers["Location"].endswith(f"#comment-{comment.id}")
    # A new page load gives a new key: the same words posted again on purpose are a second comment.
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    assert send(student, bottom, body="Only once").status_code == 302
    assert len(_comments()) == 2


def test_sending_the_same_reply_form_twice_creates_one_reply(make_visitor):
    course, post = _discussion()
    parent = factories.comment(post, factories.member(course))
    student = make_visitor(factories.member(course))
    form = reply_form(student, post, parent.id)
    assert (
        send(student, form, body="Agreed").headers["Location"] == send(student, form, body="Agreed").headers["Location"]
    )
    assert [c.parent_id for c in _comments()] == [None, parent.id]


def test_two_same_comment_forms_at_the_same_moment_create_one_comment(app, make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    # Both requests have checked that the key is new before either inserts: the unique constraint decides.
    both_checked = threading.Barrier(2, timeout=10)

    def before_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO COMMENTS"):
            both_checked.wait()

    event.listen(db.engine, "before_cursor_execute", before_insert)
    results = []
    try:
        threads = [threading.Thread(target=lambda: results.append(send(student, bottom, body="Race"))) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_insert)
    assert [r.status_code for r in results] == [302, 302]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    assert len(_comments()) == 1


def _response_composer(make_visitor):
    """A student of a new course, the form of a response to its reading, and the URL it posts to."""
    course = factories.course()
    reading = factories.reading(course)
    student = make_visitor(factories.member(course))
    url = f"/c/{course.slug}/readings/{reading.id}/respond"
    [form] = [f for f in forms(student.get(url).get_data(as_text=True)) if "submission_key" in dict(f["fields"])]
    return student, form, url, reading


def test_sending_the_same_response_form_twice_creates_one_response(make_visitor):
    student, form, url, reading = _response_composer(make_visitor)
    data = {"title": "On work", "body": "Brick by brick", "publish": "Publish"}
    first, second = send(student, form, url, **data), send(student, form, url, **data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    db.session.expire_all()
    assert len(db.session.scalars(db.select(Post).where(Post.reading_id == reading.id)).all()) == 1


_CONFIRMED = re.compile(r'<body[^>]* data-confirmed="([^"]*)"')


def confirmed(response) -> list[str]:
    """The submission keys a page confirms to board.js (whose drafts it removes)."""
    match = _CONFIRMED.search(response.get_data(as_text=True))
    return match.group(1).split() if match else []


def test_the_page_after_a_comment_confirms_its_submission_key_and_no_other_page_does(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    key = dict(bottom["fields"])["submission_key"]
    assert confirmed(send(student, bottom, body="")) == []  # refused: the draft stays
    sent = send(student, bottom, body="Confirmed")
    after = student.get(sent.headers["Location"])
    assert confirmed(after) == [key]
    assert after.get_data(as_text=True).count(key) == 1  # not shown as a message
    assert confirmed(student.get(_url(post))) == []  # once
    # A resend finds the comment the first send made, and confirms it again.
    assert confirmed(student.get(send(student, bottom, body="Confirmed").headers["Location"])) == [key]
    assert len(_comments()) == 1


def test_the_page_after_a_response_confirms_its_submission_key(make_visitor):
    student, form, url, _ = _response_composer(make_visitor)
    refused = send(student, form, url, title="", body="No title yet", publish="Publish")
    assert refused.status_code == 200 and confirmed(refused) == []
    sent = send(student, form, url, title="On work", body="Brick by brick", publish="Publish")
    after = student.get(sent.headers["Location"])
    assert confirmed(after) == [dict(form["fields"])["submission_key"]]
    assert "Published." in after.get_data(as_text=True)  # the page's own message is still shown


def test_resend_after_comments_closed_still_finds_the_first_comment(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    bottom = form_where(student.get(_url(post)).get_data(as_text=True), id="comment-form")
    first = send(student, bottom, body="Made it")
    post.comments_locked = True
    db.session.commit()
    assert send(student, bottom, body="Made it").headers["Location"] == first.headers["Location"]


def test_submission_keys_are_per_author(make_visitor):
    course, post = _discussion()
    ada, boris = make_visitor(factories.member(course)), make_visitor(factories.member(course))
    bottom = form_where(ada.get(_url(post)).get_data(as_text=True), id="comment-form")
    key = dict(bottom["fields"])["submission_key"]
    assert send(ada, bottom, body="Ada's").status_code == 302
    boris_form = form_where(boris.get(_url(post)).get_data(as_text=True), id="comment-form")
    assert send(boris, boris_form, body="Boris's", submission_key=key).status_code == 302
    assert sorted(c.body_md for c in _comments()) == ["Ada's", "Boris's"]


def test_service_without_a_key_always_creates(make_visitor):
    course, post = _discussion()
    student = factories.member(course)
    make_visitor(student)
    from board import access

    ctx = access.course_context(student, course.slug)
    services.add_comment(ctx, post, "One")
    services.add_comment(ctx, post, "One")
    assert len(_comments()) == 2


def test_the_post_page_has_one_hidden_reply_composer_for_every_comment(make_visitor):
    course, post = _discussion()
    for _ in range(3):
        factories.comment(post, factories.member(course))
    page = make_visitor(factories.member(course)).get(_url(post)).get_data(as_text=True)
    reply = form_where(page, id="reply-form")
    assert "hidden" in reply["attrs"] and dict(reply["fields"])["parent_id"] == ""
    assert len(re.findall(r'name="parent_id"', page)) == 1
    assert len(re.findall(r'href="\.\./comments/\d+/reply"', page)) == 3
