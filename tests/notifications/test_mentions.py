"""Mentions nobody can abuse: each person is told of a mention in a comment or post once, ever, however often it is
edited; a comment naming a whole course costs the request a bounded number of queries, its fan-out runs on the
queue and reaches exactly those who may see it; an item names at most MENTION_LIMIT people."""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from board import access
from board.extensions import configure_queue, db, huey
from board.models import Comment, Membership, Post, Role, User, Visibility, utcnow
from board.notifications import services
from board.outbox import service as outbox_service
from board.outbox.models import OutboxItem
from tests import factories
from tests.sql import count_queries

from .test_notifications import _settings_form, comment, notes
from .test_notifications import klass as notifications_class  # noqa: F401, F811  (a fixture)


@pytest.fixture
def klass(notifications_class):
    """test_notifications' course (instructor Iris, students Ada, Bo and Cy; a reading with Ada's response), and
    a fourth student, Dee."""
    course, people, reading, response = notifications_class
    people["dee"] = factories.member(course, Role.STUDENT, "Dee Dee")
    return course, people, reading, response


def mention_emails(inbox, person) -> list:
    return [m for m in inbox.messages(to=person.email) if "mentioned you" in m["Subject"]]


# Once, ever --------------------------------------------------------------------------------------------------


def test_editing_mentions_away_and_back_tells_each_person_once_and_emails_them_once(klass, make_visitor, inbox):
    course, people, _, response = klass
    bo = make_visitor(people["bo"])
    named = "Over to @Cy Young, @Dee Dee and @Iris Instructor."
    comment_id = comment(bo, response, named)
    edit = f"/c/{course.slug}/comments/{comment_id}/edit"
    for _cycle in range(3):
        assert bo.post(edit, {"body": "On second thought, nobody."}).status_code == 302
        assert bo.post(edit, {"body": named}).status_code == 302

    told = [n.user_id for n in notes(kind="mention")]
    assert sorted(told) == sorted(people[p].id for p in ("cy", "dee", "iris"))
    for person in ("cy", "dee", "iris"):
        assert len(mention_emails(inbox, people[person])) == 1, person


def test_editing_a_post_away_from_a_mention_and_back_tells_once(klass, make_visitor, inbox):
    course, people, _, response = klass
    ada = make_visitor(people["ada"])
    edit = f"/c/{course.slug}/posts/{response.id}/edit"
    for body in ("For @Bo Chen.", "For nobody.", "For @Bo Chen.", "For nobody.", "For @Bo Chen again."):
        assert ada.post(edit, {"title": "Ada's response", "body": body, "publish": "Publish"}).status_code == 302
    assert [n.user_id for n in notes(kind="mention")] == [people["bo"].id]
    assert len(mention_emails(inbox, people["bo"])) == 1


def test_someone_named_later_in_an_edit_is_still_told_once(klass, make_visitor):
    course, people, _, response = klass
    bo = make_visitor(people["bo"])
    comment_id = comment(bo, response, "Hi @Cy Young.")
    edit = f"/c/{course.slug}/comments/{comment_id}/edit"
    bo.post(edit, {"body": "Hi @Cy Young and @Dee Dee."})
    bo.post(edit, {"body": "Hi @Dee Dee."})
    bo.post(edit, {"body": "Hi @Dee Dee and @Cy Young."})
    assert [n.user_id for n in notes(kind="mention")] == [people["cy"].id, people["dee"].id]


def test_a_mention_in_a_held_comment_is_told_once_it_is_approved_and_not_again(klass, make_visitor):
    course, people, _, response = klass
    course.moderation_policy = "all"
    db.session.commit()
    bo = make_visitor(people["bo"])
    comment_id = comment(bo, response, "Held, @Cy Young.")
    bo.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": "Still held, @Cy Young."})
    assert notes(kind="mention") == []
    iris = make_visitor(people["iris"])
    assert iris.post(f"/c/{course.slug}/comments/{comment_id}/approve").status_code == 302
    assert [n.user_id for n in notes(kind="mention")] == [people["cy"].id]
    assert iris.post(f"/c/{course.slug}/comments/{comment_id}/hide", {"reason": "Wait"}).status_code == 302
    assert iris.post(f"/c/{course.slug}/comments/{comment_id}/unhide").status_code == 302
    assert bo.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": "Approved, @Cy Young."}).status_code == 302
    assert [n.user_id for n in notes(kind="mention")] == [people["cy"].id]


# The cap -------------------------------------------------------------------------------------------------------


