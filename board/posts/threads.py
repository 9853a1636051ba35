"""Turn a post's comments (fetched in one query) into the nested thread a reader sees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..models import Comment

MAX_DEPTH = 5


@dataclass
class ThreadItem:
    comment: Comment
    depth: int  # shown depth, 1..MAX_DEPTH
    in_reply_to: Comment | None  # set when the reply is deeper than MAX_DEPTH and is shown at MAX_DEPTH
    placeholder: str | None  # "deleted", "hidden" or "held": shown in place of a comment that has visible replies
    likes: int = 0
    liked: bool = False


def build_thread(comments: Iterable[Comment], *, readable: Callable[[Comment], bool]) -> list[ThreadItem]:
    """Depth-first, oldest first among siblings (as WordPress does), with unreadable comments kept as placeholders
    only where they have readable replies, so the thread stays whole."""
    children: dict[int | None, list[Comment]] = defaultdict(list)
    by_id: dict[int, Comment] = {}
    for comment in sorted(comments, key=lambda c: (c.created_at, c.id)):
        children[comment.parent_id].append(comment)
        by_id[comment.id] = comment

    shown: dict[int, bool] = {}

    def has_readable_descendant(comment: Comment) -> bool:
        if comment.id not in shown:
            shown[comment.id] = any(
                _readable(child, readable) or has_readable_descendant(child) for child in children[comment.id]
            )
        return shown[comment.id]

    items: list[ThreadItem] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for comment in children[parent_id]:
            if _readable(comment, readable):
                placeholder = None
            elif has_readable_descendant(comment):
                placeholder = _placeholder(comment)
            else:
                continue
            in_reply_to = by_id.get(comment.parent_id) if depth > MAX_DEPTH else None
            items.append(ThreadItem(comment, min(depth, MAX_DEPTH), in_reply_to, placeholder))
            walk(comment.id, depth + 1)

    walk(None, 1)
    return items


def _readable(comment: Comment, readable: Callable[[Comment], bool]) -> bool:
    return comment.deleted_at is None and readable(comment)


def _placeholder(comment: Comment) -> str:
    if comment.deleted_at is not None:
        return "deleted"
    return comment.visibility
