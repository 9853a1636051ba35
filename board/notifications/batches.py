"""One email per thread per hour: the batched email of a thread's comments (Delivery.HOURLY, the default for
comments on your own posts), and the one-click switch its links open.

A batched notification adds, in the transaction that creates it, one outbox row per person, thread and hour, not due
before the hour ends (services._batch_later). When it is due, email_thread_batch builds the email from that hour's
notifications as they stand then: what was read, hidden, held, deleted or is behind the post-first gate meanwhile is
left out (services.present, through board/access.py), names follow anonymity, and nothing is sent when nothing is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from .. import mail, timezones
from ..extensions import db
from ..models import MAX_ID, Course, Post, User
from ..templating import plural
from ..urls import links_context
from . import services
from .models import Delivery, Notification, NotificationPreference

_SWITCH_SALT = "board-delivery-switch"
#: What a batched email offers to switch to, in its order.
SWITCHES = (Delivery.NOW, Delivery.DAILY, Delivery.APP)
SWITCH_WORDS = {
    Delivery.NOW: "Email me each one at once",
    Delivery.DAILY: "Send them in my daily digest",
    Delivery.APP: "Stop these emails (still shown in Board)",
}


def batch_items(user: User, post_id: int, start: datetime, end: datetime) -> list[services.Shown]:
    """What `user`'s email of this thread's hour holds: their unread notifications about it from [start, end), of
    kinds they still take batched, that they may still see now."""
    batched = [kind for kind, info in services.KINDS.items() if info.batchable]
    found = list(
        db.session.scalars(
            services.notifications_of(user)
            .where(
                Notification.post_id == post_id,
                Notification.kind.in_(batched),
                Notification.created_at >= start,
                Notification.created_at < end,
                Notification.read_at.is_(None),
            )
            .order_by(Notification.created_at, Notification.id)
        ).unique()
    )
    if not found:
        return []
    kinds = {n.kind for n in found}
    wanted_kinds = {
        kind
        for kind in kinds
        if services.deliveries_of(found[0].course_id, kind, {user.id})[user.id] == Delivery.HOURLY
    }
    wanted = [n for n in found if n.kind in wanted_kinds]
    return [shown for shown in services.present(user, wanted) if shown.visible]


def email_thread_batch(
    user_id: int, post_id: int, start: datetime, end: datetime, message_id: str | None = None
) -> bool:
    """Email `user_id` the comments on one thread from one hour, built now, at send time; whether it was sent. Run
    by the outbox (board/notifications/tasks.py) once the hour is over."""
    user = db.session.get(User, user_id)
    post = db.session.get(Post, post_id)
    if user is None or post is None or not user.email_notifications:
        return False
    course = db.session.get(Course, post.course_id)
    with links_context():
        items = batch_items(user, post_id, start, end)
        if not items:
            return False
        kinds = sorted({item.notification.kind for item in items})
        zone = timezones.zone_name(user, course)
        subject = f"{items[0].course_name}: {plural(len(items), 'new comment')} on “{post.title}”"
        switches = [
            (
                SWITCH_WORDS[to],
                services.absolute(url_for("notifications.switch", token=switch_token(user, course, kinds, to))),
            )
            for to in SWITCHES
        ]
        message = services.compose(
            user,
            subject,
            "thread_batch",
            items,
            post=post,
            post_url=services.absolute(url_for("posts.show", slug=course.slug, post_id=post.id)),
            time_zone=zone,
            switches=switches,
            kind_labels=[services.KINDS[kind].label for kind in kinds],
        )
    mail.send_message(**message, message_id=message_id)
    return True


# The one-click switch ----------------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SWITCH_SALT)


def switch_token(user: User, course: Course, kinds: list[str], to: str) -> str:
    """A signed link's token: switch `kinds` of `user` in `course` to the delivery `to`."""
    return _serializer().dumps({"user": user.id, "course": course.id, "kinds": kinds, "to": to})


@dataclass(frozen=True)
class Switch:
    """What a switch link asks: these kinds of this person's notifications in this course, to come as `to`."""

    user: User
    course: Course
    kinds: tuple[str, ...]
    to: str

    @property
    def labels(self) -> list[str]:
        return [services.KINDS[kind].label for kind in self.kinds]

    @property
    def to_label(self) -> str:
        return services.DELIVERIES[self.to]


def switch_for(token: str) -> Switch | None:
    """The switch a signed token asks for; None when it is forged, or names nobody, no course or no such choice."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    user_id, course_id, kinds, to = data.get("user"), data.get("course"), data.get("kinds"), data.get("to")
    if not all(_an_id(value) for value in (user_id, course_id)) or to not in SWITCHES:
        return None
    if not isinstance(kinds, list) or not kinds or not all(kind in services.KINDS for kind in kinds):
        return None
    user, course = db.session.get(User, user_id), db.session.get(Course, course_id)
    if user is None or course is None:
        return None
    return Switch(user, course, tuple(kinds), to)


def _an_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def apply_switch(switch: Switch) -> None:
    """Store the switch as the person's choice for those kinds in that course (their switch for all email stays as
    it is: an old email's link never turns email back on)."""
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id == switch.user.id,
                NotificationPreference.course_id == switch.course.id,
                NotificationPreference.kind.in_(switch.kinds),
            )
        )
    }
    for kind in switch.kinds:
        if kind in rows:
            rows[kind].delivery = switch.to
        else:
            db.session.add(
                NotificationPreference(
                    user_id=switch.user.id, course_id=switch.course.id, kind=kind, delivery=switch.to
                )
            )
    db.session.commit()
