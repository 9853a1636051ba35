"""Notifications in the app: each kind reaches the right people through the real forms, never the actor, never
someone who may not see the item; watching and muting; the header count, the list, opening one, "mark all read";
per-course preferences."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import AwardType, Membership, ModerationPolicy, Role, Visibility
from board.notifications import services
from board.notifications.models import Notification, NotificationPreference, Watch
from tests import factories


@pytest.fixture
def klass():
    """A course: instructor Iris, students Ada, Bo and Cy; a reading with Ada's response."""
    course = factories.course(factories.user("Iris Instructor"))
    people = {
        "iris": factories.instructor_of(course),
        "ada": factories.member(course, Role.STUDENT, "Ada Lovelace"),
        "bo": factories.member(course, Role.STUDENT, "Bo Chen"),
        "cy": factories.member(course, Role.STUDENT, "Cy Young"),
    }
    reading = factories.reading(course, title="The reading")
    response = factories.response(course, people["ada"], reading, title="Ada's response")
    return course, people, reading, response


def notes(user=None, kind=None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def recipients(kind: str | None = None) -> set[int]:
    return {n.user_id for n in notes(kind=kind)}


def comment(visitor, post, body: str, parent_id: int | None = None, **extra) -> int:
    data = {"body": body, **extra} | ({"parent_id": str(parent_id)} if parent_id is not None else {})
    response = visitor.post(f"/c/{post.course.slug}/posts/{post.id}/comments", data)
    assert response.status_code == 302, response.status_code
    return int(re.search(r"#comment-(\d+)$", response.headers["Location"]).group(1))


def header_count(visitor) -> str | None:
    match = re.search(r'class="count-badge">([^<]+)<', visitor.get("/courses").get_data(as_text=True))
    return match.group(1) if match else None


# Each kind -----------------------------------------------------------------------------------------------------


def test_comment_on_your_post_notifies_its_author_and_never_the_commenter(klass, make_visitor):
    _course, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "Interesting point.")
    [note] = notes()
    assert (note.user_id, note.kind, note.actor_id) == (people["ada"].id, "comment", people["bo"].id)


def test_own_comment_on_own_post_notifies_nobody(klass, make_visitor):
    _, people, _, response = klass
    comment(make_visitor(people["ada"]), response, "Adding to my own post.")
    assert notes() == []


def test_reply_to_your_comment_notifies_you_and_the_post_author_watches(klass, make_visitor):
    _, people, _, response = klass
    first = comment(make_visitor(people["bo"]), response, "First.")
    db.session.query(Notification).delete()
    db.session.commit()
    comment(make_visitor(people["cy"]), response, "A reply.", parent_id=first)
    assert recipients("reply") == {people["bo"].id}
    assert recipients("comment") == {people["ada"].id}
    assert people["cy"].id not in recipients()


def test_commenters_watch_the_post_and_hear_of_later_comments(klass, make_visitor):
    _, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "Bo was here.")
    comment(make_visitor(people["cy"]), response, "Cy too.")
    assert {n.user_id for n in notes(kind="watched")} == {people["bo"].id}
    assert people["iris"].id not in recipients()  # the instructor neither wrote nor commented


def test_mention_notifies_the_member_named(klass, make_visitor):
    _, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "What do you think, @Cy Young?")
    assert recipients("mention") == {people["cy"].id}


def test_mention_of_a_non_member_or_of_oneself_notifies_nobody(klass, make_visitor):
    _course, people, _, response = klass
    factories.user("Zed Outsider")
    comment(make_visitor(people["bo"]), response, "Hello @Zed Outsider and @Bo Chen, and mail bo@example.edu")
    assert recipients("mention") == set()


def test_mention_takes_the_longest_name_and_needs_the_whole_name(klass, make_visitor):
    course, people, _, response = klass
    bo_chenko = factories.member(course, Role.STUDENT, "Bo Chenko")
    comment(make_visitor(people["cy"]), response, "Ask @Bo Chenko, and @bo chen.")
    assert recipients("mention") == {bo_chenko.id, people["bo"].id}
    db.session.query(Notification).delete()
    db.session.commit()
    comment(make_visitor(people["cy"]), response, "Not a mention: @Bo Chenkovich")
    assert recipients("mention") == set()


