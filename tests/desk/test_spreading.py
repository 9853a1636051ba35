"""Reply spreading: a student about to comment on classmates' work is pointed at the responses with the fewest
comments, so a class that follows the suggestions leaves no response without a comment."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from board.desk import participation
from board.extensions import db
from board.models import Comment, Post, PostKind, Role, Visibility, utcnow
from tests import factories

CLASS_SIZE = 12
REPLIES_EACH = 2
_SUGGESTED = re.compile(r'<section class="suggestions".*?</section>', re.DOTALL)
_LINK = re.compile(r'<a href="[^"]*/posts/(\d+)#comment-form">')


def _class(title: str):
    course = factories.course(title=title)
    students = [factories.member(course, Role.STUDENT, f"Student {n:02}") for n in range(CLASS_SIZE)]
    reading = factories.reading(course, required_replies=REPLIES_EACH)
    start = utcnow() - timedelta(days=1)
    responses = [
        factories.response(course, s, reading, title=f"Response {n:02}", published_at=start + timedelta(minutes=n))
        for n, s in enumerate(students)
    ]
    return course, students, reading, responses


def _suggested(visitor, course, reading) -> list[int]:
    page = visitor.get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    section = _SUGGESTED.search(page)
    return [int(post_id) for post_id in _LINK.findall(section.group(0))] if section else []


def _comment(visitor, course, post_id: int, text: str) -> None:
    page = visitor.get(f"/c/{course.slug}/posts/{post_id}").get_data(as_text=True)
    key = html.unescape(re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1))
    response = visitor.post(f"/c/{course.slug}/posts/{post_id}/comments", {"body": text, "submission_key": key})
    assert response.status_code == 302, response.status_code


def _uncommented(responses) -> int:
    db.session.expire_all()
    return sum(1 for r in responses if db.session.get(Post, r.id).comment_count == 0)


def test_following_suggestions_leaves_no_response_without_a_comment(make_visitor):
    # An unguided crowd: each student comments on the first responses posted that are not their own.
    course, students, reading, responses = _class("Unguided")
    for student in students:
        firsts = [r for r in responses if r.author_id != student.id][:REPLIES_EACH]
        visitor = make_visitor(student)
        for response in firsts:
            _comment(visitor, course, response.id, "Me too")
    unguided = _uncommented(responses)

    # The same class following Board's suggestions, through the reading page.
    course, students, reading, responses = _class("Guided")
    for student in students:
        visitor = make_visitor(student)
        for _ in range(REPLIES_EACH):
            suggested = _suggested(visitor, course, reading)
            assert suggested, "there is always someone to comment on"
            _comment(visitor, course, suggested[0], "Interesting")
    guided = _uncommented(responses)

    assert unguided >= CLASS_SIZE - REPLIES_EACH - 1, unguided
    assert guided == 0
    counts = [db.session.get(Post, r.id).comment_count for r in responses]
    # Nearly even: the last students may find only their own response among the least commented.
    assert max(counts) - min(counts) <= 2, f"comments spread evenly: {counts}"


def test_suggestions_skip_own_and_already_commented_and_break_ties_per_student_stably(make_visitor):
    course, students, reading, responses = _class("Ties")
    first, second = students[0], students[1]
    factories.comment(responses[5], first, "Already said something")
    ctx_first, ctx_second = factories.context(course, first), factories.context(course, second)
    suggested = [s.post.id for s in participation.suggest_responses(ctx_first, reading, limit=CLASS_SIZE)]
    assert responses[0].id not in suggested, "not their own"
    assert responses[5].id not in suggested, "not one they already commented on"
    assert len(suggested) == CLASS_SIZE - 2
    again = [s.post.id for s in participation.suggest_responses(ctx_first, reading, limit=CLASS_SIZE)]
    assert again == suggested, "stable for a student"
    theirs = [s.post.id for s in participation.suggest_responses(ctx_second, reading, limit=CLASS_SIZE)]
    tied = {r.id for r in responses} - {responses[0].id, responses[1].id, responses[5].id}  # no comments yet
    assert [p for p in suggested if p in tied] != [p for p in theirs if p in tied], "ties broken per student"
    # Fewest comments first: the response with a comment (by the first student) comes last for the second.
    assert theirs[-1] == responses[5].id


def test_suggestions_obey_visibility_and_the_post_before_you_see_gate(make_visitor):
    course = factories.course()
    me, a, b, c = (factories.member(course, Role.STUDENT) for _ in range(4))
    reading = factories.reading(course, responses_hidden_until_posted=True)
    factories.response(course, a, reading, title="Held one", visibility=Visibility.HELD)
    factories.response(course, b, reading, title="Hidden one", visibility=Visibility.HIDDEN)
    visible = factories.response(course, c, reading, title="Visible one", anonymous=True)
    visitor = make_visitor(me)
    assert _suggested(visitor, course, reading) == [], "nothing before their own response unlocks the reading"
    factories.response(course, me, reading, title="Mine")
    page = visitor.get(f"/c/{course.slug}/posts/{reading.id}").get_data(as_text=True)
    assert _suggested(visitor, course, reading) == [visible.id]
    section = _SUGGESTED.search(page).group(0)
    assert "Anonymous classmate" in section and c.display_name not in section


def test_staff_get_no_suggestions(make_visitor):
    course, _students, reading, responses = _class("Staff")
    visitor = make_visitor(factories.instructor_of(course))
    assert _suggested(visitor, course, reading) == []
    assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0
    assert all(r.kind == PostKind.RESPONSE for r in responses)
