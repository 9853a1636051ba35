"""Readings and responses through the app: who may write, draft, publish, edit and delete them, and what others see."""

import html
import re
from datetime import UTC, datetime

import pytest

from board.extensions import db
from board.models import Post, PostKind, PostRevision, PostStatus, Role
from tests import factories


def _reading_form(**fields):
    form = {
        "title": "One Day in the Life of Ivan Denisovich",
        "body": "Read chapters *one* to three.",
        "source": "Solzhenitsyn, 1962",
        "prompt": "What does **work** mean to Shukhov?",
        "week": "Week 3",
        "due_at": "2027-03-01T09:00",
        "timezone": "UTC",
        "pinned": "y",
        "unlock_min_words": "0",
        "publish": "Publish",
    }
    form.update(fields)
    return {name: value for name, value in form.items() if value is not None}


def _response_form(**fields):
    form = {"title": "Work as dignity", "body": "Shukhov lays bricks with care.", "publish": "Publish"}
    form.update(fields)
    return {name: value for name, value in form.items() if value is not None}


def _posts(**filters):
    db.session.expire_all()
    return db.session.scalars(db.select(Post).filter_by(**filters).order_by(Post.id)).all()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error_at(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page)
    return html.unescape(match.group(1)) if match else None


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, f"no textarea {name}"
    return re.sub(r"^\r?\n", "", html.unescape(match.group(1)))  # the newline HTML drops after <textarea>


def _input(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    return match.group(0)


def _value(tag: str) -> str:
    match = re.search(r'value="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else ""


# Readings ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ASSISTANT])
def test_staff_publish_a_reading_with_its_details(make_visitor, role):
    course = factories.course()
    author = factories.member(course, role)
    student = factories.member(course)
    response = make_visitor(author).post(f"/c/{course.slug}/readings/new", _reading_form())
    [reading] = _posts()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{course.slug}/posts/{reading.id}")
    assert (reading.kind, reading.status, reading.author_id) == (PostKind.READING, PostStatus.PUBLISHED, author.id)
    assert (reading.week, reading.source, reading.pinned) == ("Week 3", "Solzhenitsyn, 1962", True)
    assert reading.due_at == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert reading.published_at is not None
    page = _text(make_visitor(student).get(f"/c/{course.slug}/posts/{reading.id}"))
    assert "One Day in the Life of Ivan Denisovich" in page
    assert "Reading · Week 3" in page
    assert "Solzhenitsyn, 1962" in page
    assert "<strong>work</strong>" in page and "<em>one</em>" in page
    # In the course's zone (New York by default) for a student who has none of their own.
    due = '<time datetime="2027-03-01T09:00:00+00:00" data-zone="America/New_York">Mar 1, 2027, 4:00 AM EST</time>'
    # To a student the next-step box says it (its step and its progress line), not a line again below the box.
    assert f"Write your response (due {due})" in page and f"Response not yet · due {due}" in page
    assert page.count(due) == 2
    assert "Responses due" not in page
    assert f"Responses due {due}" in _text(make_visitor(author).get(f"/c/{course.slug}/posts/{reading.id}"))
    home = _text(make_visitor(student).get(f"/c/{course.slug}/"))
    assert "One Day in the Life of Ivan Denisovich" in home and "tag-pinned" in home


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ASSISTANT])
def test_staff_save_a_reading_as_a_draft_that_only_they_see(make_visitor, role):
    course = factories.course()
    author = factories.member(course, role)
    colleague = factories.member(course, Role.ASSISTANT if role == Role.INSTRUCTOR else Role.INSTRUCTOR)
    student = factories.member(course)
    make_visitor(author).post(f"/c/{course.slug}/readings/new", _reading_form(publish=None, save_draft="Save draft"))
    [draft] = _posts()
    assert (draft.status, draft.published_at) == (PostStatus.DRAFT, None)
    url = f"/c/{course.slug}/posts/{draft.id}"
    assert "Draft: only you can see it" in _text(make_visitor(author).get(url))
    for other in (colleague, student):
        visitor = make_visitor(other)
        assert visitor.get(url).status_code == 404
        assert "One Day in the Life" not in _text(visitor.get(f"/c/{course.slug}/"))
        assert visitor.get(f"/c/{course.slug}/readings/{draft.id}/respond").status_code == 404


