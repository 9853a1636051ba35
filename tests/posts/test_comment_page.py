"""The response page with 200 comments stays light: under 150 KB of HTML, one reply composer, a fixed query count."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from flask import current_app, url_for

from board.extensions import db
from board.models import Award, Comment, CommentLike, PostKind, PostLike, Role, utcnow
from tests import factories
from tests.posts.test_composer import form_where, forms, send
from tests.test_query_counts import _award_type, _classmates, _discuss, _post, _queries, _viewer

MAX_BYTES = 150 * 1024
# The queries one view of a post page runs, whatever the number of comments: the user (with the header's count), the
# course, the post (with its reading), the viewer's state of it (watch level, read row, its likes), the comments (with
# their likes) and all the page's awards; staff also load the award types for the award form.
QUERIES = {Role.STUDENT: 6, Role.ASSISTANT: 7, Role.INSTRUCTOR: 7}  # as tests/test_query_counts.py


@pytest.mark.parametrize("role", list(QUERIES))
def test_post_with_200_comments_is_under_150_kb_with_one_reply_composer(make_visitor, role):
    course = factories.course()
    course.allow_anonymous = True  # the anonymity box adds to every composer
    viewer = _viewer([course], role)
    people = _classmates([course], 12)
    reading = _post(course, factories.instructor_of(course), PostKind.READING, due_at=utcnow())
    post = _post(course, people[0], PostKind.RESPONSE, reading=reading)
    db.session.add_all([reading, post])
    db.session.flush()
    db.session.add(Award(post_id=post.id, award_type=_award_type(course), given_by_id=reading.author_id))
    db.session.add_all(PostLike(post_id=post.id, user_id=person.id) for person in people[:3])
    _discuss(post, people, 200, viewer)
    db.session.commit()

    log, page = _queries(make_visitor(viewer), f"/c/{course.slug}/posts/{post.id}", expect="Comment 199")
    size = len(page.encode())
    print(f"{role}: {size / 1024:.1f} KB, {len(log)} queries")
    assert size <= MAX_BYTES, f"{size / 1024:.1f} KB"
    assert len(log) == QUERIES[role], str(log)
    assert page.count('name="csrf_token"') <= 7  # the shared "acts" form, composers, log out, watching
    assert len(re.findall(r"<textarea[^>]*name=\"body\"", page)) == 2  # the comment form and the one reply composer


def _button(page: str, formaction_end: str) -> dict:
    """The attributes of the one <button> whose formaction ends with `formaction_end`."""
    found = [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r"<button [^>]*>", page)
        if re.search(rf'formaction="[^"]*{re.escape(formaction_end)}"', tag)
    ]
    assert len(found) == 1, f"{len(found)} buttons post to …{formaction_end}"
    return found[0]


def _press(visitor, page_url: str, page: str, formaction_end: str):
    """Press a button of the page's shared form as a browser without JavaScript does: the form's fields, the
    button's name and value, to the button's formaction (resolved against the page's URL)."""
    button = _button(page, formaction_end)
    assert button["form"] == "acts"
    acts = form_where(page, id="acts")
    data = dict(acts["fields"]) | ({button["name"]: button["value"]} if "name" in button else {})
    return visitor.client.post(urljoin(page_url, button["formaction"]), data=data)


def test_like_and_delete_work_without_javascript_through_the_shared_form(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course))
    ada, boris = factories.member(course), factories.member(course)
    comment = factories.comment(post, ada, body="Worth a like")
    url = f"/c/{course.slug}/posts/{post.id}"
    liker = make_visitor(boris)
    response = _press(liker, url, liker.get(url).get_data(as_text=True), f"/comments/{comment.id}/like")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#comment-{comment.id}")
    page = liker.get(url).get_data(as_text=True)
    assert "Liked by 1 person" in page and _button(page, f"/comments/{comment.id}/like")["aria-pressed"] == "true"
    assert _press(liker, url, page, f"/comments/{comment.id}/like").status_code == 302
    assert "Liked by 1 person" not in liker.get(url).get_data(as_text=True)

    author = make_visitor(ada)
    page = author.get(url).get_data(as_text=True)
    assert _press(author, url, page, f"/comments/{comment.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).deleted_at is not None


def test_links_of_a_comment_resolve_to_its_pages_from_the_page_and_from_a_refused_comment(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course))
    author = factories.member(course)
    comment = factories.comment(post, author)
    db.session.add(CommentLike(comment_id=comment.id, user_id=factories.member(course).id))
    db.session.commit()
    viewer = make_visitor(factories.instructor_of(course))
    url = f"/c/{course.slug}/posts/{post.id}"
    shown = viewer.get(url).get_data(as_text=True)
    refused_url = f"{url}/comments"
    refused = send(viewer, form_where(shown, id="comment-form"), refused_url, body="")
    assert refused.status_code == 422
    with current_app.test_request_context():
        expected = {
            url_for("courses.person", slug=course.slug, user_id=author.id),
            url_for("moderation.likes", slug=course.slug, kind="comments", item_id=comment.id),
            url_for("moderation.like", slug=course.slug, kind="comments", item_id=comment.id),
            url_for("posts.reply", slug=course.slug, comment_id=comment.id),
            url_for("posts.moderate_comment", slug=course.slug, comment_id=comment.id),
        }
    for page_url, page in ((url, shown), (refused_url, refused.get_data(as_text=True))):
        start = page.index(f'id="comment-{comment.id}"')
        item = page[start : page.index("</li>", start)]
        links = {urljoin(page_url, link) for link in re.findall(r'(?:href|formaction)="([^"#]+)"', item)}
        assert expected <= links, (page_url, links)


def test_reply_page_offers_the_form_only_while_comments_are_open(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course))
    comment = factories.comment(post, factories.member(course), body="Answer me")
    student = make_visitor(factories.member(course))
    reply_url = f"/c/{course.slug}/comments/{comment.id}/reply"
    page = student.get(reply_url).get_data(as_text=True)
    assert "Answer me" in page and 'id="reply-form"' in page
    post.comments_locked = True
    db.session.commit()
    page = student.get(reply_url).get_data(as_text=True)
    assert "Comments on this post are closed." in page and 'id="reply-form"' not in page
    comment.visibility = "hidden"
    db.session.commit()
    assert student.get(reply_url).status_code == 404


def test_moderation_page_of_a_comment_is_for_moderators(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course))
    comment = factories.comment(post, factories.member(course), body="Off topic")
    comment_id = comment.id
    moderate_url = f"/c/{course.slug}/comments/{comment.id}/moderate"
    assert make_visitor(factories.member(course)).get(moderate_url).status_code == 403
    instructor = make_visitor(factories.instructor_of(course))
    page = instructor.get(moderate_url).get_data(as_text=True)
    assert "Off topic" in page and f"/comments/{comment.id}/hide" in page
    [remove] = [f for f in forms(page) if f["attrs"]["action"].endswith(f"/comments/{comment.id}/remove")]
    assert send(instructor, remove).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(Comment).where(Comment.id == comment_id)) is None