def test_mention_of_someone_who_cannot_see_a_gated_response_notifies_nobody(klass, make_visitor):
    course, people, reading, _ = klass
    reading.responses_hidden_until_posted = True
    db.session.commit()
    visitor = make_visitor(people["ada"])
    response = visitor.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Another", "body": "What would @Bo Chen say?", "publish": "Publish"},
    )
    assert response.status_code == 302
    assert recipients("mention") == set()  # Bo has not posted, so he cannot see it
    factories.response(course, people["bo"], reading)
    visitor.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Third", "body": "Now @Bo Chen can.", "publish": "Publish"},
    )
    assert recipients("mention") == {people["bo"].id}


def test_an_edit_that_adds_a_mention_tells_only_the_newly_mentioned(klass, make_visitor):
    course, people, _, response = klass
    bo = make_visitor(people["bo"])
    comment_id = comment(bo, response, "Hi @Cy Young.")
    bo.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": "Hi @Cy Young and @Iris Instructor."})
    assert [n.user_id for n in notes(kind="mention")] == [people["cy"].id, people["iris"].id]
    ada = make_visitor(people["ada"])
    ada.post(
        f"/c/{course.slug}/posts/{response.id}/edit",
        {"title": "Ada's response", "body": "Edited for @Bo Chen.", "publish": "Publish"},
    )
    assert [n.user_id for n in notes(kind="mention")][-1] == people["bo"].id


def test_new_reading_notifies_every_member_but_its_author(klass, make_visitor):
    course, people, _, _ = klass
    response = make_visitor(people["iris"]).post(
        f"/c/{course.slug}/readings/new",
        {"title": "Week 2", "body": "Read it.", "publish": "Publish", "timezone": "UTC"},
    )
    assert response.status_code == 302
    assert recipients("reading") == {people[p].id for p in ("ada", "bo", "cy")}


def test_draft_reading_notifies_nobody_until_published(klass, make_visitor):
    course, people, _, _ = klass
    iris = make_visitor(people["iris"])
    response = iris.post(
        f"/c/{course.slug}/readings/new", {"title": "Draft", "body": "Soon.", "save_draft": "Save", "timezone": "UTC"}
    )
    assert notes() == []
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    iris.post(
        f"/c/{course.slug}/posts/{post_id}/edit",
        {"title": "Draft", "body": "Now.", "publish": "Publish", "timezone": "UTC"},
    )
    assert recipients("reading") == {people[p].id for p in ("ada", "bo", "cy")}


def test_new_response_tells_the_reading_author_only_if_they_turned_it_on(klass, make_visitor):
    course, people, reading, _ = klass
    bo = make_visitor(people["bo"])
    bo.post(f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "Bo's", "body": "Text.", "publish": "1"})
    assert recipients("response") == set()  # off by default
    db.session.add(
        NotificationPreference(user_id=people["iris"].id, course_id=course.id, kind="response", delivery="app")
    )
    db.session.commit()
    make_visitor(people["cy"]).post(
        f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "Cy's", "body": "Text.", "publish": "1"}
    )
    assert recipients("response") == {people["iris"].id}


def test_award_notifies_the_post_author(klass, make_visitor):
    course, people, _, response = klass
    kind = AwardType(course_id=course.id, name="Sharp Question", badge="star")
    db.session.add(kind)
    db.session.commit()
    make_visitor(people["iris"]).post(
        f"/c/{course.slug}/posts/{response.id}/awards", {"award_type_id": kind.id, "note": ""}
    )
    [note] = notes()
    assert (note.user_id, note.kind, note.detail) == (people["ada"].id, "award", "Sharp Question")