def test_a_comment_naming_more_people_than_the_cap_is_refused_with_its_text_kept(klass, make_visitor, monkeypatch, app):
    course, people, _, response = klass
    monkeypatch.setitem(app.config, "MENTION_LIMIT", 2)
    bo = make_visitor(people["bo"])
    text = "Thoughts, @Cy Young, @Dee Dee and @Iris Instructor?"
    refused = bo.post(f"/c/{course.slug}/posts/{response.id}/comments", {"body": text})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "names 3 people; a comment or post may mention at most 2" in page
    assert text in page  # still in the composer
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert notes() == []

    comment_id = comment(bo, response, "Thoughts, @Cy Young and @Dee Dee?")  # two are fine
    refused = bo.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": text})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "may mention at most 2" in page and text in page
    assert factories.reload(db.session.get(Comment, comment_id)).body_md == "Thoughts, @Cy Young and @Dee Dee?"


def test_a_post_naming_more_people_than_the_cap_is_refused_with_everything_kept(klass, make_visitor, monkeypatch, app):
    course, people, reading, _ = klass
    monkeypatch.setitem(app.config, "MENTION_LIMIT", 2)
    cy = make_visitor(people["cy"])
    text = "Asking @Bo Chen, @Dee Dee and @Ada Lovelace."
    refused = cy.post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Cy's take", "body": text, "publish": "Publish"},
    )
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "names 3 people; a comment or post may mention at most 2" in page
    assert text in page and 'value="Cy\'s take"' in page
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.author_id == people["cy"].id)) == 0


def test_the_default_cap_is_fifty_distinct_people_and_repeats_count_once(klass, make_visitor):
    course, people, _, response = klass
    _many_members(course, 51, prefix="Extra")
    bo = make_visitor(people["bo"])
    fifty = " ".join(f"@Extra {n:04}" for n in range(50))
    comment(bo, response, f"{fifty} and again {fifty}")  # fifty people, each named twice
    assert len(notes(kind="mention")) == 50
    refused = bo.post(f"/c/{course.slug}/posts/{response.id}/comments", {"body": f"{fifty} @Extra 0050"})
    assert refused.status_code == 422
    assert "names 51 people; a comment or post may mention at most 50" in html.unescape(refused.get_data(as_text=True))


def test_there_is_no_everyone_mention(klass, make_visitor):
    _, people, _, response = klass
    for word in ("everyone", "all", "here", "channel", "class", "students"):
        comment(make_visitor(people["bo"]), response, f"Hello @{word}!")
    assert notes(kind="mention") == []


# A thousand names ----------------------------------------------------------------------------------------------


@pytest.fixture
def waiting_queue(app, tmp_path):
    """The outbox's deliveries wait in a SQLite queue for this test (as they would for a worker) instead of running
    in their caller; the test runs the rows it wants with _run_waiting."""
    configure_queue(None, tmp_path)
    yield huey
    huey.flush()
    configure_queue("immediate", Path(app.instance_path))


def _waiting(kind: str) -> list:
    db.session.expire_all()
    return db.session.execute(
        select(OutboxItem.id, OutboxItem.kind, OutboxItem.payload)
        .where(OutboxItem.kind == kind, OutboxItem.done_at.is_(None))
        .order_by(OutboxItem.id)
    ).all()


def _run_waiting(kind: str) -> int:
    """Run the waiting outbox rows of `kind` as a worker would, leaving the others waiting; how many ran."""
    rows = _waiting(kind)
    for row in rows:
        claim = update(OutboxItem).where(OutboxItem.id == row.id)  # claimed (its attempt counted) as _claim does
        attempt = db.session.scalar(claim.values(attempts=OutboxItem.attempts + 1).returning(OutboxItem.attempts))
        db.session.commit()
        outbox_service._run(row.id, row.kind, row.payload, attempt)
    return len(rows)


def _many_members(course, count: int, role: str = Role.STUDENT, prefix: str = "Member") -> list[int]:
    """`count` members named "<prefix> 0001"… in one insert each (the factories commit a row at a time)."""
    start = db.session.scalar(select(func.coalesce(func.max(User.id), 0))) + 1
    rows = [
        {
            "email": f"{prefix.lower()}{n}@example.edu",
            "display_name": f"{prefix} {n:04}",
            "password_hash": factories._PASSWORD_HASH,
        }
        for n in range(count)
    ]
    db.session.execute(insert(User), rows)
    ids = list(db.session.scalars(select(User.id).where(User.id >= start, User.display_name.like(f"{prefix} %"))))
    db.session.execute(insert(Membership), [{"course_id": course.id, "user_id": uid, "role": role} for uid in ids])
    db.session.commit()
    return sorted(ids)