def test_student_cannot_write_readings(make_visitor):
    course = factories.course()
    student = make_visitor(factories.member(course))
    assert student.get(f"/c/{course.slug}/readings/new").status_code == 403
    assert student.post(f"/c/{course.slug}/readings/new", _reading_form()).status_code == 403
    assert _posts() == []


def test_assistant_edits_a_reading_but_a_student_cannot(make_visitor):
    course = factories.course()
    reading = factories.reading(course, title="Gulag Archipelago", body="Volume one.")
    assistant = factories.member(course, Role.ASSISTANT)
    student = make_visitor(factories.member(course))
    url = f"/c/{course.slug}/posts/{reading.id}"
    assert student.get(f"{url}/edit").status_code == 403
    assert student.post(f"{url}/edit", _reading_form(title="Vandalised")).status_code == 403
    assert student.post(f"{url}/delete").status_code == 403
    assert factories.reload(reading).title == "Gulag Archipelago"
    assert factories.reload(reading).deleted_at is None

    response = make_visitor(assistant).post(f"{url}/edit", _reading_form(title="Gulag Archipelago, vol. 1"))
    assert response.status_code == 302
    edited = factories.reload(reading)
    assert (edited.title, edited.week, edited.edited_at is not None) == ("Gulag Archipelago, vol. 1", "Week 3", True)
    [revision] = db.session.scalars(db.select(PostRevision)).all()
    assert (revision.post_id, revision.editor_id, revision.title, revision.body_md) == (
        reading.id,
        assistant.id,
        "Gulag Archipelago",
        "Volume one.",
    )


@pytest.mark.parametrize(
    "typed, zone, stored",
    [
        ("2027-03-01T09:00", "America/New_York", datetime(2027, 3, 1, 14, 0, tzinfo=UTC)),
        ("2027-07-01T09:00", "America/New_York", datetime(2027, 7, 1, 13, 0, tzinfo=UTC)),
        ("2027-03-01T09:00", "Asia/Kolkata", datetime(2027, 3, 1, 3, 30, tzinfo=UTC)),
        # Not a zone: read in the editor's (here the course's, America/New_York).
        ("2027-03-01T09:00", "Not/A_Zone", datetime(2027, 3, 1, 14, 0, tzinfo=UTC)),
    ],
)
def test_due_date_typed_in_a_time_zone_is_stored_in_utc(make_visitor, typed, zone, stored):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(f"/c/{course.slug}/readings/new", _reading_form(due_at=typed, timezone=zone))
    [reading] = _posts()
    assert reading.due_at == stored
    assert reading.due_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("typed, zone", [("9999-12-31T23:59", "Etc/GMT+12"), ("0001-01-01T00:00", "Etc/GMT-14")])
def test_due_date_beyond_the_calendar_in_utc_is_a_field_error_keeping_the_form(make_visitor, typed, zone):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    response = instructor.post(f"/c/{course.slug}/readings/new", _reading_form(due_at=typed, timezone=zone))
    page = _text(response)
    assert response.status_code == 200
    assert "edge of the calendar" in _error_at(page, "due_at")
    assert _textarea(page, "body") == "Read chapters *one* to three."
    assert _posts() == []


def test_due_date_beyond_the_calendar_is_refused_when_editing_too(make_visitor):
    course = factories.course()
    reading = factories.reading(course, title="Gulag Archipelago")
    instructor = make_visitor(factories.instructor_of(course))
    response = instructor.post(
        f"/c/{course.slug}/posts/{reading.id}/edit", _reading_form(due_at="9999-12-31T23:59", timezone="Etc/GMT+12")
    )
    assert response.status_code == 200
    assert "edge of the calendar" in _error_at(_text(response), "due_at")
    assert factories.reload(reading).title == "Gulag Archipelago"


