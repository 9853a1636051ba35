"""The classroom's rules as people meet them: held contributions, hiding, locks, reports, post-before-you-see,
anonymous posting, late responses, edit history, likes and awards, and the audit log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import (
    AuditEntry,
    AwardType,
    Comment,
    CommentLike,
    ModerationPolicy,
    Post,
    PostLike,
    PostRevision,
    Role,
    Visibility,
    utcnow,
)
from tests import factories


def page(visitor, url) -> str:
    response = visitor.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture
def klass():
    """A course with an instructor, an assistant, two students and a published reading."""
    course = factories.course(factories.user("Iris Instructor"))
    people = {
        "instructor": factories.instructor_of(course),
        "assistant": factories.member(course, Role.ASSISTANT, "Asa Assistant"),
        "ann": factories.member(course, Role.STUDENT, "Ann Student"),
        "ben": factories.member(course, Role.STUDENT, "Ben Student"),
    }
    reading = factories.reading(course, title="The reading")
    return course, people, reading


def listing_urls(course, person) -> list[str]:
    """Every page that lists content."""
    base = f"/c/{course.slug}"
    return [f"{base}/", f"{base}/people/{person.id}", f"{base}/awards"]


# Held contributions ----------------------------------------------------------------------------------------------


def test_held_comment_shows_to_author_and_staff_but_not_classmates(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    ann = make_visitor(people["ann"])
    response = ann.post(
        f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "My held thought"}, follow_redirects=True
    )
    assert "awaiting approval" in response.get_data(as_text=True)
    url = f"/c/{course.slug}/posts/{reading.id}"
    assert "My held thought" in page(ann, url) and "Awaiting approval" in page(ann, url)
    assert "My held thought" in page(make_visitor(people["assistant"]), url)
    ben = make_visitor(people["ben"])
    assert "My held thought" not in page(ben, url)
    assert "0 thoughts on" in page(ben, url)
    for listing in listing_urls(course, people["ann"]):
        assert "My held thought" not in page(ben, listing), listing


def test_held_response_hidden_from_classmates_on_every_page(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    ann = make_visitor(people["ann"])
    ann.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Held essay", "body": "Words here.", "publish": "Publish"},
    )
    post = db.session.scalar(select(Post).where(Post.title == "Held essay"))
    assert post.visibility == Visibility.HELD
    ben = make_visitor(people["ben"])
    assert ben.get(f"/c/{course.slug}/posts/{post.id}").status_code == 404
    for listing in listing_urls(course, people["ann"]) + [f"/c/{course.slug}/posts/{reading.id}"]:
        assert "Held essay" not in page(ben, listing), listing
    assert "Held essay" in page(ann, f"/c/{course.slug}/posts/{post.id}")
    instructor = make_visitor(people["instructor"])
    assert "Held essay" in page(instructor, f"/c/{course.slug}/moderation")
    instructor.post(f"/c/{course.slug}/posts/{post.id}/approve")
    assert "Held essay" in page(ben, f"/c/{course.slug}/")


def test_first_contribution_is_held_then_later_ones_publish(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.FIRST
    db.session.commit()
    ann = make_visitor(people["ann"])
    ann.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "First"})
    first = db.session.scalar(select(Comment).where(Comment.body_md == "First"))
    assert first.visibility == Visibility.HELD
    ann.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "Second, still waiting"})
    assert db.session.scalar(select(Comment.visibility).where(Comment.body_md == "Second, still waiting")) == "held"
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/comments/{first.id}/approve")
    ann.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "Third"})
    assert db.session.scalar(select(Comment.visibility).where(Comment.body_md == "Third")) == "visible"


def _visibility_of_post(title):
    return db.session.scalar(select(Post.visibility).where(Post.title == title))


def test_first_response_of_each_new_student_is_held_and_queued(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.FIRST
    db.session.commit()
    newcomers = [factories.member(course, Role.STUDENT, f"New Student {n}") for n in range(4)]
    for n, student in enumerate(newcomers):
        visitor = make_visitor(student)
        post = _respond(visitor, course, reading, f"First response {n}")
        assert post.visibility == Visibility.HELD
        assert "awaiting approval" in page(visitor, f"/c/{course.slug}/posts/{post.id}")
    queue = page(make_visitor(people["instructor"]), f"/c/{course.slug}/moderation")
    assert all(f"First response {n}" in queue for n in range(4))
    assert "First response" not in page(make_visitor(people["ben"]), f"/c/{course.slug}/")


def test_first_response_published_from_a_draft_is_held(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.FIRST
    db.session.commit()
    ann = make_visitor(people["ann"])
    _respond(ann, course, reading, "Drafted first", publish=None, save_draft="Save draft")
    draft = db.session.scalar(select(Post).where(Post.title == "Drafted first"))
    ann.post(
        f"/c/{course.slug}/posts/{draft.id}/edit",
        {"title": "Drafted first", "body": "Now finished.", "publish": "Publish"},
    )
    assert _visibility_of_post("Drafted first") == Visibility.HELD


def test_later_contributions_publish_once_one_is_approved(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.FIRST
    db.session.commit()
    ann = make_visitor(people["ann"])
    _respond(ann, course, reading, "Ann's first")
    _respond(ann, course, reading, "Ann's second, still waiting")
    assert _visibility_of_post("Ann's second, still waiting") == Visibility.HELD
    first = db.session.scalar(select(Post).where(Post.title == "Ann's first"))
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/posts/{first.id}/approve")
    _respond(ann, course, reading, "Ann's third")
    assert _visibility_of_post("Ann's third") == Visibility.VISIBLE
    ann.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "A comment after approval"})
    assert db.session.scalar(select(Comment.visibility).where(Comment.body_md == "A comment after approval")) == (
        Visibility.VISIBLE
    )


def test_an_approved_comment_lets_a_later_response_publish(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.FIRST
    db.session.commit()
    factories.comment(reading, people["ann"], "Approved earlier")
    _respond(make_visitor(people["ann"]), course, reading, "After an approved comment")
    assert _visibility_of_post("After an approved comment") == Visibility.VISIBLE


def test_staff_contributions_are_never_held(klass, make_visitor):
    course, people, reading = klass
    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    make_visitor(people["assistant"]).post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "From TA"})
    assert db.session.scalar(select(Comment.visibility).where(Comment.body_md == "From TA")) == "visible"


def test_queue_approves_held_comment_in_one_click(klass, make_visitor):
    course, people, reading = klass
    held = factories.comment(reading, people["ann"], "Waiting comment", visibility=Visibility.HELD)
    instructor = make_visitor(people["instructor"])
    queue = page(instructor, f"/c/{course.slug}/moderation")
    assert "Waiting comment" in queue and "The reading" in queue
    response = instructor.post(f"/c/{course.slug}/comments/{held.id}/approve", {"next": f"/c/{course.slug}/moderation"})
    assert response.headers["Location"] == f"/c/{course.slug}/moderation"
    assert factories.reload(held).visibility == Visibility.VISIBLE
    assert "Waiting comment" not in page(instructor, f"/c/{course.slug}/moderation")


# Hiding, deleting, locking, pinning ------------------------------------------------------------------------------


def test_hidden_comment_shows_its_reason_to_the_author_only(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Something rude")
    make_visitor(people["assistant"]).post(
        f"/c/{course.slug}/comments/{comment.id}/hide", {"reason": "Please keep it civil"}
    )
    url = f"/c/{course.slug}/posts/{reading.id}"
    ann_page = page(make_visitor(people["ann"]), url)
    assert "Something rude" in ann_page and "Please keep it civil" in ann_page
    ben_page = page(make_visitor(people["ben"]), url)
    assert "Something rude" not in ben_page and "Please keep it civil" not in ben_page


def test_hide_needs_a_reason_and_keeps_the_form(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Borderline")
    response = make_visitor(people["instructor"]).post(f"/c/{course.slug}/comments/{comment.id}/hide", {"reason": ""})
    assert response.status_code == 422 and "Give a reason." in response.get_data(as_text=True)
    assert factories.reload(comment).visibility == Visibility.VISIBLE


def test_unhide_shows_it_again(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Back again", visibility=Visibility.HIDDEN)
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/comments/{comment.id}/unhide")
    assert "Back again" in page(make_visitor(people["ben"]), f"/c/{course.slug}/posts/{reading.id}")


def test_moderator_delete_of_a_comment_with_replies_keeps_the_thread(klass, make_visitor):
    course, people, reading = klass
    parent = factories.comment(reading, people["ann"], "Parent to delete")
    factories.comment(reading, people["ben"], "A reply that stays", parent=parent)
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/comments/{parent.id}/remove")
    shown = page(make_visitor(people["ben"]), f"/c/{course.slug}/posts/{reading.id}")
    assert "Parent to delete" not in shown and "A reply that stays" in shown and "Comment deleted." in shown
    assert factories.reload(parent).body_md == ""


def test_moderator_delete_of_a_post_removes_it_and_its_comments(klass, make_visitor):
    course, people, reading = klass
    response_post = factories.response(course, people["ann"], reading, title="To be removed")
    factories.comment(response_post, people["ben"], "Gone too")
    post_id = response_post.id
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/posts/{post_id}/remove")
    db.session.expire_all()
    assert db.session.get(Post, post_id) is None
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_locked_post_takes_no_new_comments_but_keeps_old_ones(klass, make_visitor):
    course, people, reading = klass
    factories.comment(reading, people["ben"], "Before the lock")
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/posts/{reading.id}/lock", {"locked": "1"})
    ann = make_visitor(people["ann"])
    response = ann.post(f"/c/{course.slug}/posts/{reading.id}/comments", {"body": "After the lock"})
    assert response.status_code == 422 and "closed" in response.get_data(as_text=True)
    shown = page(ann, f"/c/{course.slug}/posts/{reading.id}")
    assert "Before the lock" in shown and "Comments on this post are closed." in shown
    assert "Leave a comment" not in shown


def test_pinned_reading_comes_first_and_unpins(klass, make_visitor):
    course, people, _reading = klass
    later = factories.reading(course, title="A later reading")
    instructor = make_visitor(people["instructor"])
    instructor.post(f"/c/{course.slug}/posts/{later.id}/pin", {"pinned": "1"})
    home = page(instructor, f"/c/{course.slug}/")
    assert home.index("A later reading") < home.index("The reading")
    instructor.post(f"/c/{course.slug}/posts/{later.id}/pin", {"pinned": "0"})
    assert not factories.reload(later).pinned


# Reports ---------------------------------------------------------------------------------------------------------


def test_report_once_then_resolve_from_the_queue(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Questionable")
    ben = make_visitor(people["ben"])
    assert ben.post(f"/c/{course.slug}/comments/{comment.id}/report", {"reason": "Off topic"}).status_code == 302
    again = ben.post(f"/c/{course.slug}/comments/{comment.id}/report", {"reason": "Still off topic"})
    assert again.status_code == 422 and "already reported" in again.get_data(as_text=True)
    instructor = make_visitor(people["instructor"])
    queue = page(instructor, f"/c/{course.slug}/moderation")
    assert "Off topic" in queue and "Questionable" in queue
    instructor.post(f"/c/{course.slug}/comments/{comment.id}/hide", {"reason": "Off topic, hidden"})
    assert "Questionable" not in page(instructor, f"/c/{course.slug}/moderation")


def test_report_needs_a_reason(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Fine comment")
    response = make_visitor(people["ben"]).post(f"/c/{course.slug}/comments/{comment.id}/report", {"reason": " "})
    assert response.status_code == 422


# Post before you see ---------------------------------------------------------------------------------------------


@pytest.fixture
def gated(klass):
    course, people, reading = klass
    reading.responses_hidden_until_posted = True
    reading.unlock_min_words = 5
    db.session.commit()
    essay = factories.response(
        course,
        people["ann"],
        reading,
        title="Ann's essay",
        body="Solidarity mattered most in the camps, as Panin shows.",
    )
    factories.comment(essay, people["instructor"], "Instructor feedback on Ann")
    return course, people, reading, essay


def test_gated_reading_shows_count_but_not_content(gated, make_visitor):
    course, people, reading, essay = gated
    ben = make_visitor(people["ben"])
    reading_page = page(ben, f"/c/{course.slug}/posts/{reading.id}")
    assert "Post your response to see your classmates" in reading_page and "Ann&#39;s essay" not in reading_page
    assert "1 response so far" in reading_page
    assert "1 response" in page(ben, f"/c/{course.slug}/")
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 404
    for listing in listing_urls(course, people["ann"]):
        shown = page(ben, listing)
        assert "Ann&#39;s essay" not in shown and "Instructor feedback on Ann" not in shown, listing


def test_short_placeholder_does_not_unlock_but_a_real_response_does(gated, make_visitor):
    course, people, reading, essay = gated
    ben = make_visitor(people["ben"])
    ben.post(f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "x", "body": "ok", "publish": "Publish"})
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 404
    placeholder = db.session.scalar(select(Post).where(Post.title == "x"))
    ben.post(
        f"/c/{course.slug}/posts/{placeholder.id}/edit",
        {
            "title": "Ben's essay",
            "body": "Rossi's cellmates show how solidarity kept people alive.",
            "publish": "Publish",
        },
    )
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 200
    assert "Ann&#39;s essay" in page(ben, f"/c/{course.slug}/posts/{reading.id}")


def test_deleting_the_unlocking_response_locks_again_and_instructors_see_it(gated, make_visitor):
    course, people, reading, essay = gated
    ben = make_visitor(people["ben"])
    ben.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Placeholder", "body": "one two three four five six", "publish": "Publish"},
    )
    mine = db.session.scalar(select(Post).where(Post.title == "Placeholder"))
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 200
    ben.post(
        f"/c/{course.slug}/posts/{mine.id}/edit",
        {"title": "Placeholder", "body": "edited to say little more", "publish": "Publish"},
    )
    ben.post(f"/c/{course.slug}/posts/{mine.id}/delete")
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 404
    instructor = make_visitor(people["instructor"])
    reading_page = page(instructor, f"/c/{course.slug}/posts/{reading.id}")
    assert "Placeholder" in reading_page and "Deleted by its author" in reading_page
    revisions = page(instructor, f"/c/{course.slug}/posts/{mine.id}/revisions")
    assert "one two three four five six" in revisions and "The author deleted this post" in revisions


# Anonymous posting -----------------------------------------------------------------------------------------------


def test_anonymous_response_hides_the_name_from_classmates_only(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    db.session.commit()
    ann = make_visitor(people["ann"])
    composer = page(ann, f"/c/{course.slug}/readings/{reading.id}/respond")
    assert "instructors and assistants will still see your name" in composer
    ann.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Secret essay", "body": "Brave words.", "anonymous": "y", "publish": "Publish"},
    )
    essay = db.session.scalar(select(Post).where(Post.title == "Secret essay"))
    factories.comment(essay, people["ben"], "Nice work")
    ben = make_visitor(people["ben"])
    for url in [f"/c/{course.slug}/posts/{essay.id}", f"/c/{course.slug}/posts/{reading.id}", f"/c/{course.slug}/"]:
        shown = page(ben, url)
        assert "Ann Student" not in shown, url
        assert f'/people/{people["ann"].id}"' not in shown, url
    person_page = page(ben, f"/c/{course.slug}/people/{people['ann'].id}")
    assert "Secret essay" not in person_page and "Responses (0)" in person_page
    assert "Anonymous classmate" in page(ben, f"/c/{course.slug}/posts/{essay.id}")
    assert "Ann Student" in page(make_visitor(people["assistant"]), f"/c/{course.slug}/posts/{essay.id}")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "anonymous:post"))
    assert entry.actor_id == people["ann"].id


def test_anonymous_option_only_when_the_course_allows_it(klass, make_visitor):
    course, people, reading = klass
    ann = make_visitor(people["ann"])
    assert "Post anonymously" not in page(ann, f"/c/{course.slug}/readings/{reading.id}/respond")
    ann.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Named essay", "body": "Words.", "anonymous": "y", "publish": "Publish"},
    )
    assert db.session.scalar(select(Post.anonymous).where(Post.title == "Named essay")) is False


def test_authors_cannot_like_their_own_writing(klass, make_visitor):
    course, people, reading = klass
    essay = factories.response(course, people["ann"], reading)
    response = make_visitor(people["ann"]).post(f"/c/{course.slug}/posts/{essay.id}/like", {"liked": "1"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PostLike)) == 0


# Late responses and edit history ---------------------------------------------------------------------------------


def test_late_responses_are_marked_for_instructors_only(klass, make_visitor):
    from datetime import timedelta

    course, people, reading = klass
    reading.due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    factories.response(course, people["ann"], reading, title="Late essay")
    url = f"/c/{course.slug}/posts/{reading.id}"
    assert "Late</span>" in page(make_visitor(people["instructor"]), url)
    assert "Late</span>" not in page(make_visitor(people["ben"]), url)


def test_each_edit_keeps_the_previous_version_for_author_and_staff(klass, make_visitor):
    course, people, reading = klass
    ann = make_visitor(people["ann"])
    ann.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "V1", "body": "First draft text", "publish": "Publish"},
    )
    essay = db.session.scalar(select(Post).where(Post.title == "V1"))
    ann.post(f"/c/{course.slug}/posts/{essay.id}/edit", {"title": "V2", "body": "Second text", "publish": "1"})
    ann.post(f"/c/{course.slug}/posts/{essay.id}/edit", {"title": "V3", "body": "Third text", "publish": "1"})
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 2
    url = f"/c/{course.slug}/posts/{essay.id}/revisions"
    for viewer in (ann, make_visitor(people["instructor"]), make_visitor(people["assistant"])):
        shown = page(viewer, url)
        assert "First draft text" in shown and "Second text" in shown
    assert make_visitor(people["ben"]).get(url).status_code == 403


# Likes -----------------------------------------------------------------------------------------------------------


def test_likes_count_once_per_person_and_list_names(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Likeable")
    for who in ("ben", "assistant"):
        visitor = make_visitor(people[who])
        visitor.post(f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1"})
        visitor.post(f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1"})
    assert db.session.scalar(select(func.count()).select_from(CommentLike)) == 2
    ben = make_visitor(people["ben"])
    shown = page(ben, f"/c/{course.slug}/posts/{reading.id}")
    assert "Liked by 2 people" in shown and 'aria-pressed="true"' in shown
    names = page(ben, f"/c/{course.slug}/comments/{comment.id}/likes")
    assert "Ben Student" in names and "Asa Assistant" in names
    ben.post(f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "0"})
    assert "Liked by 1 person" in page(ben, f"/c/{course.slug}/posts/{reading.id}")


def test_like_without_javascript_returns_to_the_same_place(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Likeable")
    next_url = f"/c/{course.slug}/posts/{reading.id}#comment-{comment.id}"
    response = make_visitor(people["ben"]).post(
        f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1", "next": next_url}
    )
    assert response.headers["Location"] == next_url


def test_like_with_javascript_answers_json(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Likeable")
    response = make_visitor(people["ben"]).post(
        f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1"}, headers={"Accept": "application/json"}
    )
    assert response.get_json() == {"liked": True, "count": 1, "label": "Liked by 1 person"}


def test_staff_only_likes_setting(klass, make_visitor):
    course, people, reading = klass
    course.like_policy = "staff"
    db.session.commit()
    comment = factories.comment(reading, people["ann"], "Likeable")
    ben = make_visitor(people["ben"])
    assert "☆ Like" not in page(ben, f"/c/{course.slug}/posts/{reading.id}")
    assert ben.post(f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1"}).status_code == 403
    assert (
        make_visitor(people["assistant"])
        .post(f"/c/{course.slug}/comments/{comment.id}/like", {"liked": "1"})
        .status_code
        == 302
    )
    assert db.session.scalar(select(func.count()).select_from(CommentLike)) == 1


# Awards ----------------------------------------------------------------------------------------------------------


def test_award_shows_on_post_awards_page_and_person_page(klass, make_visitor):
    course, people, reading = klass
    corner = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star", description="Best of week")
    question = AwardType(course_id=course.id, name="Sharp Question", badge="lightbulb")
    db.session.add_all([corner, question])
    db.session.commit()
    first = factories.response(course, people["ann"], reading, title="Ann's essay")
    second = factories.response(course, people["ben"], reading, title="Ben's essay")
    assistant = make_visitor(people["assistant"])
    assistant.post(f"/c/{course.slug}/posts/{first.id}/awards", {"award_type_id": corner.id, "note": "Superb"})
    assistant.post(f"/c/{course.slug}/posts/{second.id}/awards", {"award_type_id": question.id})
    ben = make_visitor(people["ben"])
    post_page = page(ben, f"/c/{course.slug}/posts/{first.id}")
    assert "This post received the Comrade’s Corner award" in post_page
    assert 'class="badge badge-star"' in post_page
    assert "Give an award" not in post_page and "Take back" not in post_page
    awards = page(ben, f"/c/{course.slug}/awards")
    assert awards.index("Ben&#39;s essay") < awards.index("Ann&#39;s essay")  # newest first
    filtered = page(ben, f"/c/{course.slug}/awards?type={corner.id}")
    assert "Ann&#39;s essay" in filtered and "Ben&#39;s essay" not in filtered
    person = page(ben, f"/c/{course.slug}/people/{people['ann'].id}")
    assert "Comrade’s Corner" in person and "Superb" in person


def test_award_can_be_given_once_and_taken_back(klass, make_visitor):
    course, people, reading = klass
    corner = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star")
    db.session.add(corner)
    db.session.commit()
    essay = factories.response(course, people["ann"], reading)
    instructor = make_visitor(people["instructor"])
    instructor.post(f"/c/{course.slug}/posts/{essay.id}/awards", {"award_type_id": corner.id})
    again = instructor.post(
        f"/c/{course.slug}/posts/{essay.id}/awards", {"award_type_id": corner.id}, follow_redirects=True
    )
    assert "already has the Comrade’s Corner award" in again.get_data(as_text=True)
    award_id = int(re.search(r"/awards/(\d+)/revoke", page(instructor, f"/c/{course.slug}/posts/{essay.id}")).group(1))
    instructor.post(f"/c/{course.slug}/awards/{award_id}/revoke")
    assert "received the" not in page(instructor, f"/c/{course.slug}/posts/{essay.id}")


def test_award_type_management(klass, make_visitor):
    course, people, _reading = klass
    instructor = make_visitor(people["instructor"])
    instructor.post(
        f"/c/{course.slug}/awards/types", {"name": "Primary Source Pro", "description": "Sources", "badge": "medal"}
    )
    award_type = db.session.scalar(select(AwardType))
    assert (award_type.name, award_type.badge) == ("Primary Source Pro", "medal")
    duplicate = instructor.post(f"/c/{course.slug}/awards/types", {"name": "primary source pro", "badge": "star"})
    assert "already has an award with that name" in duplicate.get_data(as_text=True)
    instructor.post(f"/c/{course.slug}/awards/types/{award_type.id}", {"name": "Source Star", "badge": "trophy"})
    assert factories.reload(award_type).name == "Source Star"


# The audit log ---------------------------------------------------------------------------------------------------


def test_audit_log_records_who_what_when_why_and_filters(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Needs hiding")
    make_visitor(people["assistant"]).post(f"/c/{course.slug}/comments/{comment.id}/hide", {"reason": "Spoilers"})
    instructor = make_visitor(people["instructor"])
    instructor.post(f"/c/{course.slug}/posts/{reading.id}/lock", {"locked": "1"})
    log = page(instructor, f"/c/{course.slug}/audit")
    assert "Asa Assistant" in log and "Spoilers" in log and "hide" in log and "lock" in log
    only_hides = page(instructor, f"/c/{course.slug}/audit?action=hide")
    assert "Spoilers" in only_hides and "<code>lock</code>" not in only_hides
    by_instructor = page(instructor, f"/c/{course.slug}/audit?actor={people['instructor'].id}")
    assert "<code>lock</code>" in by_instructor and "Spoilers" not in by_instructor


# Rules at their edges --------------------------------------------------------------------------------------------


def _respond(visitor, course, reading, title, body="one two three four five six seven", **extra):
    visitor.post(
        f"/c/{course.slug}/readings/{reading.id}/respond", {"title": title, "body": body, "publish": "Publish", **extra}
    )
    return db.session.scalar(select(Post).where(Post.title == title))


@pytest.mark.parametrize("visibility", [Visibility.HIDDEN, Visibility.HELD])
def test_a_hidden_or_held_response_does_not_unlock(gated, make_visitor, visibility):
    course, people, reading, essay = gated
    ben = make_visitor(people["ben"])
    mine = _respond(ben, course, reading, "Ben's placeholder")
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 200
    mine.visibility = visibility
    db.session.commit()
    assert ben.get(f"/c/{course.slug}/posts/{essay.id}").status_code == 404
    shown = page(ben, f"/c/{course.slug}/posts/{reading.id}")
    assert "Ann&#39;s essay" not in shown and "Post your response to see your classmates" in shown
    for listing in listing_urls(course, people["ann"]):
        assert "Ann&#39;s essay" not in page(ben, listing), listing


def test_gated_responses_stay_off_likes_revisions_report_and_awards_pages(gated, make_visitor):
    course, people, reading, essay = gated
    corner = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star")
    db.session.add(corner)
    db.session.commit()
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/posts/{essay.id}/awards", {"award_type_id": corner.id})
    ann = make_visitor(people["ann"])
    ann.post(
        f"/c/{course.slug}/posts/{essay.id}/edit", {"title": "Ann's essay", "body": "Second thoughts", "publish": "1"}
    )
    ben = make_visitor(people["ben"])
    assert "Ann&#39;s essay" not in page(ben, f"/c/{course.slug}/awards")
    base = f"/c/{course.slug}/posts/{essay.id}"
    for url in (f"{base}/likes", f"{base}/revisions", f"/c/{course.slug}/posts/{essay.id}/report"):
        assert ben.get(url).status_code == 404, url
    _respond(ben, course, reading, "Ben's essay")
    assert "Ann&#39;s essay" in page(ben, f"/c/{course.slug}/awards")


def test_a_reading_with_responses_cannot_be_deleted_permanently(gated, make_visitor):
    course, people, reading, essay = gated
    instructor = make_visitor(people["instructor"])
    response = instructor.post(f"/c/{course.slug}/posts/{reading.id}/remove", follow_redirects=True)
    assert "This reading has 1 response: hide it instead" in response.get_data(as_text=True)
    assert factories.reload(reading) is not None
    assert make_visitor(people["ben"]).get(f"/c/{course.slug}/posts/{essay.id}").status_code == 404  # still gated
    empty_id = factories.reading(course, title="Nobody answered").id
    instructor.post(f"/c/{course.slug}/posts/{empty_id}/remove")
    db.session.expire_all()
    assert db.session.get(Post, empty_id) is None


def test_a_hidden_readings_title_does_not_show_on_its_responses(klass, make_visitor):
    course, people, reading = klass
    reading.title = "A withdrawn reading"
    essay = factories.response(course, people["ann"], reading, title="Ann's essay")
    make_visitor(people["instructor"]).post(f"/c/{course.slug}/posts/{reading.id}/hide", {"reason": "Wrong week"})
    ben = make_visitor(people["ben"])
    assert ben.get(f"/c/{course.slug}/posts/{reading.id}").status_code == 404
    assert "A withdrawn reading" not in page(ben, f"/c/{course.slug}/posts/{essay.id}")
    assert "A withdrawn reading" in page(make_visitor(people["assistant"]), f"/c/{course.slug}/posts/{essay.id}")


def test_editing_keeps_an_anonymous_post_anonymous_after_the_course_turns_anonymity_off(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    db.session.commit()
    ann = make_visitor(people["ann"])
    essay = _respond(ann, course, reading, "Secret essay", anonymous="y")
    course.allow_anonymous = False
    db.session.commit()
    edit_form = page(ann, f"/c/{course.slug}/posts/{essay.id}/edit")
    assert "Post anonymously" not in edit_form
    ann.post(
        f"/c/{course.slug}/posts/{essay.id}/edit", {"title": "Secret essay", "body": "Typo fixed.", "publish": "1"}
    )
    assert factories.reload(essay).anonymous is True
    shown = page(make_visitor(people["ben"]), f"/c/{course.slug}/posts/{essay.id}")
    assert "Typo fixed." in shown and "Ann Student" not in shown


def test_changing_anonymity_by_edit_is_audited(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    db.session.commit()
    ann = make_visitor(people["ann"])
    essay = _respond(ann, course, reading, "Essay")
    edit_url = f"/c/{course.slug}/posts/{essay.id}/edit"
    ann.post(edit_url, {"title": "Essay", "body": "Now anonymous.", "anonymous": "y", "publish": "1"})
    assert factories.reload(essay).anonymous is True
    ann.post(edit_url, {"title": "Essay", "body": "Named again.", "publish": "1"})
    assert factories.reload(essay).anonymous is False
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["anonymous:post", "named:post"]
    log = page(make_visitor(people["instructor"]), f"/c/{course.slug}/audit")
    assert "Ann Student wrote this post anonymously to classmates" in log


def _is_ticked(html: str, checkbox_id: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{checkbox_id}"[^>]*>', html)
    assert tag, f"no checkbox {checkbox_id}"
    return re.search(r"\bchecked\b", tag.group(0)) is not None


def test_replies_can_be_anonymous_and_start_anonymous_on_ones_own_anonymous_post(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    db.session.commit()
    ann = make_visitor(people["ann"])
    essay = _respond(ann, course, reading, "Secret essay", anonymous="y")
    question = factories.comment(essay, people["ben"], "Who wrote this?")
    shown = page(ann, f"/c/{course.slug}/posts/{essay.id}")
    assert _is_ticked(shown, "reply-anonymous")  # the page's one reply composer
    assert _is_ticked(page(ann, f"/c/{course.slug}/comments/{question.id}/reply"), "reply-anonymous")
    assert _is_ticked(shown, "anonymous")  # the main comment form too
    assert not _is_ticked(page(ann, f"/c/{course.slug}/posts/{reading.id}"), "anonymous")
    ann.post(
        f"/c/{course.slug}/posts/{essay.id}/comments",
        {"body": "The author answers", "parent_id": question.id, "anonymous": "y"},
    )
    reply = db.session.scalar(select(Comment).where(Comment.body_md == "The author answers"))
    assert reply.anonymous is True and reply.parent_id == question.id
    assert "Ann Student" not in page(make_visitor(people["ben"]), f"/c/{course.slug}/posts/{essay.id}")


def test_pinning_from_the_reading_edit_form_is_audited(klass, make_visitor):
    course, people, reading = klass
    make_visitor(people["assistant"]).post(
        f"/c/{course.slug}/posts/{reading.id}/edit",
        {"title": reading.title, "body": reading.body_md, "pinned": "y", "publish": "1"},
    )
    assert factories.reload(reading).pinned is True
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.subject_id) == ("pin", people["assistant"].id, reading.id)


def test_person_page_lists_awards_on_readings_too_but_not_on_anonymous_posts(klass, make_visitor):
    course, people, reading = klass
    course.allow_anonymous = True
    corner = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star")
    db.session.add(corner)
    db.session.commit()
    secret = factories.response(course, people["ann"], reading, title="Secret essay", anonymous=True)
    instructor = make_visitor(people["instructor"])
    for post in (reading, secret):
        instructor.post(f"/c/{course.slug}/posts/{post.id}/awards", {"award_type_id": corner.id})
    ben = make_visitor(people["ben"])
    assert "The reading" in page(ben, f"/c/{course.slug}/people/{people['instructor'].id}")
    assert "Comrade’s Corner" not in page(ben, f"/c/{course.slug}/people/{people['ann'].id}")
    assert "Secret essay" in page(make_visitor(people["ann"]), f"/c/{course.slug}/people/{people['ann'].id}")


def test_queue_offers_only_dismiss_for_a_report_on_a_comment_its_author_deleted(klass, make_visitor):
    course, people, reading = klass
    comment = factories.comment(reading, people["ann"], "Regrettable words")
    make_visitor(people["ben"]).post(f"/c/{course.slug}/comments/{comment.id}/report", {"reason": "Rude"})
    make_visitor(people["ann"]).post(f"/c/{course.slug}/comments/{comment.id}/delete")
    queue = page(make_visitor(people["instructor"]), f"/c/{course.slug}/moderation")
    assert "Deleted by its author" in queue and "Dismiss" in queue
    assert f"/comments/{comment.id}/remove" not in queue and f"/comments/{comment.id}/hide" not in queue
