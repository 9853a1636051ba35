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
    # The parent of a reply at MAX_DEPTH or deeper (all shown at MAX_DEPTH, where the nesting no longer shows the
    # parent for sure), unless the reply or its parent is a placeholder (whose author the reader must not learn).
    in_reply_to: Comment | None
    placeholder: str | None  # "deleted", "hidden" or "held": shown in place of a comment that has visible replies
    # Its branch: how many readable replies are under it when they are wrapped in a collapsible <details> after it
    # (0: none, or they are shown flat beside it, past MAX_DEPTH), and how many such wrappers close after it.
    replies: int = 0
    closes: int = 0
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

    # Readable replies under each comment, whatever their depth (the count on its branch's "N replies").
    under: dict[int, int] = defaultdict(int)
    for comment, _ in reversed(order):
        if comment.parent_id is not None and shown[comment.id]:
            under[comment.parent_id] += under[comment.id] + own[comment.id]

    items: list[ThreadItem] = []
    open_branches: list[int] = []  # depths of the comments whose branch wrappers are open, innermost last
    for comment, depth in order:
        if not shown[comment.id]:
            continue
        while open_branches and open_branches[-1] >= depth:
            open_branches.pop()
            items[-1].closes += 1
        placeholder = None if own[comment.id] else _placeholder(comment)
        in_reply_to = (
            by_id[comment.parent_id] if depth >= MAX_DEPTH and own[comment.id] and own[comment.parent_id] else None
        )
        item = ThreadItem(comment, min(depth, MAX_DEPTH), in_reply_to, placeholder)
        if depth < MAX_DEPTH and under[comment.id]:
            item.replies = under[comment.id]
            open_branches.append(depth)
        items.append(item)
    if items:
        items[-1].closes += len(open_branches)
    return items


def _readable(comment: Comment, readable: Callable[[Comment], bool]) -> bool:
    return comment.deleted_at is None and readable(comment)


def _placeholder(comment: Comment) -> str:
    if comment.deleted_at is not None:
        return "deleted"
    return comment.visibility