def test_due_date_at_the_edge_of_the_calendar_in_utc_is_kept(make_visitor):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(f"/c/{course.slug}/readings/new", _reading_form(due_at="9999-12-31T23:59", timezone="UTC"))
    [reading] = _posts()
    assert reading.due_at == datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert instructor.get(f"/c/{course.slug}/posts/{reading.id}").status_code == 200
    assert instructor.get(f"/c/{course.slug}/posts/{reading.id}/edit").status_code == 200


def test_editing_a_reading_keeps_its_due_date(make_visitor):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(
        f"/c/{course.slug}/readings/new", _reading_form(due_at="2027-03-01T09:00", timezone="America/New_York")
    )
    [reading] = _posts()
    page = _text(instructor.get(f"/c/{course.slug}/posts/{reading.id}/edit"))
    instructor.post(
        f"/c/{course.slug}/posts/{reading.id}/edit",
        _reading_form(
            title="Retitled", due_at=_value(_input(page, "due_at")), timezone=_value(_input(page, "timezone"))
        ),
    )
    edited = factories.reload(reading)
    assert edited.title == "Retitled"
    assert edited.due_at == datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


def _instructor_in(zone: str | None, course_zone: str = "UTC"):
    course = factories.course()
    course.time_zone = course_zone
    instructor = factories.instructor_of(course)
    instructor.time_zone = zone
    db.session.commit()
    return course, instructor


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-12-09T23:59", datetime(2026, 12, 10, 4, 59, tzinfo=UTC)),  # EST: UTC-5
        ("2027-03-14T23:59", datetime(2027, 3, 15, 3, 59, tzinfo=UTC)),  # the day daylight time begins: UTC-4
    ],
)
def test_due_dates_are_typed_and_shown_in_the_editors_zone(make_visitor, typed, stored):
    course, person = _instructor_in("America/New_York")
    instructor = make_visitor(person)
    page = _text(instructor.get(f"/c/{course.slug}/readings/new"))
    assert _value(_input(page, "timezone")) == "America/New_York" and "Time zone: America/New York." in page
    form = _reading_form(due_at=typed, reply_due_at=typed, timezone=_value(_input(page, "timezone")))
    assert instructor.post(f"/c/{course.slug}/readings/new", form).status_code == 302
    [reading] = _posts()
    assert (reading.due_at, reading.reply_due_at) == (stored, stored)
    page = _text(instructor.get(f"/c/{course.slug}/posts/{reading.id}/edit"))
    assert _value(_input(page, "due_at")) == typed and _value(_input(page, "reply_due_at")) == typed
    assert "Time zone: America/New York." in page and "Time zone: UTC" not in page


def test_due_dates_follow_the_courses_zone_for_an_editor_without_one(make_visitor):
    course, person = _instructor_in(None, course_zone="America/Chicago")
    instructor = make_visitor(person)
    form = _reading_form(due_at="2026-12-09T23:59")
    del form["timezone"]  # a form without the field: read in the editor's zone
    assert instructor.post(f"/c/{course.slug}/readings/new", form).status_code == 302
    [reading] = _posts()
    assert reading.due_at == datetime(2026, 12, 10, 5, 59, tzinfo=UTC)
    page = _text(instructor.get(f"/c/{course.slug}/posts/{reading.id}/edit"))
    assert _value(_input(page, "due_at")) == "2026-12-09T23:59" and "Time zone: America/Chicago." in page


def test_reading_without_a_title_is_refused_at_the_field_keeping_what_was_typed(make_visitor):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    response = instructor.post(
        f"/c/{course.slug}/readings/new", _reading_form(title="  ", body="Chapter one, *carefully*.")
    )
    page = _text(response)
    assert response.status_code == 200
    assert _error_at(page, "title") == "This field is required."
    assert _textarea(page, "body") == "Chapter one, *carefully*."
    assert _value(_input(page, "week")) == "Week 3"
    assert _posts() == []


# Responses -----------------------------------------------------------------------------------------------------


