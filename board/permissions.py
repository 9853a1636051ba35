"""Named permissions: which course role may do what. The one place these rules live; views and templates ask can()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import LikePolicy, Role

if TYPE_CHECKING:
    from .models import Membership

_MEMBER = {
    "course:view",
    "response:create",
    "comment:create",
    "upload:create",
    "post:like",
    "report:create",
    "work:view",
}
_STAFF = _MEMBER | {
    "reading:write",
    "post:award",
    "post:moderate",
    "comment:moderate",
    "queue:view",
    "identity:see",
    "revisions:read",
    "grade:write",
    "grade:release",
    "desk:view",
    "desk:nudge",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.STUDENT: frozenset(_MEMBER),
    Role.ASSISTANT: frozenset(_STAFF),
    Role.INSTRUCTOR: frozenset(
        _STAFF
        | {"course:settings", "course:roster", "course:join_codes", "award_type:manage", "audit:read", "member:hold"}
    ),
}
ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


def can(membership: Membership | None, permission: str) -> bool:
    """Whether this course member holds `permission`; a non-member (None) holds none."""
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if membership is None:
        return False
    if permission == "post:like" and not _may_like(membership):
        return False
    return permission in ROLE_PERMISSIONS[membership.role]


def _may_like(membership: Membership) -> bool:
    # Canvas-style graded discussions: the course may keep liking to instructors and assistants.
    return membership.course.like_policy == LikePolicy.EVERYONE or membership.is_staff
