"""Search results obey every rule pages obey: drafts, held, hidden and deleted items, the "post before you see"
gate (nothing found and nothing counted before the student has posted), and anonymous authors."""

from __future__ import annotations

import re

import pytest

from board.extensions import db
from board.models import Role, Visibility, utcnow
from tests import factories

from .test_search import found, key


@pytest.fixture
def people():
    course = factories.course()
    course.allow_anonymous = True
    db.session.commit()
    return {
        "course": course,
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Ada Assistant"),
        "author": factories.member(course, Role.STUDENT, "Wendy Writer"),
        "classmate": factories.member(course, Role.STUDENT, "Carl Classmate"),
    }


@pytest.fixture
def as_(people, make_visitor):
    visitors = {}

    def visitor(name):
        if name not in visitors:
            visitors[name] = make_visitor(people[name])
        return visitors[name]

    return visitor


def test_drafts_are_found_by_their_author_only(people, as_):
    course = people["course"]
    draft = factories.response(course, people["author"], body="Unfinished thoughts on dekulakization.", published=False)
    assert found(as_("author"), course, "dekulakization") == [key(draft)]
    assert found(as_("classmate"), course, "dekulakization") == []
    assert found(as_("instructor"), course, "dekulakization") == []


@pytest.mark.parametrize("state", [Visibility.HELD, Visibility.HIDDEN])
def test_held_and_hidden_posts_are_found_by_author_and_staff_only(people, as_, state):
    course = people["course"]
    post = factories.response(course, people["author"], body="Dekulakization explained.", visibility=state)
    assert found(as_("classmate"), course, "dekulakization") == []
    for who in ("author", "instructor", "assistant"):
        assert found(as_(who), course, "dekulakization") == [key(post)], who


@pytest.mark.parametrize("state", [Visibility.HELD, Visibility.HIDDEN])
def test_held_and_hidden_comments_are_found_by_author_and_staff_only(people, as_, state):
    course = people["course"]
    post = factories.response(course, people["classmate"], body="A response.")
    comment = factories.comment(post, people["author"], "Dekulakization, again.", visibility=state)
    assert found(as_("classmate"), course, "dekulakization") == []
    for who in ("author", "instructor"):
        assert found(as_(who), course, "dekulakization") == [key(comment)], who


def test_deleted_posts_and_comments_are_found_by_nobody(people, as_):
    course = people["course"]
    post = factories.response(course, people["author"], body="Dekulakization.", deleted_at=utcnow())
    live = factories.response(course, people["classmate"], body="A response.")
    factories.comment(live, people["author"], "Dekulakization too.", deleted_at=utcnow())
    for who in ("author", "classmate", "instructor"):
        assert found(as_(who), course, "dekulakization") == [], who
    # Comments on a post its author deleted are gone with it.
    factories.comment(post, people["classmate"], "A dekulakization reply.")
    assert found(as_("classmate"), course, "dekulakization") == []


def test_comments_on_posts_the_viewer_cannot_see_are_not_found(people, as_):
    course = people["course"]
    hidden = factories.response(course, people["author"], body="Post.", visibility=Visibility.HIDDEN)
    comment = factories.comment(hidden, people["author"], "Dekulakization comment.")
    assert found(as_("classmate"), course, "dekulakization") == []
    assert found(as_("instructor"), course, "dekulakization") == [key(comment)]


def _gated(people):
    course = people["course"]
    reading = factories.reading(
        course, title="The Great Turn", body="Read about the turn.", responses_hidden_until_posted=True
    )
    response = factories.response(course, people["author"], reading, title="Turn", body="Dekulakization in the turn.")
    comment = factories.comment(response, people["author"], "More dekulakization.")
    return course, reading, response, comment


def test_responses_behind_post_before_you_see_are_not_found_before_posting(people, as_):
    course, reading, response, comment = _gated(people)
    classmate = as_("classmate")
    assert found(classmate, course, "dekulakization") == []
    assert found(classmate, course, "dekulakization", reading=str(reading.id)) == []
    assert found(classmate, course, "dekulakization", author=str(people["author"].id)) == []
    page = classmate.get(f"/c/{course.slug}/search", query_string={"q": "dekulakization"}).get_data(as_text=True)
    assert "Nothing you can see here matches" in page
    assert not re.search(r"\b[12] (result|match)", page)  # no count gives the hidden ones away
    # Staff and the author see them.
    assert set(found(as_("instructor"), course, "dekulakization")) == {key(response), key(comment)}
    assert set(found(as_("author"), course, "dekulakization")) == {key(response), key(comment)}


