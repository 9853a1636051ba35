"""Deep linking: an instructor picks what an LMS link opens (the course home or one reading) and Board answers with
a signed LtiDeepLinkingResponse (pylti1p3 signs it with Board's key). A graded reading's item carries its line
item, so the LMS makes the gradebook column; the launches of that link name it, and grades go there."""

from __future__ import annotations

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from ..extensions import db
from ..models import Course, Post, PostKind, PostStatus
from . import people, registration
from .claims import AGS_CLAIM, CLAIM, DEEP_LINKING, DL_SETTINGS
from .models import LtiContext, LtiLineItem, LtiPlatform

TARGET = "board_target"  # the custom parameter a deep-linked item carries: "home" or "reading:<id>"


def is_deep_linking(claims: dict) -> bool:
    """Whether the launch asks the tool to choose content (a deep linking request)."""
    return claims.get(CLAIM + "message_type") == DEEP_LINKING


def pending_request(platform: LtiPlatform, claims: dict) -> dict:
    """What the deep linking response will need, kept in the instructor's session until they choose."""
    settings = claims.get(DL_SETTINGS) or {}
    context = claims.get(CLAIM + "context") or {}
    return {
        "platform_id": platform.id,
        "context_id": str(context.get("id")) if isinstance(context, dict) and context.get("id") else None,
        "deployment_id": claims.get(CLAIM + "deployment_id"),
        "settings": settings if isinstance(settings, dict) else {},
    }


def readings(course: Course) -> list[Post]:
    """The course's published readings, newest first (what a link may open)."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.course_id == course.id, Post.kind == PostKind.READING, Post.status == PostStatus.PUBLISHED)
            .order_by(Post.published_at.desc(), Post.id.desc())
        )
    )


def response_jwt(request: dict, course: Course, reading: Post | None, launch_url: str) -> str:
    """The signed LtiDeepLinkingResponse for one item: the course home, or `reading` (with its line item if graded)."""
    platform = db.session.get(LtiPlatform, request["platform_id"])
    item = DeepLinkResource().set_url(launch_url)
    if reading is None:
        item.set_title(course.title[:200]).set_custom_params({TARGET: "home"})
    else:
        item.set_title(reading.title[:200]).set_custom_params({TARGET: f"reading:{reading.id}"})
        if reading.max_points:
            item.set_lineitem(
                LineItem()
                .set_label(reading.title[:200])
                .set_score_maximum(reading.max_points)
                .set_resource_id(f"board-reading-{reading.id}")
                .set_tag(f"board-reading-{reading.id}")
            )
    deep_link = DeepLink(registration.to_registration(platform), request["deployment_id"], request["settings"])
    return deep_link.get_response_jwt([item])


def target_reading(claims: dict, course: Course) -> Post | None:
    """The published reading of `course` a deep-linked item opens, if it names one."""
    custom = claims.get(CLAIM + "custom") or {}
    target = custom.get(TARGET, "") if isinstance(custom, dict) else ""
    if not isinstance(target, str) or not target.startswith("reading:") or not target[8:].isdigit():
        return None
    reading = db.session.get(Post, int(target[8:]))
    if reading is None or reading.course_id != course.id or not reading.is_reading or not reading.is_published:
        return None
    return reading


def note_line_item(context: LtiContext, reading: Post, claims: dict) -> None:
    """Keep the line item the LMS made for a deep-linked graded reading (its launches name it), so grades go there."""
    endpoint = claims.get(AGS_CLAIM) or {}
    platform = db.session.get(LtiPlatform, context.platform_id)
    url = people.service_url(platform, endpoint.get("lineitem") if isinstance(endpoint, dict) else None, "line item")
    if url is None:
        return
    known = db.session.scalar(
        select(LtiLineItem).where(LtiLineItem.context_id == context.id, LtiLineItem.reading_id == reading.id)
    )
    if known is None:
        db.session.add(LtiLineItem(context_id=context.id, reading_id=reading.id, url=url))
    else:
        known.url = url