def test_held_comment_notifies_nobody_until_approved_then_author_and_post_author(klass, make_visitor):
    course, people, _, response = klass
    course.moderation_policy = ModerationPolicy.ALL
    db.session.commit()
    comment_id = comment(make_visitor(people["bo"]), response, "Held for now, @Cy Young.")
    assert notes() == []
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{comment_id}/approve")
    assert {(n.user_id, n.kind) for n in notes()} == {
        (people["bo"].id, "moderation"),
        (people["ada"].id, "comment"),
        (people["cy"].id, "mention"),
    }


def test_hidden_item_tells_its_author_with_the_reason(klass, make_visitor):
    course, people, _, response = klass
    make_visitor(people["iris"]).post(f"/c/{course.slug}/posts/{response.id}/hide", {"reason": "Off topic"})
    [note] = notes()
    assert (note.user_id, note.kind, note.detail) == (people["ada"].id, "moderation", "hidden")
    page = make_visitor(people["ada"]).get("/notifications").get_data(as_text=True)
    assert "was hidden" in page and "Reason: Off topic" in page


def test_anonymous_commenter_is_never_named_to_a_classmate_but_is_to_staff(klass, make_visitor):
    course, people, _reading, response = klass
    course.allow_anonymous = True
    db.session.commit()
    comment(make_visitor(people["iris"]), response, "Staff watching this.")
    comment(make_visitor(people["bo"]), response, "Secretly me, @Cy Young.", anonymous="y")
    ada_page = make_visitor(people["ada"]).get("/notifications").get_data(as_text=True)
    cy_page = make_visitor(people["cy"]).get("/notifications").get_data(as_text=True)
    iris_page = make_visitor(people["iris"]).get("/notifications").get_data(as_text=True)
    for page in (ada_page, cy_page):
        assert "Anonymous classmate" in page and "Bo Chen" not in page
    assert "Bo Chen (anonymous to classmates)" in iris_page


# Watching ------------------------------------------------------------------------------------------------------


def test_muting_a_post_stops_every_notification_about_it(klass, make_visitor):
    _, people, _, response = klass
    ada_user = people["ada"]
    ada = make_visitor(ada_user)
    assert ada.post(f"/c/{response.course.slug}/posts/{response.id}/watch", {"level": "muted"}).status_code == 302
    first = comment(make_visitor(people["bo"]), response, "Hello @Ada Lovelace")
    comment(make_visitor(people["cy"]), response, "Reply", parent_id=first)
    assert ada_user.id not in recipients()


def test_unwatching_keeps_replies_and_mentions_but_not_other_comments(klass, make_visitor):
    _, people, _, response = klass
    make_visitor(people["ada"]).post(f"/c/{response.course.slug}/posts/{response.id}/watch", {"level": "normal"})
    comment(make_visitor(people["bo"]), response, "Plain comment.")
    assert people["ada"].id not in recipients()
    comment(make_visitor(people["bo"]), response, "Now @Ada Lovelace.")
    assert recipients("mention") == {people["ada"].id}


def test_watching_a_post_you_never_touched_brings_its_comments(klass, make_visitor):
    _, people, _, response = klass
    iris = make_visitor(people["iris"])
    page = iris.get(f"/c/{response.course.slug}/posts/{response.id}").get_data(as_text=True)
    assert '<option selected value="normal">' in page
    iris.post(f"/c/{response.course.slug}/posts/{response.id}/watch", {"level": "watching"})
    page = iris.get(f"/c/{response.course.slug}/posts/{response.id}").get_data(as_text=True)
    assert '<option selected value="watching">' in page
    comment(make_visitor(people["bo"]), response, "Hi.")
    assert recipients("watched") == {people["iris"].id}


def test_a_bad_watch_level_is_refused_and_changes_nothing(klass, make_visitor):
    _, people, _, response = klass
    make_visitor(people["ada"]).post(f"/c/{response.course.slug}/posts/{response.id}/watch", {"level": "loud"})
    assert db.session.scalars(select(Watch)).all() == []