def test_responses_behind_post_before_you_see_are_found_once_the_student_has_posted(people, as_):
    course, reading, response, comment = _gated(people)
    mine = factories.response(course, people["classmate"], reading, title="Mine", body="My own view.")
    assert set(found(as_("classmate"), course, "dekulakization")) == {key(response), key(comment)}
    assert found(as_("classmate"), course, "view") == [key(mine)]


def test_a_draft_does_not_unlock_post_before_you_see(people, as_):
    course, reading, _, _ = _gated(people)
    factories.response(course, people["classmate"], reading, title="Mine", body="Draft.", published=False)
    assert found(as_("classmate"), course, "dekulakization") == []


def test_filtering_by_a_classmate_never_finds_their_anonymous_writing(people, as_):
    course = people["course"]
    author = people["author"]
    anonymous_post = factories.response(course, author, body="Anonymous dekulakization.", anonymous=True)
    signed_post = factories.response(course, author, body="Signed dekulakization.")
    anonymous_comment = factories.comment(signed_post, author, "Anonymous dekulakization note.", anonymous=True)
    everything = {key(anonymous_post), key(signed_post), key(anonymous_comment)}
    classmate = as_("classmate")
    assert set(found(classmate, course, "dekulakization")) == everything
    assert found(classmate, course, "dekulakization", author=str(author.id)) == [key(signed_post)]
    for who in ("instructor", "assistant", "author"):
        assert set(found(as_(who), course, "dekulakization", author=str(author.id))) == everything, who


def test_anonymous_results_never_show_the_name_to_classmates(people, as_):
    course = people["course"]
    author = people["author"]
    post = factories.response(
        course, author, title="Wendy's question", body="Anonymous dekulakization.", anonymous=True
    )
    factories.comment(post, author, "Anonymous dekulakization note.", anonymous=True)
    classmate_page = as_("classmate").get(f"/c/{course.slug}/search", query_string={"q": "dekulakization"})
    results = classmate_page.get_data(as_text=True).split('class="search-results"')[1]
    assert "Wendy Writer" not in results
    assert f"/people/{author.id}" not in results and f"user_id={author.id}" not in results
    assert "Anonymous" in results
    staff_page = as_("instructor").get(f"/c/{course.slug}/search", query_string={"q": "dekulakization"})
    assert "Wendy Writer" in staff_page.get_data(as_text=True).split('class="search-results"')[1]


def test_searching_a_name_does_not_find_anonymous_posts(people, as_):
    course = people["course"]
    factories.response(course, people["author"], title="Question", body="Who ran the camps?", anonymous=True)
    assert found(as_("classmate"), course, "Wendy") == []
    assert found(as_("classmate"), course, "Writer") == []


def test_filter_lists_offer_only_readings_the_viewer_may_see(people, as_):
    course = people["course"]
    factories.reading(course, title="Published reading")
    factories.reading(course, title="Draft reading", published=False)
    page = as_("classmate").get(f"/c/{course.slug}/search").get_data(as_text=True)
    assert "Published reading" in page
    assert "Draft reading" not in page


def test_a_hidden_readings_title_is_not_shown_beside_its_responses(people, as_):
    course = people["course"]
    reading = factories.reading(course, title="Secret syllabus item", visibility=Visibility.HIDDEN)
    response = factories.response(course, people["author"], reading, title="Mine", body="Dekulakization.")
    classmate = as_("classmate").get(f"/c/{course.slug}/search", query_string={"q": "dekulakization"})
    assert f'data-hit="{key(response)}"' in classmate.get_data(as_text=True)
    assert "Secret syllabus item" not in classmate.get_data(as_text=True)
    staff = as_("instructor").get(f"/c/{course.slug}/search", query_string={"q": "dekulakization"})
    assert "Secret syllabus item" in staff.get_data(as_text=True).split('class="search-results"')[1]
