"""Unread: comments new since the reader last saw a thread are marked, counted on the course home and the dashboard,
recorded only by POST (the page's beacon or its button) and cleared course-wide by "Mark all read"."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import MAX_ID, Comment, Membership, PostStatus, Role, Visibility, utcnow
from board.notifications.read_models import PostRead
from tests import factories
from tests.posts.test_composer import forms, send
from tests.sql import count_queries

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _url(post) -> str:
    return f"/c/{post.course.slug}/posts/{post.id}"


def _page(visitor, url: str) -> str:
    response = visitor.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _new_ids(page: str) -> list[int]:
    """The comments the page marks new: those its own <style> shows the "New" label of."""
    style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", page, re.DOTALL)
    if style is None:
        return []
    return [int(n) for n in re.findall(r"#comment-(\d+) \.new-mark", style.group(1))]


def _read_form(page: str) -> dict:
    [found] = [f for f in forms(page) if f["attrs"].get("action", "").endswith("/read")]
    return found


def _rows() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(select(PostRead.user_id, PostRead.post_id, PostRead.last_comment_id)).all()


def _discussion() -> SimpleNamespace:
    """A course, its instructor, two students, a reading and the writer's response to it."""
    course = factories.course()
    instructor = factories.instructor_of(course)
    writer = factories.member(course, name="Writer")
    reader = factories.member(course, name="Reader")
    reading = factories.reading(course, title="The Gulag Archipelago")
    response = factories.response(course, writer, reading, title="On labour")
    return SimpleNamespace(
        course=course, instructor=instructor, writer=writer, reader=reader, reading=reading, response=response
    )


# The thread: marks, jump link, own comments


def test_comments_since_the_last_visit_are_marked_new_with_a_jump_link(make_visitor):
    d = _discussion()
    first = factories.comment(d.response, d.instructor, "Good start.")
    second = factories.comment(d.response, d.writer, "Thanks!", parent=first)
    page = _page(make_visitor(d.reader), _url(d.response))

    assert _new_ids(page) == [first.id, second.id]
    assert "2 new comments since you last read this." in page
    assert f'<a href="#comment-{first.id}">Jump to first new</a>' in page
    # The label is text in the comment (hidden by default, shown by the page's rule), not a picture or a colour.
    assert page.count('<span class="new-mark">New</span>') == 2
    assert f"#comment-{first.id}>article" in page, "the rule is CSS, not HTML-escaped text"
    assert "style-src 'self' 'nonce-" in make_visitor(d.reader).get(_url(d.response)).headers["Content-Security-Policy"]


def test_own_comments_are_never_new(make_visitor):
    d = _discussion()
    mine = factories.comment(d.response, d.reader, "My thought.")
    theirs = factories.comment(d.response, d.instructor, "A reply.", parent=mine)
    visitor = make_visitor(d.reader)
    assert _new_ids(_page(visitor, _url(d.response))) == [theirs.id]
    assert "1 new comment<" in _page(visitor, f"/c/{d.course.slug}/")


def test_a_page_with_nothing_new_offers_no_button_and_no_rule(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.writer, "Only mine.")
    page = _page(make_visitor(d.writer), _url(d.response))  # the author's own post, their own comment
    assert _new_ids(page) == []
    assert "Mark as read" not in page and "<style" not in page and "unread.js" not in page


# Writing read state: only by POST