def test_outsider_cannot_watch_or_read_members(klass, make_visitor):
    course, _people, _, response = klass
    outsider = make_visitor(factories.user("Nora Outsider"))
    assert outsider.post(f"/c/{course.slug}/posts/{response.id}/watch", {"level": "watching"}).status_code == 404
    assert outsider.get(f"/c/{course.slug}/members.json?q=a").status_code == 404


def test_members_endpoint_offers_matching_classmates_to_members(klass, make_visitor):
    course, people, _, _ = klass
    data = make_visitor(people["bo"]).get(f"/c/{course.slug}/members.json?q=ad").get_json()
    assert data == {"members": [{"name": "Ada Lovelace"}]}
    data = make_visitor(people["bo"]).get(f"/c/{course.slug}/members.json?q=%25").get_json()
    assert data == {"members": []}  # a LIKE wildcard is a plain character


# The page, the count, opening, marking read ----------------------------------------------------------------------


def test_header_count_opening_and_landing_on_the_comment(klass, make_visitor):
    _, people, _, response = klass
    comment_id = comment(make_visitor(people["bo"]), response, "For you, @Ada Lovelace.")
    ada = make_visitor(people["ada"])
    assert header_count(ada) == "1"
    page = ada.get("/notifications").get_data(as_text=True)
    assert "Bo Chen mentioned you in a comment on “Ada's response”" in html.unescape(page)
    [note] = notes(people["ada"])
    opened = ada.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/posts/{response.id}#comment-{comment_id}")
    assert header_count(ada) is None


def test_someone_elses_notification_is_a_404(klass, make_visitor):
    _, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "Hi.")
    [note] = notes(people["ada"])
    assert make_visitor(people["cy"]).post(f"/notifications/{note.id}/open").status_code == 404
    assert notes(people["ada"])[0].read_at is None


def test_mark_all_read_brings_the_count_to_zero_even_for_items_gone_since(klass, make_visitor):
    course, people, _, response = klass
    first = comment(make_visitor(people["bo"]), response, "One.")
    comment(make_visitor(people["cy"]), response, "Two.")
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{first}/hide", {"reason": "Rude"})
    ada = make_visitor(people["ada"])
    assert header_count(ada) == "2"
    page = ada.get("/notifications").get_data(as_text=True)
    assert "This is no longer available." in page and "One." not in page
    assert ada.post("/notifications/read-all").status_code == 302
    assert header_count(ada) is None
    assert all(n.read_at is not None for n in notes(people["ada"]))


def test_opening_a_notification_whose_item_is_gone_says_so(klass, make_visitor):
    course, people, _, response = klass
    first = comment(make_visitor(people["bo"]), response, "One.")
    make_visitor(people["iris"]).post(f"/c/{course.slug}/comments/{first}/hide", {"reason": "Rude"})
    ada = make_visitor(people["ada"])
    [note] = notes(people["ada"])
    opened = ada.post(f"/notifications/{note.id}/open", follow_redirects=True)
    assert "no longer available" in opened.get_data(as_text=True)


def test_a_former_member_sees_nothing_of_the_course_they_left(klass, make_visitor):
    _course, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "Secret course talk.")
    db.session.execute(db.delete(Membership).where(Membership.user_id == people["ada"].id))
    db.session.commit()
    page = make_visitor(people["ada"]).get("/notifications").get_data(as_text=True)
    assert "Secret course talk" not in page and "Bo Chen" not in page and "response" not in html.unescape(page)


def test_the_list_pages_newest_first(klass, make_visitor):
    course, people, _, _response = klass
    for n in range(35):
        services.notify(course, "nudge", {people["ada"].id}, actor_id=people["iris"].id, detail=f"Reminder {n}")
    db.session.commit()
    ada = make_visitor(people["ada"])
    page = ada.get("/notifications").get_data(as_text=True)
    assert "Reminder 34" in page and "Reminder 4<" not in page and 'rel="next"' in page
    older = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "Reminder 4<" in ada.get(older).get_data(as_text=True)
    assert header_count(ada) == "35"


