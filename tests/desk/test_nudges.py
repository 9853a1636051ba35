"""Nudge: one POST reminds, by email through the queue, the students who have not responded; audited; nobody is
nudged twice in a day for the same reading, even when two instructors press the button at the same moment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from board.desk import nudges, participation
from board.desk.nudge_models import Nudge
from board.extensions import db
from board.models import AuditEntry, Membership, Role, Visibility, utcnow
from board.outbox.models import OutboxItem
from board.outbox.service import deliver_due
from tests import factories
from tests.concurrency import Rendezvous, at_once
from tests.desk.world import build_class
from tests.test_jobs import queue_on  # noqa: F401


def _waiting() -> int:
    """Nudge emails in the outbox, not yet sent."""
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(OutboxItem.kind == nudges.EMAIL_KIND, OutboxItem.done_at.is_(None))
    )


@pytest.fixture
def klass():
    return build_class()


def _nudge_url(klass) -> str:
    return f"{klass.url}/desk/readings/{klass.reading.id}/nudge"


def _recipients(inbox) -> list[str]:
    return sorted(message["To"].addresses[0].addr_spec for message in inbox.messages())


def test_nudge_emails_the_students_without_a_response_once(klass, make_visitor, inbox):
    visitor = make_visitor(klass.instructor)
    page = visitor.get(f"{klass.url}/desk/readings/{klass.reading.id}/?show=missing").get_data(as_text=True)
    assert "Nudge 2 students who have not responded" in page
    response = visitor.post(_nudge_url(klass) + "?show=missing")
    assert response.status_code == 302 and response.headers["Location"].endswith("?show=missing")
    assert "Reminder sent to 2 students." in visitor.get(response.headers["Location"]).get_data(as_text=True)

    missing = sorted([klass.students["cy"].email, klass.students["di"].email])
    assert _recipients(inbox) == missing
    message = inbox.messages(klass.students["cy"].email)[0]
    assert "The reading" in message["Subject"]
    assert f"/c/{klass.course.slug}/posts/{klass.reading.id}" in message.get_body(("plain",)).get_content()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "nudge"))
    assert entry.actor_id == klass.instructor.id and "Cy Missing" in entry.detail and "Di Deleted" in entry.detail

    again = visitor.post(_nudge_url(klass))
    assert "2 already reminded today" in visitor.get(again.headers["Location"]).get_data(as_text=True)
    assert _recipients(inbox) == missing, "nobody is nudged twice in a day for the same reading"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "nudge")) == 1


def test_a_nudge_from_yesterday_does_not_stop_todays(klass, make_visitor, inbox):
    cy = klass.students["cy"]
    db.session.add(
        Nudge(
            course_id=klass.course.id,
            reading_id=klass.reading.id,
            student_id=cy.id,
            sent_by_id=klass.instructor.id,
            day=(utcnow() - timedelta(days=1)).date(),
        )
    )
    db.session.commit()
    make_visitor(klass.assistant).post(_nudge_url(klass))
    assert cy.email in _recipients(inbox)


def test_the_email_is_not_sent_to_someone_who_responded_or_left_meanwhile(klass, inbox, queue_on):  # noqa: F811
    ctx = factories.context(klass.course, klass.instructor)
    queue_on(None)  # the outbox's delivery waits in a queue nobody consumes yet
    nudges.send_nudges(ctx, klass.reading)
    assert _waiting() == 2
    factories.response(klass.course, klass.students["cy"], klass.reading, title="Cy at last")
    db.session.execute(Membership.__table__.delete().where(Membership.user_id == klass.students["di"].id))
    db.session.commit()
    deliver_due()  # what the worker does
    assert inbox.messages() == [] and _waiting() == 0


def test_two_instructors_nudging_at_once_send_each_student_one_email(klass, make_visitor, inbox, monkeypatch):
    # Both requests work out who is missing, then wait for each other, then both insert: the unique key decides.
    monkeypatch.setattr(participation, "for_reading", Rendezvous(participation.for_reading))
    instructor, assistant = make_visitor(klass.instructor), make_visitor(klass.assistant)
    results = at_once(lambda: instructor.post(_nudge_url(klass)), lambda: assistant.post(_nudge_url(klass)))
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert _recipients(inbox) == sorted([klass.students["cy"].email, klass.students["di"].email])
    assert db.session.scalar(select(func.count()).select_from(Nudge)) == 2


def test_nothing_to_nudge_when_everyone_responded(make_visitor, inbox):
    course = factories.course()
    student = factories.member(course, Role.STUDENT)
    reading = factories.reading(course)
    factories.response(course, student, reading)
    visitor = make_visitor(factories.instructor_of(course))
    page = visitor.get(f"/c/{course.slug}/desk/readings/{reading.id}/").get_data(as_text=True)
    assert "Nudge" not in page
    response = visitor.post(f"/c/{course.slug}/desk/readings/{reading.id}/nudge")
    assert "nobody to remind" in visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert inbox.messages() == []


@pytest.mark.parametrize("role", ["student", "non_member"])
def test_students_and_outsiders_cannot_nudge(klass, make_visitor, inbox, role):
    person = klass.students["ada"] if role == "student" else factories.user("Outsider")
    response = make_visitor(person).post(_nudge_url(klass))
    assert response.status_code == (403 if role == "student" else 404)
    assert inbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(Nudge)) == 0


def test_nudge_needs_the_csrf_token(klass, make_visitor, inbox):
    visitor = make_visitor(klass.instructor)
    response = visitor.client.post(_nudge_url(klass), data={})
    assert response.status_code == 400
    assert inbox.messages() == []
    assert not re.search("Reminder sent", visitor.get(f"{klass.url}/").get_data(as_text=True))


def test_a_draft_reading_cannot_be_nudged(make_visitor, inbox):
    course = factories.course()
    factories.member(course, Role.STUDENT)
    draft = factories.reading(course, published=False)
    visitor = make_visitor(factories.instructor_of(course))
    page = visitor.get(f"/c/{course.slug}/desk/readings/{draft.id}/").get_data(as_text=True)
    assert "Nudge" not in page
    response = visitor.post(f"/c/{course.slug}/desk/readings/{draft.id}/nudge")
    assert "publish it before reminding" in visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert inbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(Nudge)) == 0


def test_a_nudge_is_also_a_notification_and_its_email_obeys_the_students_choices(klass, make_visitor, inbox):
    from board.notifications.models import Notification, NotificationPreference

    cy, di = klass.students["cy"], klass.students["di"]
    di.email_notifications = False  # Di turned all email off
    db.session.commit()

    make_visitor(klass.instructor).post(_nudge_url(klass))

    assert _recipients(inbox) == [cy.email]
    message = inbox.messages(cy.email)[0]
    assert (
        message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        and "/unsubscribe/" in message["List-Unsubscribe"]
    )
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "nudge")).all()
    assert sorted(told) == sorted([cy.id, di.id]), "both see the reminder in Board"
    page = make_visitor(cy).get("/notifications").get_data(as_text=True)
    assert "Reminder: post your response" in page and klass.reading.title in page

    # Cy keeps reminders in Board only: tomorrow's nudge reaches Cy's notifications, not Cy's mailbox.
    db.session.add(NotificationPreference(user_id=cy.id, course_id=klass.course.id, kind="nudge", delivery="app"))
    db.session.execute(Nudge.__table__.delete())
    db.session.commit()
    make_visitor(klass.instructor).post(_nudge_url(klass))
    assert len(inbox.messages(cy.email)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == cy.id)) == 2


def test_a_hidden_reading_is_not_nudged_about(klass, make_visitor, inbox):
    """Students cannot see a reading a moderator hid: no email may carry its title or link to them."""
    visitor = make_visitor(klass.instructor)
    hidden = visitor.post(f"{klass.url}/posts/{klass.reading.id}/hide", {"reason": "Wrong file"})
    assert hidden.status_code == 302
    response = visitor.post(_nudge_url(klass))
    assert response.status_code == 302
    assert "Students cannot see this reading" in visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert inbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(Nudge)) == 0


def test_a_reading_hidden_after_the_nudge_is_not_emailed_about(klass, inbox, queue_on):  # noqa: F811
    ctx = factories.context(klass.course, klass.instructor)
    queue_on(None)  # the outbox's delivery waits in a queue nobody consumes yet
    nudges.send_nudges(ctx, klass.reading)
    assert _waiting() == 2
    klass.reading.visibility = Visibility.HIDDEN
    db.session.commit()
    deliver_due()  # what the worker does
    assert inbox.messages() == [] and _waiting() == 0