def test_a_comment_naming_a_thousand_people_costs_the_request_few_queries_and_tells_those_who_may_see_it(
    klass, make_visitor, app, monkeypatch, waiting_queue
):
    course, people, reading, _ = klass
    reading.responses_hidden_until_posted = True  # classmates see responses once they posted their own
    db.session.commit()
    members = _many_members(course, 1000)
    unlocked = set(members[:100])
    db.session.execute(
        insert(Post),
        [
            {
                "course_id": course.id,
                "author_id": uid,
                "kind": "response",
                "reading_id": reading.id,
                "title": "Mine",
                "body_md": "My view.",
                "body_html": "<p>My view.</p>",
                "word_count": 2,
                "status": "published",
                "visibility": Visibility.VISIBLE,
            }
            for uid in unlocked
        ],
    )
    db.session.commit()
    outsiders = [factories.user(f"Outsider {n}") for n in range(3)]  # named, but not in the course
    author = db.session.get(User, members[0])
    target = factories.response(course, author, reading, title="Member 0000's response")
    commenter = db.session.get(User, members[1])
    names = [f"@Member {n:04}" for n in range(1000)] + [f"@{o.display_name}" for o in outsiders]
    text = "Calling " + " ".join(names) + " and @Iris Instructor"
    monkeypatch.setitem(app.config, "MENTION_LIMIT", 2000)  # this test is about the fan-out, not the cap
    visitor = make_visitor(commenter)
    visitor.csrf_token(f"/c/{course.slug}/posts/{target.id}")
    with count_queries() as queries:
        started = time.perf_counter()
        response = visitor.post(f"/c/{course.slug}/posts/{target.id}/comments", {"body": text})
        took = time.perf_counter() - started
    print(f"\nthe request naming 1,000 people: {len(queries)} queries, {took * 1000:.0f} ms")
    assert response.status_code == 302
    assert len(queries) <= 40, queries

    # Nobody is told of a mention until the queue's worker fans it out.
    assert notes(kind="mention") == []
    started = time.perf_counter()
    assert _run_waiting(services.MENTIONS_KIND) == 1
    print(f"the worker's fan-out job: {(time.perf_counter() - started) * 1000:.0f} ms")
    told = {n.user_id for n in notes(kind="mention")}
    # Everyone named who may see the comment (the post's author is told of it as mentioned, not as its author,
    # as ever); the commenter never.
    assert told == (unlocked - {members[1]}) | {people["iris"].id}
    assert told.isdisjoint(set(members[100:]))  # they have not posted: the gate hides the response from them
    assert told.isdisjoint({o.id for o in outsiders})
    # Each told person's email waits in the outbox, one each.
    assert len(_waiting(services.EMAIL_KIND)) == len(told)


def test_the_fan_out_reads_the_item_when_it_runs_and_never_tells_twice(klass, make_visitor, waiting_queue):
    course, people, _, response = klass
    bo = make_visitor(people["bo"])
    kept = comment(bo, response, "For @Cy Young.")
    gone = comment(bo, response, "For @Dee Dee.")
    bo.post(f"/c/{course.slug}/comments/{gone}/delete")
    assert _run_waiting(services.MENTIONS_KIND) == 2
    assert [n.user_id for n in notes(kind="mention")] == [people["cy"].id]  # Dee's comment was deleted meanwhile
    assert services.fan_out_mentions("comment", kept) == 0  # run again (a retry, a second worker): nobody new


def test_a_comment_without_an_at_sign_queues_nothing(klass, make_visitor, waiting_queue):
    _, people, _, response = klass
    comment(make_visitor(people["bo"]), response, "No names here.")
    assert [row.kind for row in _waiting(services.MENTIONS_KIND)] == []
    assert len(_waiting(services.THREAD_BATCH_KIND)) == 1  # Ada's "comment on your post", batched for the hour


def test_a_mention_in_a_comment_on_a_hidden_reading_tells_only_staff(klass, make_visitor):
    course, people, reading, _ = klass
    assistant = factories.member(course, Role.ASSISTANT, "Tess Assistant")
    reading.visibility = Visibility.HIDDEN
    db.session.commit()
    iris = make_visitor(people["iris"])
    comment(iris, reading, "For @Tess Assistant, @Bo Chen and @Cy Young.")
    assert {n.user_id for n in notes(kind="mention")} == {assistant.id}