def test_header_says_99_plus_beyond_99(klass, make_visitor):
    course, people, _, _ = klass
    db.session.add_all(
        Notification(user_id=people["ada"].id, course_id=course.id, kind="nudge", detail="x") for _ in range(120)
    )
    db.session.commit()
    assert header_count(make_visitor(people["ada"])) == "99+"


# Preferences ---------------------------------------------------------------------------------------------------


def _settings_form(visitor, slug) -> dict[str, str]:
    page = visitor.get(f"/c/{slug}/notifications").get_data(as_text=True)
    chosen = dict(re.findall(r'<select id="(\w+)".*?<option selected value="(\w+)"', page, re.DOTALL))
    return chosen


def test_preferences_page_shows_defaults_and_saves_choices(klass, make_visitor):
    course, people, _, response = klass
    ada = make_visitor(people["ada"])
    form = _settings_form(ada, course.slug)
    assert form["reply"] == "now" and form["mention"] == "now" and "response" not in form
    assert form["comment"] == "hourly" and form["watched"] == "daily"  # own posts: hourly; watched: the digest
    form["comment"] = "off"
    response_ = ada.post(f"/c/{course.slug}/notifications", {**form, "email_notifications": "y"})
    assert response_.status_code == 302
    assert _settings_form(ada, course.slug)["comment"] == "off"
    comment(make_visitor(people["bo"]), response, "Ada will not hear of this.")
    assert notes(people["ada"]) == []


def test_staff_see_the_new_response_choice_off_by_default(klass, make_visitor):
    course, people, _, _ = klass
    assert _settings_form(make_visitor(people["iris"]), course.slug)["response"] == "off"


def test_preferences_refuse_an_unknown_choice_and_keep_the_rest(klass, make_visitor):
    course, people, _, _ = klass
    ada = make_visitor(people["ada"])
    form = _settings_form(ada, course.slug) | {"reply": "fortnightly", "reading": "hourly"}  # no thread to batch
    refused = ada.post(f"/c/{course.slug}/notifications", form)
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.scalars(select(NotificationPreference)).all() == []


def test_the_email_switch_is_one_for_all_courses(klass, make_visitor):
    course, people, _, _ = klass
    ada = make_visitor(people["ada"])
    ada.post(f"/c/{course.slug}/notifications", _settings_form(ada, course.slug))  # box unticked
    assert factories.reload(people["ada"]).email_notifications is False


def test_notify_api_skips_the_actor_non_members_and_hidden_items(klass):
    course, people, _, response = klass
    outsider = factories.user("Nora Outsider")
    response.visibility = Visibility.HIDDEN
    db.session.commit()
    made = services.notify(
        course,
        "nudge",
        {people["iris"].id, people["bo"].id, people["ada"].id, outsider.id},
        actor_id=people["iris"].id,
        post=response,
        detail="Reply by Friday",
    )
    db.session.commit()
    # Bo cannot see a hidden post; Ada wrote it (authors see their hidden work); Iris acted; Nora is not a member.
    assert [n.user_id for n in made] == [people["ada"].id]
    with pytest.raises(KeyError):
        services.notify(course, "no-such-kind", {people["bo"].id})


def test_a_reminder_about_the_course_opens_its_home(klass, make_visitor):
    course, people, _, _ = klass
    [note] = services.notify(course, "nudge", {people["ada"].id}, actor_id=people["iris"].id, detail="Reply by Friday")
    db.session.commit()
    ada = make_visitor(people["ada"])
    assert "Reminder: Reply by Friday" in ada.get("/notifications").get_data(as_text=True)
    opened = ada.post(f"/notifications/{note.id}/open")
    assert opened.headers["Location"].endswith(f"/c/{course.slug}/")


def test_mark_all_read_touches_only_ones_own(klass, make_visitor):
    _, people, _, response = klass
    first = comment(make_visitor(people["bo"]), response, "One.")
    comment(make_visitor(people["cy"]), response, "Two.", parent_id=first)
    make_visitor(people["ada"]).post("/notifications/read-all")
    assert all(n.read_at is None for n in notes(people["bo"])) and notes(people["bo"])
