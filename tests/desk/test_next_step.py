"""A reading leads with the student's next step (write, lengthen to unlock, reply to classmates, all done), the page
after publishing says it too, and a response too short for the reading's gate is accepted but says how to unlock."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from board.extensions import db
from board.models import Post, PostKind, Role, utcnow
from tests import factories

_BOX = re.compile(r'<section class="next-step[^"]*".*?</section>\s*(?=<p class="due"|<div class="prose")', re.DOTALL)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _box(page: str) -> str | None:
    match = _BOX.search(page)
    return match.group(0) if match else None


def _gated_class(min_words: int = 100, required_replies: int = 2):
    course = factories.course()
    student = factories.member(course, Role.STUDENT, "Sasha")
    classmates = [factories.member(course, Role.STUDENT, f"Classmate {n}") for n in range(3)]
    now = utcnow()
    reading = factories.reading(
        course,
        title="Gated reading",
        due_at=now + timedelta(days=3),
        reply_due_at=now + timedelta(days=5),
        required_replies=required_replies,
        responses_hidden_until_posted=True,
        unlock_min_words=min_words,
    )
    theirs = [
        factories.response(course, c, reading, title=f"Theirs {n}", body="word " * 120)
        for n, c in enumerate(classmates)
    ]
    return course, student, reading, theirs


def _reading_page(visitor, course, reading) -> str:
    response = visitor.get(f"/c/{course.slug}/posts/{reading.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_not_yet_responded_the_box_says_write_with_the_due_date_before_the_body(make_visitor):
    course, student, reading, _ = _gated_class()
    page = _reading_page(make_visitor(student), course, reading)
    box = _box(page)
    assert box is not None, "the box comes before the reading's body"
    assert page.index('id="next-step"') < page.index('<div class="prose">')
    text = _text(box)
    assert text.startswith("Your next step Write your response (due ")
    assert "at least 100 words" in text
    assert f'<time datetime="{reading.due_at.isoformat()}"' in box
    assert f'href="/c/{course.slug}/readings/{reading.id}/respond">Write your response</a>' in box


def test_short_response_says_its_count_and_how_to_unlock_without_a_tick(make_visitor):
    course, student, reading, _ = _gated_class()
    mine = factories.response(
        course, student, reading, body="Twelve words is all I managed to write about this reading today."
    )
    assert mine.word_count == 12
    page = _reading_page(make_visitor(student), course, reading)
    text = _text(_box(page))
    assert (
        "Your response has 12 words; edit it to 100 to see your classmates’ responses (88 more words to unlock)."
        in text
    )
    assert f'href="/c/{course.slug}/posts/{mine.id}/edit">Edit your response</a>' in _box(page)
    # The contradiction is gone: no "Response ✓" next to "Post your response to see…".
    assert "Response posted, 12 of 100 words to unlock" in text
    assert "✓" not in _text(page.split('id="responses-heading"')[0])
    assert "Post your response to see" not in page
    assert "Your response has 12 words; edit it to 100 to see your classmates’ responses." in _text(page)
    assert "Theirs 0" not in page, "still locked"
    home = _text(make_visitor(student).get(f"/c/{course.slug}/").get_data(as_text=True))
    assert "Response posted, 12 of 100 words to unlock · Replies 0 of 2" in home and "Response ✓" not in home


def test_responded_with_replies_to_write_the_box_names_them_and_suggests_classmates(make_visitor):
    course, student, reading, theirs = _gated_class()
    factories.response(course, student, reading, title="Mine", body="word " * 100)
    factories.comment(theirs[0], student, "A first reply")
    page = _reading_page(make_visitor(student), course, reading)
    box = _box(page)
    text = _text(box)
    assert text.startswith("Your next step Now reply to 1 classmate by ")
    assert f'<time datetime="{reading.reply_due_at.isoformat()}"' in box
    # Suggestions: classmates' responses not yet commented on by the student, never their own.
    suggested = set(re.findall(r"/posts/(\d+)#comment-form", box))
    assert suggested == {str(theirs[1].id), str(theirs[2].id)}
    assert "Replies 1 of 2" in text
    assert page.count('class="suggestions"') == 1, "suggested once, in the box"


def test_all_done(make_visitor):
    course, student, reading, theirs = _gated_class()
    factories.response(course, student, reading, title="Mine", body="word " * 100)
    for response in theirs[:2]:
        factories.comment(response, student, "Reply")
    text = _text(_box(_reading_page(make_visitor(student), course, reading)))
    assert text.startswith("All done Your response is posted and your 2 replies written.")
    assert "Replies 2 of 2 ✓" in text


def test_staff_see_no_student_box(make_visitor):
    course, _student, reading, _ = _gated_class()
    for person in (factories.instructor_of(course), factories.member(course, Role.ASSISTANT)):
        page = _reading_page(make_visitor(person), course, reading)
        assert 'id="next-step"' not in page
        assert "Responses view: who has responded" in page


def _key(visitor, url: str) -> str:
    page = visitor.get(url).get_data(as_text=True)
    return html.unescape(re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1))


def test_publishing_a_short_response_is_accepted_and_the_message_says_the_count(make_visitor):
    course, student, reading, _ = _gated_class()
    visitor = make_visitor(student)
    url = f"/c/{course.slug}/readings/{reading.id}/respond"
    composer = visitor.get(url).get_data(as_text=True)
    assert "At least 100 words to see classmates’ responses." in html.unescape(composer)
    assert re.search(r'<p class="word-count"[^>]*aria-live="polite"[^>]*>0 / 100 words</p>', composer)
    body = "Only a dozen words here, not the hundred the reading asks for."
    response = visitor.post(
        url, {"title": "Short", "body": body, "publish": "Publish", "submission_key": _key(visitor, url)}
    )
    assert response.status_code == 302
    mine = db.session.scalar(db.select(Post).where(Post.author_id == student.id, Post.kind == PostKind.RESPONSE))
    assert mine.is_published and mine.word_count == 12
    landing = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Published. Your response has 12 words; the reading asks for 100 to see classmates’ responses. Edit it to "
        "unlock." in html.unescape(landing)
    )
    assert "Your response has 12 words; edit it to 100" in _text(_box(landing)), "the landing page leads with it"
    # The edit form counts what is there (without JavaScript too).
    edit = visitor.get(f"/c/{course.slug}/posts/{mine.id}/edit").get_data(as_text=True)
    assert re.search(r'<p class="word-count"[^>]*>12 / 100 words</p>', edit)


def test_after_publishing_the_landing_page_says_reply_to_classmates_with_suggestions(make_visitor):
    course, student, reading, theirs = _gated_class()
    visitor = make_visitor(student)
    url = f"/c/{course.slug}/readings/{reading.id}/respond"
    response = visitor.post(
        url, {"title": "Long", "body": "word " * 100, "publish": "Publish", "submission_key": _key(visitor, url)}
    )
    landing = visitor.get(response.headers["Location"]).get_data(as_text=True)
    box = _box(landing)
    assert _text(box).startswith("Your next step Now reply to 2 classmates by ")
    assert set(re.findall(r"/posts/(\d+)#comment-form", box)) == {str(r.id) for r in theirs}
    assert landing.index('id="next-step"') < landing.index('<div class="prose">')
    # A classmate reading the student's response sees no box.
    other = make_visitor(db.session.get(type(student), theirs[0].author_id))
    assert 'id="next-step"' not in other.get(response.headers["Location"]).get_data(as_text=True)


def test_own_response_page_with_its_next_step_costs_the_same_for_few_and_many_classmates(make_visitor):
    from tests.sql import count_queries
    from tests.test_query_counts import MAX_QUERIES

    logs = []
    for classmates in (2, 25):
        course = factories.course()
        student = factories.member(course)
        reading = factories.reading(course, required_replies=2, responses_hidden_until_posted=True, unlock_min_words=5)
        for n in range(classmates):
            theirs = factories.response(course, factories.member(course), reading, body="word " * 10)
            if n == 0:  # one reply of the two asked: the page suggests classmates for the second
                factories.comment(theirs, student, "Reply")
        mine = factories.response(course, student, reading, body="word " * 10)
        visitor = make_visitor(student)
        url = f"/c/{course.slug}/posts/{mine.id}"
        visitor.get(url)
        with count_queries() as log:
            page = visitor.get(url).get_data(as_text=True)
        assert "Now reply to 1 classmate" in page
        logs.append(log)
    assert len(logs[0]) == len(logs[1]) <= MAX_QUERIES, f"{len(logs[0])} vs {len(logs[1])}\n{logs[1]}"


def test_own_response_page_in_the_short_state_runs_no_suggestion_query(make_visitor):
    """Suggestions show only in the REPLY state: a response too short to unlock costs no query for them, so its page
    costs as much with replies required as without."""
    from tests.sql import count_queries

    counts = {}
    for required in (2, 0):
        course = factories.course()
        student = factories.member(course)
        reading = factories.reading(
            course, required_replies=required, responses_hidden_until_posted=True, unlock_min_words=100
        )
        factories.response(course, factories.member(course), reading, body="word " * 120)
        mine = factories.response(course, student, reading, body="word " * 10)
        visitor = make_visitor(student)
        url = f"/c/{course.slug}/posts/{mine.id}"
        visitor.get(url)
        with count_queries() as log:
            page = visitor.get(url).get_data(as_text=True)
        assert "edit it to 100" in _text(page)
        counts[required] = len(log)
    assert counts[2] == counts[0], counts