def test_student_publishes_a_response_to_a_reading(make_visitor):
    course = factories.course()
    reading = factories.reading(
        course, title="One Day", prompt="Is work *freedom*?", prompt_html="<p>Is work <em>freedom</em>?</p>"
    )
    author = factories.member(course, name="Sasha")
    classmate = make_visitor(factories.member(course))
    visitor = make_visitor(author)
    form_page = visitor.get(f"/c/{course.slug}/readings/{reading.id}/respond")
    assert form_page.status_code == 200 and "Is work <em>freedom</em>?" in _text(form_page)

    response = visitor.post(f"/c/{course.slug}/readings/{reading.id}/respond", _response_form())
    [post] = _posts(kind=PostKind.RESPONSE)
    assert response.status_code == 302
    assert (post.status, post.reading_id, post.author_id) == (PostStatus.PUBLISHED, reading.id, author.id)
    page = _text(classmate.get(f"/c/{course.slug}/posts/{post.id}"))
    assert "Work as dignity" in page and "Shukhov lays bricks with care." in page
    assert f'Response to <a href="/c/{course.slug}/posts/{reading.id}">One Day</a>' in page
    assert "Work as dignity" in _text(classmate.get(f"/c/{course.slug}/posts/{reading.id}"))
    assert "1 response" in _text(classmate.get(f"/c/{course.slug}/"))


def test_draft_response_is_seen_by_its_author_alone(make_visitor):
    course = factories.course()
    reading = factories.reading(course, title="One Day")
    author = factories.member(course)
    visitor = make_visitor(author)
    visitor.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        _response_form(title="Half-finished thoughts", publish=None, save_draft="Save draft"),
    )
    [draft] = _posts(kind=PostKind.RESPONSE)
    assert (draft.status, draft.published_at) == (PostStatus.DRAFT, None)
    url = f"/c/{course.slug}/posts/{draft.id}"
    assert "Draft: only you can see it" in _text(visitor.get(url))
    assert "Half-finished thoughts" in _text(visitor.get(f"/c/{course.slug}/"))

    for other in (factories.member(course), factories.member(course, Role.ASSISTANT), factories.instructor_of(course)):
        viewer = make_visitor(other)
        assert viewer.get(url).status_code == 404
        assert viewer.get(f"{url}/edit").status_code == 404
        home = _text(viewer.get(f"/c/{course.slug}/"))
        assert "Half-finished thoughts" not in home and "0 responses" in home
        assert "Half-finished thoughts" not in _text(viewer.get(f"/c/{course.slug}/posts/{reading.id}"))
        assert "Half-finished thoughts" not in _text(viewer.get(f"/c/{course.slug}/people/{author.id}"))


def test_student_publishes_a_saved_draft(make_visitor):
    course = factories.course()
    reading = factories.reading(course)
    visitor = make_visitor(factories.member(course))
    classmate = make_visitor(factories.member(course))
    visitor.post(f"/c/{course.slug}/readings/{reading.id}/respond", _response_form(publish=None, save_draft="1"))
    [draft] = _posts(kind=PostKind.RESPONSE)
    url = f"/c/{course.slug}/posts/{draft.id}"
    assert classmate.get(url).status_code == 404

    visitor.post(f"{url}/edit", _response_form(body="Finished now."))
    published = factories.reload(draft)
    assert (published.status, published.body_md) == (PostStatus.PUBLISHED, "Finished now.")
    assert published.published_at is not None and published.edited_at is None
    assert db.session.scalars(db.select(PostRevision)).all() == []
    page = _text(classmate.get(url))
    assert "Finished now." in page and "(edited" not in page


def test_student_edits_own_response_and_it_shows_as_edited(make_visitor):
    course = factories.course()
    author = factories.member(course)
    post = factories.response(course, author, factories.reading(course), title="First try", body="Old words.")
    url = f"/c/{course.slug}/posts/{post.id}"
    visitor = make_visitor(author)
    edit_page = _text(visitor.get(f"{url}/edit"))
    assert _textarea(edit_page, "body") == "Old words."

    response = visitor.post(
        f"{url}/edit", _response_form(title="Second try", body="New words.", publish="Save changes")
    )
    assert response.status_code == 302
    page = _text(make_visitor(factories.member(course)).get(url))
    assert "Second try" in page and "New words." in page and "Old words." not in page
    assert "(edited" in page
    [revision] = db.session.scalars(db.select(PostRevision)).all()
    assert (revision.post_id, revision.editor_id, revision.title, revision.body_md) == (
        post.id,
        author.id,
        "First try",
        "Old words.",
    )


