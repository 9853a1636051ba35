"""Turn a post's comments (fetched in one query) into the nested thread a reader sees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..models import Comment

MAX_DEPTH = 5


@dataclass
class ThreadItem:
    comment: Comment
    depth: int  # shown depth, 1..MAX_DEPTH
    # The parent of a reply deeper than MAX_DEPTH (shown at MAX_DEPTH), unless the parent is a placeholder, whose
    # author the reader must not learn.
    in_reply_to: Comment | None
    placeholder: str | None  # "deleted", "hidden" or "held": shown in place of a comment that has visible replies
    likes: int = 0
    liked: bool = False
    awards: list = field(default_factory=list)  # the comment's awards, oldest first


def build_thread(comments: Iterable[Comment], *, readable: Callable[[Comment], bool]) -> list[ThreadItem]:
    """Depth-first, oldest first among siblings (as WordPress does), with unreadable comments kept as placeholders
    only where they have readable replies, so the thread stays whole."""
    children: dict[int | None, list[Comment]] = defaultdict(list)
    by_id: dict[int, Comment] = {}
    for comment in sorted(comments, key=lambda c: (c.created_at, c.id)):
        children[comment.parent_id].append(comment)
        by_id[comment.id] = comment

    # An explicit stack, not recursion: a chain of replies can be deeper than Python's recursion limit.
    order: list[tuple[Comment, int]] = []
    stack = [(comment, 1) for comment in reversed(children[None])]
    while stack:
        comment, depth = stack.pop()
        order.append((comment, depth))
        stack.extend((child, depth + 1) for child in reversed(children[comment.id]))

    # Replies come after their parent in `order`, so walking it backwards settles every reply before its parent.
    own = {comment.id: _readable(comment, readable) for comment, _ in order}
    shown: dict[int, bool] = {}
    for comment, _ in reversed(order):
        shown[comment.id] = own[comment.id] or any(shown[child.id] for child in children[comment.id])

    items: list[ThreadItem] = []
    for comment, depth in order:
        if not shown[comment.id]:
            continue
        placeholder = None if own[comment.id] else _placeholder(comment)
        in_reply_to = by_id[comment.parent_id] if depth > MAX_DEPTH and own[comment.parent_id] else None
        items.append(ThreadItem(comment, min(depth, MAX_DEPTH), in_reply_to, placeholder))
    return items


def _readable(comment: Comment, readable: Callable[[Comment], bool]) -> bool:
    return comment.deleted_at is None and readable(comment)


def _placeholder(comment: Comment) -> str:
    if comment.deleted_at is not None:
        return "deleted"
    return comment.visibility