def test_who_may_see_decides_for_many_people_as_visible_items_does_for_each(klass):
    """The batched rule (one query for all) against the per-person one, over items each of the rules hides."""
    course, people, reading, response = klass
    assistant = factories.member(course, Role.ASSISTANT, "Tess Assistant")
    gated = factories.reading(course, title="Gated", responses_hidden_until_posted=True, unlock_min_words=3)
    behind = factories.response(course, people["bo"], gated, title="Bo's gated response")
    factories.response(course, people["cy"], gated, title="Cy unlocks", body="Long enough to unlock it.")
    factories.response(course, people["dee"], gated, title="Dee is too short", body="Too short")
    hidden_reading = factories.reading(course, title="Hidden", visibility=Visibility.HIDDEN)
    draft = factories.response(course, people["ada"], reading, title="A draft", published=False)
    held = factories.response(course, people["bo"], reading, title="Held", visibility=Visibility.HELD)
    deleted = factories.response(course, people["cy"], reading, title="Gone", deleted_at=utcnow())
    items = [
        (reading, None),
        (response, None),
        (behind, None),
        (hidden_reading, None),
        (draft, None),
        (held, None),
        (deleted, None),
        (behind, factories.comment(behind, people["bo"], "On a gated response")),
        (response, factories.comment(response, people["bo"], "Held comment", visibility=Visibility.HELD)),
        (response, factories.comment(response, people["cy"], "Hidden comment", visibility=Visibility.HIDDEN)),
        (hidden_reading, factories.comment(hidden_reading, people["iris"], "On a hidden reading")),
        (response, factories.comment(response, people["dee"], "Deleted", deleted_at=utcnow())),
        (draft, factories.comment(draft, people["ada"], "On a draft")),
    ]
    everyone = [*people.values(), assistant]
    contexts = access.member_contexts(course, {p.id for p in everyone})
    for post, item in items:
        db.session.refresh(post)  # loaded, as notify() has it: the count is the rule's own
        if item is not None:
            db.session.refresh(item)
        with count_queries() as queries:
            batched = access.who_may_see(contexts, post, item)
        assert len(queries) <= 2, queries  # its reading, and who unlocked it
        one_by_one = {
            uid
            for uid, ctx in contexts.items()
            if (item is not None and item.id in access.visible_items(ctx, (), {item.id})[1])
            or (item is None and post.id in access.visible_items(ctx, {post.id}, ())[0])
        }
        assert batched == one_by_one, (post.title, item and item.body_md)


# Mentions off ------------------------------------------------------------------------------------------------


def _mentions_off(visitor, course) -> None:
    form = _settings_form(visitor, course.slug) | {"mention": "off", "email_notifications": "y"}
    assert visitor.post(f"/c/{course.slug}/notifications", form).status_code == 302


def test_a_reply_naming_someone_with_mentions_off_still_tells_them_of_the_reply(klass, make_visitor, inbox):
    course, people, _, response = klass
    bo = make_visitor(people["bo"])
    _mentions_off(bo, course)
    first = comment(bo, response, "My point.")
    comment(make_visitor(people["cy"]), response, "I disagree, @Bo Chen.", parent_id=first)
    assert [n.kind for n in notes(people["bo"])] == ["reply"]
    [email] = inbox.messages(to=people["bo"].email)
    assert "replied to your comment" in email["Subject"]


def test_a_comment_naming_the_post_author_with_mentions_off_still_tells_them_of_the_comment(klass, make_visitor):
    course, people, _, response = klass
    _mentions_off(make_visitor(people["ada"]), course)
    comment(make_visitor(people["cy"]), response, "Nice one, @Ada Lovelace.")
    assert [n.kind for n in notes(people["ada"])] == ["comment"]


def test_a_reading_naming_someone_with_mentions_off_still_tells_them_of_the_reading(klass, make_visitor):
    course, people, _, _ = klass
    _mentions_off(make_visitor(people["bo"]), course)
    form = {"title": "Chapter two", "body": "Read it, @Bo Chen and @Cy Young.", "prompt": "Why?", "week": "Week 2"}
    form |= {"timezone": "UTC", "unlock_min_words": "0", "publish": "Publish"}
    assert make_visitor(people["iris"]).post(f"/c/{course.slug}/readings/new", form).status_code == 302
    assert [n.kind for n in notes(people["bo"])] == ["reading"]
    assert [n.kind for n in notes(people["cy"])] == ["mention"]  # told once, of the mention


def test_a_response_naming_the_reading_author_with_mentions_off_still_tells_them_of_the_response(klass, make_visitor):
    course, people, reading, _ = klass
    iris = make_visitor(people["iris"])
    form = _settings_form(iris, course.slug) | {"mention": "off", "response": "app", "email_notifications": "y"}
    assert iris.post(f"/c/{course.slug}/notifications", form).status_code == 302
    posted = make_visitor(people["cy"]).post(
        f"/c/{course.slug}/readings/{reading.id}/respond",
        {"title": "Cy's take", "body": "As @Iris Instructor asked.", "publish": "Publish"},
    )
    assert posted.status_code == 302
    assert [n.kind for n in notes(people["iris"])] == ["response"]