def test_edit_without_a_title_is_refused_keeping_the_new_text(make_visitor):
    course = factories.course()
    author = factories.member(course)
    post = factories.response(course, author, factories.reading(course), title="Kept title", body="Stored words.")
    response = make_visitor(author).post(
        f"/c/{course.slug}/posts/{post.id}/edit", _response_form(title="", body="Freshly typed words.")
    )
    page = _text(response)
    assert _error_at(page, "title") == "This field is required."
    assert _textarea(page, "body") == "Freshly typed words."
    unchanged = factories.reload(post)
    assert (unchanged.title, unchanged.body_md, unchanged.edited_at) == ("Kept title", "Stored words.", None)
    assert db.session.scalars(db.select(PostRevision)).all() == []


def test_student_cannot_edit_anothers_response(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), body="Mine.")
    url = f"/c/{course.slug}/posts/{post.id}/edit"
    classmate = make_visitor(factories.member(course))
    assert classmate.get(url).status_code == 403
    assert classmate.post(url, _response_form(body="Hijacked.")).status_code == 403
    outsider = make_visitor(factories.user())
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, _response_form(body="Hijacked.")).status_code == 404
    assert factories.reload(post).body_md == "Mine."
    assert db.session.scalars(db.select(PostRevision)).all() == []


def test_student_deletes_own_response(make_visitor):
    course = factories.course()
    reading = factories.reading(course)
    author = factories.member(course)
    post = factories.response(course, author, reading, title="Regrettable take")
    classmate = make_visitor(factories.member(course))
    visitor = make_visitor(author)
    response = visitor.post(f"/c/{course.slug}/posts/{post.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/c/{course.slug}/")
    assert factories.reload(post).deleted_at is not None
    for viewer in (visitor, classmate):
        assert viewer.get(f"/c/{course.slug}/posts/{post.id}").status_code == 404
        assert "Regrettable take" not in _text(viewer.get(f"/c/{course.slug}/"))
        assert "Regrettable take" not in _text(viewer.get(f"/c/{course.slug}/posts/{reading.id}"))


def test_student_cannot_delete_anothers_response(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), title="Still here")
    url = f"/c/{course.slug}/posts/{post.id}"
    classmate = make_visitor(factories.member(course))
    assert classmate.post(f"{url}/delete").status_code == 403
    assert make_visitor(factories.user()).post(f"{url}/delete").status_code == 404
    assert factories.reload(post).deleted_at is None
    assert "Still here" in _text(classmate.get(url))


def test_responses_are_written_to_published_readings_only(make_visitor):
    course = factories.course()
    draft_reading = factories.reading(course, published=False)
    reading = factories.reading(course)
    response = factories.response(course, factories.member(course), reading)
    student = make_visitor(factories.member(course))
    assert student.post(f"/c/{course.slug}/readings/{draft_reading.id}/respond", _response_form()).status_code == 404
    assert student.post(f"/c/{course.slug}/readings/{response.id}/respond", _response_form()).status_code == 404
    assert student.post(f"/c/{course.slug}/readings/{reading.id}/respond", _response_form()).status_code == 302
    assert len(_posts(kind=PostKind.RESPONSE)) == 2


