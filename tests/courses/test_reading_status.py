"""Where a student stands with each reading: the course home shows it, the reading page links their response, the
post page jumps to the comment box, and excerpts of comments are text, not Markdown."""

from __future__ import annotations

import re
from datetime import timedelta

from board.extensions import db
from board.models import PostKind, PostStatus, utcnow
from tests import factories
from tests.test_query_counts import _classmates, _post, _queries, _same_count


def _statuses(page: str) -> dict[str, str]:
    """Each reading's title on the course home, and the status shown under it ('' for none)."""
    found = {}
    for item in re.findall(r'<li class="reading-item[^"]*">(.*?)</li>', page, re.DOTALL):
        title = re.search(r'class="reading-title"[^>]*>([^<]*)<', item).group(1)
        status = re.search(r'<p class="reading-status">\s*<(?:a|span) class="tag[^"]*"[^>]*>([^<]*)<', item)
        found[title] = status.group(1) if status else ""
    return found


def test_course_home_shows_each_readings_status_for_the_student(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Stu Student")
    now = utcnow()
    on_time = factories.reading(course, title="On time", due_at=now + timedelta(days=1))
    late = factories.reading(course, title="Late", due_at=now - timedelta(days=2))
    factories.reading(course, title="Not yet, due later", due_at=now + timedelta(days=3))
    factories.reading(course, title="Not yet, past due", due_at=now - timedelta(days=1))
    factories.reading(course, title="No due date")
    drafted = factories.reading(course, title="Drafted", due_at=now + timedelta(days=1))
    deleted = factories.reading(course, title="Deleted response", due_at=now + timedelta(days=1))
    factories.response(course, student, on_time)
    factories.response(course, student, late, published_at=now - timedelta(days=1))
    factories.response(course, student, drafted, published=False)
    factories.response(course, student, deleted, deleted_at=now)
    factories.response(course, factories.member(course), late)  # a classmate's response changes nothing for Stu

    page = make_visitor(student).get(f"/c/{course.slug}/").get_data(as_text=True)
    assert _statuses(page) == {
        "On time": "Responded",
        "Late": "Responded late",
        "Not yet, due later": "Not yet responded",
        "Not yet, past due": "Not yet responded (past due)",
        "No due date": "Not yet responded",
        "Drafted": "Draft saved, not yet published",
        "Deleted response": "Not yet responded",
    }
    assert 'class="tag tag-late"' in page and "due <time" in page
    # Staff write no graded responses: no statuses for them.
    staff_page = make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/").get_data(as_text=True)
    assert set(_statuses(staff_page).values()) == {""}


def test_status_links_to_the_students_own_response(make_visitor):
    course = factories.course()
    student = factories.member(course)
    reading = factories.reading(course, title="Reading")
    first = factories.response(course, student, reading, title="First", published_at=utcnow() - timedelta(hours=2))
    factories.response(course, student, reading, title="Second")
    page = make_visitor(student).get(f"/c/{course.slug}/").get_data(as_text=True)
    assert f'href="/c/{course.slug}/posts/{first.id}">Responded</a>' in page


def test_reading_page_says_your_response_to_whoever_wrote_one(make_visitor):
    course = factories.course()
    writer, drafter, other = (factories.member(course) for _ in range(3))
    reading = factories.reading(course, title="Reading")
    mine = factories.response(course, writer, reading)
    draft = factories.response(course, drafter, reading, published=False)
    url = f"/c/{course.slug}/posts/{reading.id}"
    respond = f'href="/c/{course.slug}/readings/{reading.id}/respond">Write a response</a>'

    page = make_visitor(writer).get(url).get_data(as_text=True)
    assert f'href="/c/{course.slug}/posts/{mine.id}">Your response</a>' in page and respond not in page
    page = make_visitor(drafter).get(url).get_data(as_text=True)
    assert f'href="/c/{course.slug}/posts/{draft.id}">Your draft response</a>' in page and respond not in page
    page = make_visitor(other).get(url).get_data(as_text=True)
    assert respond in page and "Your response" not in page


def test_write_a_comment_link_is_at_the_top_and_leads_to_the_comment_box(make_visitor):
    course = factories.course()
    student = factories.member(course)
    post = factories.response(course, factories.member(course), factories.reading(course))
    for n in range(5):
        factories.comment(post, factories.member(course), f"Comment {n}")
    visitor = make_visitor(student)
    page = visitor.get(f"/c/{course.slug}/posts/{post.id}").get_data(as_text=True)
    link = page.index('<a href="#comment-form" class="write-comment">Write a comment</a>')
    assert link < page.index('class="prose"') < page.index("Comment 0") < page.index('id="comment-form"')
    assert page.count('id="comment-form"') == 1

    post.comments_locked = True
    db.session.commit()
    page = visitor.get(f"/c/{course.slug}/posts/{post.id}").get_data(as_text=True)
    assert "Write a comment" not in page


def test_comment_excerpts_are_text_not_markdown(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Stu Student")
    post = factories.response(course, student, factories.reading(course), title="On amnesty")
    factories.comment(post, student, "The *amnesty* of 1953 & [its limits](https://example.org) <b>x</b>")
    visitor = make_visitor(student)
    expected = "The amnesty of 1953 &amp; its limits x"
    for url in (f"/c/{course.slug}/people/{student.id}", f"/c/{course.slug}/"):
        page = visitor.get(url).get_data(as_text=True)
        assert f'<span class="snippet">{expected}</span>' in page, url
        assert "*amnesty*" not in page, url


def _course_with_readings(size: int):
    """A course of `size` readings (half past due), each with a classmate's response and the student's own response
    (a draft for every third); the student."""
    course = factories.course(title=f"Course of {size}")
    student = factories.member(course)
    classmate = _classmates([course], 1)[0]
    instructor = factories.instructor_of(course)
    readings = [
        _post(course, instructor, PostKind.READING, minutes=n, due_at=utcnow() + timedelta(days=n - size // 2))
        for n in range(size)
    ]
    db.session.add_all(readings)
    db.session.flush()
    for n, reading in enumerate(readings):
        mine = PostStatus.DRAFT if n % 3 == 0 else PostStatus.PUBLISHED
        db.session.add(_post(course, student, PostKind.RESPONSE, reading=reading, status=mine))
        db.session.add(_post(course, classmate, PostKind.RESPONSE, reading=reading))
    db.session.commit()
    return course, student


def test_course_home_with_statuses_costs_the_same_for_3_and_40_readings(make_visitor):
    logs = []
    for size in (3, 40):
        course, student = _course_with_readings(size)
        log, page = _queries(make_visitor(student), f"/c/{course.slug}/", expect=f"Course of {size}")
        assert page.count('class="reading-status"') == size
        logs.append(log)
    _same_count(*logs, "course home with statuses, 3 vs 40 readings")