def test_no_get_writes_read_state(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    with count_queries() as statements:
        for url in (_url(d.response), _url(d.reading), f"/c/{d.course.slug}/", "/courses"):
            _page(visitor, url)
    assert not [s for s in statements if _WRITE.match(s)]
    assert _rows() == []
    assert _new_ids(_page(visitor, _url(d.response))) != [], "looking again changes nothing"


def test_mark_as_read_button_works_without_javascript(make_visitor):
    d = _discussion()
    comment = factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    page = _page(visitor, _url(d.response))
    form = _read_form(page)
    assert ["shown", str(comment.id)] in form["fields"]

    answer = send(visitor, form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(_url(d.response))
    assert _rows() == [(d.reader.id, d.response.id, comment.id)]
    after = _page(visitor, _url(d.response))
    assert _new_ids(after) == [] and "Marked as read." in after and "Jump to first new" not in after


def test_beacon_records_what_the_page_showed_and_answers_204(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    form = _read_form(_page(visitor, _url(d.response)))
    later = factories.comment(d.response, d.writer, "Written while the page was open.")

    answer = send(visitor, form, beacon="1")
    assert answer.status_code == 204
    assert _new_ids(_page(visitor, _url(d.response))) == [later.id], "a comment the page did not show stays new"


def test_read_state_refused_without_a_csrf_token(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    fields = dict(_read_form(_page(visitor, _url(d.response)))["fields"])
    del fields["csrf_token"]
    assert visitor.client.post(f"{_url(d.response)}/read", data={**fields, "beacon": "1"}).status_code == 400
    assert visitor.client.post(f"/c/{d.course.slug}/read", data={}).status_code == 400
    assert _rows() == []
    assert db.session.scalar(select(func.max(Membership.read_comment_id))) == 0


def test_a_made_up_comment_id_cannot_mark_future_comments_read(make_visitor):
    d = _discussion()
    comment = factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    form = _read_form(_page(visitor, _url(d.response)))
    assert send(visitor, form, shown=str(MAX_ID), beacon="1").status_code == 204
    assert _rows() == [(d.reader.id, d.response.id, comment.id)]
    future = factories.comment(d.response, d.writer, "Later.")
    assert _new_ids(_page(visitor, _url(d.response))) == [future.id]


def test_an_old_tab_reporting_late_does_not_make_read_comments_new_again(make_visitor):
    d = _discussion()
    first = factories.comment(d.response, d.instructor, "One.")
    visitor = make_visitor(d.reader)
    old_tab = _read_form(_page(visitor, _url(d.response)))
    second = factories.comment(d.response, d.instructor, "Two.")
    send(visitor, _read_form(_page(visitor, _url(d.response))), beacon="1")
    send(visitor, old_tab, beacon="1")
    assert _rows() == [(d.reader.id, d.response.id, second.id)]
    assert first.id < second.id


@pytest.mark.parametrize("shown", ["abc", "-1", str(MAX_ID + 1), "1e3"])
def test_a_bad_shown_value_is_refused_with_a_message(make_visitor, shown):
    d = _discussion()
    factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    form = _read_form(_page(visitor, _url(d.response)))
    assert send(visitor, form, shown=shown, beacon="1").status_code == 400
    answer = send(visitor, form, shown=shown)
    assert answer.status_code == 302
    assert "could not be marked as read" in _page(visitor, answer.headers["Location"])
    assert _rows() == []


@pytest.mark.parametrize("shown", ["", " "])
def test_an_empty_shown_value_marks_everything_readable_now(make_visitor, shown):
    d = _discussion()
    comment = factories.comment(d.response, d.instructor, "Good start.")
    visitor = make_visitor(d.reader)
    assert send(visitor, _read_form(_page(visitor, _url(d.response))), shown=shown, beacon="1").status_code == 204
    assert _rows() == [(d.reader.id, d.response.id, comment.id)]


def test_outsiders_and_hidden_posts_cannot_be_marked_read(make_visitor):
    d = _discussion()
    held = factories.response(d.course, d.writer, d.reading, title="Held", visibility=Visibility.HELD)
    outsider = make_visitor(factories.user("Outsider"))
    assert outsider.post(f"{_url(d.response)}/read").status_code == 404
    assert outsider.post(f"/c/{d.course.slug}/read").status_code == 404
    assert make_visitor(d.reader).post(f"{_url(held)}/read").status_code == 404
    assert _rows() == []


# Counts on the d.course home and the dashboard


def _home(visitor, course) -> str:
    return _page(visitor, f"/c/{course.slug}/")


def _dashboard_news(visitor, course) -> str:
    page = _page(visitor, "/courses")
    card = re.search(rf'href="/c/{course.slug}/".*?<p class="course-news">(.*?)</p>', page, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", "", card.group(1)).split())


def test_course_home_counts_new_comments_per_reading_and_response(make_visitor):
    d = _discussion()
    factories.comment(d.reading, d.writer, "On the d.reading.")
    for n in range(3):
        factories.comment(d.response, d.instructor, f"Remark {n}")
    page = _home(make_visitor(d.reader), d.course)
    assert "1 new comment<" in page and "3 new comments<" in page
    assert page.count('<span class="tag tag-new">New</span>') >= 2  # the d.reading and the d.response are new to them


def test_held_hidden_and_deleted_comments_count_only_for_those_who_may_read_them(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.writer, "Visible.")
    factories.comment(d.response, d.writer, "Held.", visibility=Visibility.HELD)
    factories.comment(d.response, d.writer, "Hidden.", visibility=Visibility.HIDDEN)
    factories.comment(d.response, d.writer, "Deleted.", deleted_at=utcnow())

    student = make_visitor(d.reader)
    assert _dashboard_news(student, d.course) == "2 new posts · 1 new comment"
    assert len(_new_ids(_page(student, _url(d.response)))) == 1
    staff = make_visitor(d.instructor)
    assert _dashboard_news(staff, d.course) == "1 new post · 3 new comments"
    assert len(_new_ids(_page(staff, _url(d.response)))) == 3


def test_a_gated_readings_responses_count_only_once_the_student_has_posted(make_visitor):
    course = factories.course()
    instructor = factories.instructor_of(course)
    writer, reader = factories.member(course), factories.member(course)
    gated = factories.reading(course, responses_hidden_until_posted=True)
    response = factories.response(course, writer, gated)
    factories.comment(response, instructor, "Behind the gate.")
    factories.comment(gated, instructor, "On the reading itself.")
    student = make_visitor(reader)
    assert _dashboard_news(student, course) == "1 new post · 1 new comment", "only the reading and its comment"

    factories.response(course, reader, gated, body="My own response, long enough to unlock.")
    assert _dashboard_news(student, course) == "2 new posts · 2 new comments"


def test_drafts_and_held_posts_of_others_are_not_counted(make_visitor):
    d = _discussion()
    draft = factories.response(d.course, d.writer, d.reading, title="Draft", published=False)
    held = factories.response(d.course, d.writer, d.reading, title="Held", visibility=Visibility.HELD)
    factories.comment(held, d.instructor, "On a held post.")
    assert draft.id and held.id
    assert _dashboard_news(make_visitor(d.reader), d.course) == "2 new posts"


def test_own_posts_and_comments_are_not_counted(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.writer, "My own comment on my own post.")
    assert _dashboard_news(make_visitor(d.writer), d.course) == "1 new post", "only the instructor's reading"


def test_mark_all_read_brings_every_count_to_zero_in_one_write(make_visitor):
    d = _discussion()
    other = factories.course()
    db.session.add(Membership(course_id=other.id, user_id=d.reader.id, role=Role.STUDENT))
    db.session.commit()
    factories.reading(other, title="Elsewhere")
    for n in range(3):
        factories.comment(d.response, d.instructor, f"Remark {n}")
        factories.comment(d.reading, d.writer, f"Note {n}")
    visitor = make_visitor(d.reader)
    assert _dashboard_news(visitor, d.course) == "2 new posts · 6 new comments"

    form = next(f for f in forms(_home(visitor, d.course)) if f["attrs"]["action"] == f"/c/{d.course.slug}/read")
    with count_queries() as statements:
        answer = send(visitor, form)
    assert answer.status_code == 302
    writes = [s for s in statements if _WRITE.match(s)]
    assert len(writes) == 1 and writes[0].startswith("UPDATE memberships"), writes

    home = _home(visitor, d.course)
    assert "new comment" not in home and "tag-new" not in home
    assert _dashboard_news(visitor, d.course) == "Nothing new"
    assert _dashboard_news(visitor, other) == "1 new post", "other courses keep their news"
    assert _new_ids(_page(visitor, _url(d.response))) == []
    assert "Mark as read" not in _page(visitor, _url(d.reading))

    fresh = factories.comment(d.response, d.instructor, "After marking all read.")
    assert _dashboard_news(visitor, d.course) == "1 new comment"
    assert _new_ids(_page(visitor, _url(d.response))) == [fresh.id]


def test_a_post_published_after_mark_all_read_is_new(make_visitor):
    d = _discussion()
    draft = factories.response(d.course, d.writer, d.reading, title="Finished later", published=False)
    visitor = make_visitor(d.reader)
    send(visitor, next(f for f in forms(_home(visitor, d.course)) if f["attrs"]["action"].endswith("/read")))
    assert _dashboard_news(visitor, d.course) == "Nothing new"
    draft.status, draft.published_at = PostStatus.PUBLISHED, utcnow()
    db.session.commit()
    assert _dashboard_news(visitor, d.course) == "1 new post"
    assert "This post is new to you." in _page(visitor, _url(draft))


def test_reading_page_lists_new_comments_per_response(make_visitor):
    d = _discussion()
    factories.comment(d.response, d.reader, "One.")
    factories.comment(d.response, d.writer, "Two.")
    page = _page(make_visitor(d.instructor), _url(d.reading))
    assert "2 new comments<" in page


def test_dashboard_and_list_counts_stop_at_99_plus(make_visitor):
    d = _discussion()
    db.session.add_all(
        Comment(
            course_id=d.course.id,
            post_id=d.response.id,
            author_id=d.writer.id,
            body_md=f"Remark {n}",
            body_html=f"<p>Remark {n}</p>",
        )
        for n in range(120)
    )
    db.session.commit()
    visitor = make_visitor(d.reader)
    assert _dashboard_news(visitor, d.course) == "2 new posts · 99+ new comments"
    # The course home's lists stop at 99+ too (#9: counting every new comment of a long thread cost what the thread
    # costs, 70 ms a page at a million comments).
    assert "99+ new comments<" in _home(visitor, d.course)