def test_students_write_free_posts_only_when_the_course_allows_them(make_visitor):
    course = factories.course()
    assert not course.allow_free_posts
    student = make_visitor(factories.member(course))
    assert student.get(f"/c/{course.slug}/posts/new").status_code == 404
    assert student.post(f"/c/{course.slug}/posts/new", _response_form()).status_code == 404
    assert "Write a post" not in _text(student.get(f"/c/{course.slug}/"))
    assert _posts() == []
    assert make_visitor(factories.instructor_of(course)).get(f"/c/{course.slug}/posts/new").status_code == 200

    course.allow_free_posts = True
    db.session.commit()
    assert "Write a post" in _text(student.get(f"/c/{course.slug}/"))
    response = student.post(f"/c/{course.slug}/posts/new", _response_form(title="On my own"))
    [post] = _posts()
    assert response.status_code == 302
    assert (post.kind, post.reading_id, post.status) == (PostKind.RESPONSE, None, PostStatus.PUBLISHED)
    assert "Course blog" in _text(student.get(f"/c/{course.slug}/posts/{post.id}"))


@pytest.mark.parametrize(
    "missing, kept, kept_value", [("title", "body", "My careful words."), ("body", "title", "My careful title")]
)
def test_response_missing_a_field_is_refused_there_keeping_what_was_typed(make_visitor, missing, kept, kept_value):
    course = factories.course()
    reading = factories.reading(course)
    student = make_visitor(factories.member(course))
    form = _response_form(title="My careful title", body="My careful words.")
    form[missing] = ""
    page = _text(student.post(f"/c/{course.slug}/readings/{reading.id}/respond", form))
    assert _error_at(page, missing) == "This field is required."
    assert _error_at(page, kept) is None
    typed = _textarea(page, "body") if kept == "body" else _value(_input(page, "title"))
    assert typed == kept_value
    assert _posts(kind=PostKind.RESPONSE) == []


# Markdown ------------------------------------------------------------------------------------------------------


HOSTILE = (
    "Some *emphasis* and a [source](https://example.org/essay).\n\n"
    "<script>alert('stolen')</script>\n\n"
    '<img src="https://example.org/x.png" onerror="alert(\'img\')">\n\n'
    "[click](javascript:alert('link'))"
)


def test_markdown_is_rendered_and_sanitised_when_saved(make_visitor):
    course = factories.course()
    reading = factories.reading(course)
    author = make_visitor(factories.member(course))
    author.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        _response_form(title="<script>alert('title')</script>", body=HOSTILE),
    )
    [post] = _posts(kind=PostKind.RESPONSE)
    assert "<em>emphasis</em>" in post.body_html
    assert 'href="https://example.org/essay" rel="nofollow ugc noopener"' in post.body_html
    for danger in ("<script", "stolen", "onerror", 'href="javascript'):
        assert danger not in post.body_html

    page = _text(make_visitor(factories.member(course)).get(f"/c/{course.slug}/posts/{post.id}"))
    assert "<em>emphasis</em>" in page
    assert 'rel="nofollow ugc noopener"' in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    for danger in ("<script>alert", "stolen", "onerror", 'href="javascript'):
        assert danger not in page


def test_reading_prompt_is_sanitised_too(make_visitor):
    course = factories.course()
    instructor = make_visitor(factories.instructor_of(course))
    instructor.post(f"/c/{course.slug}/readings/new", _reading_form(prompt="Discuss <script>alert('p')</script>"))
    [reading] = _posts()
    page = _text(make_visitor(factories.member(course)).get(f"/c/{course.slug}/posts/{reading.id}"))
    assert "<script" not in reading.prompt_html
    assert "Discuss" in page and "alert('p')" not in page


def test_post_page_shows_the_html_stored_at_save_time(make_visitor):
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), body="*As written*")
    post.body_html = "<p>Rendered when it was saved</p>"
    db.session.commit()
    page = _text(make_visitor(factories.member(course)).get(f"/c/{course.slug}/posts/{post.id}"))
    assert "Rendered when it was saved" in page
    assert "<em>As written</em>" not in page


def test_a_post_id_beyond_any_row_is_not_found(make_visitor):
    course = factories.course()
    student = make_visitor(factories.member(course))
    huge = 2**70
    assert student.get(f"/c/{course.slug}/posts/{huge}").status_code == 404
    assert student.get(f"/c/{course.slug}/posts/{huge}/edit").status_code == 404
    assert student.post(f"/c/{course.slug}/posts/{huge}/delete").status_code == 404
    assert student.get(f"/c/{course.slug}/readings/{huge}/respond").status_code == 404
