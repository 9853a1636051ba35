"""build_thread: the order, depth and placeholders of a post's comment thread, from comments already loaded."""

import random
from datetime import UTC, datetime, timedelta

from board.models import Comment, Visibility
from board.posts.threads import MAX_DEPTH, build_thread

START = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
VIEWER, OTHER = 1, 2


def _comment(comment_id, parent=None, *, minute=None, author=OTHER, visibility=Visibility.VISIBLE, deleted=False):
    """An unsaved comment; build_thread needs only ids, times and state."""
    return Comment(
        id=comment_id,
        parent_id=parent.id if parent is not None else None,
        author_id=author,
        created_at=START + timedelta(minutes=comment_id if minute is None else minute),
        visibility=visibility,
        deleted_at=START if deleted else None,
    )


def _as_student(comment):
    """The rule a student reads by: visible comments, and their own however moderated."""
    return comment.visibility == Visibility.VISIBLE or comment.author_id == VIEWER


def _ids(items):
    return [item.comment.id for item in items]


def _everyone(comment):
    return True


def test_siblings_are_oldest_first_whatever_order_they_arrive_in():
    comments = [_comment(n, minute=60 - n) for n in range(1, 8)]
    random.Random(4).shuffle(comments)
    thread = build_thread(comments, readable=_everyone)
    assert _ids(thread) == [7, 6, 5, 4, 3, 2, 1]
    assert {item.depth for item in thread} == {1}


def test_siblings_written_in_the_same_instant_are_ordered_by_id():
    comments = [_comment(3, minute=1), _comment(1, minute=1), _comment(2, minute=1)]
    assert _ids(build_thread(comments, readable=_everyone)) == [1, 2, 3]


def test_replies_follow_their_parent_before_its_younger_sibling():
    first = _comment(1)
    second = _comment(2)
    reply_to_first = _comment(3, first)
    reply_to_reply = _comment(4, reply_to_first)
    later_reply_to_first = _comment(5, first)
    reply_to_second = _comment(6, second)
    comments = [reply_to_second, later_reply_to_first, second, reply_to_reply, first, reply_to_first]
    thread = build_thread(comments, readable=_everyone)
    assert [(item.comment.id, item.depth) for item in thread] == [(1, 1), (3, 2), (4, 3), (5, 2), (2, 1), (6, 2)]


def test_replies_deeper_than_the_cap_stay_at_the_cap_and_name_their_parent():
    chain = [_comment(1)]
    for n in range(2, 9):
        chain.append(_comment(n, chain[-1]))
    thread = build_thread(chain, readable=_everyone)
    assert [item.depth for item in thread] == [1, 2, 3, 4, 5, 5, 5, 5]
    # From the cap on (where nesting no longer shows the parent for sure) each reply names its parent itself.
    assert [item.in_reply_to for item in thread[: MAX_DEPTH - 1]] == [None] * (MAX_DEPTH - 1)
    assert [item.in_reply_to for item in thread[MAX_DEPTH - 1 :]] == chain[MAX_DEPTH - 2 : -1]


def test_a_reply_chain_deeper_than_the_recursion_limit_still_builds():
    chain = [_comment(1)]
    for n in range(2, 3001):
        chain.append(_comment(n, chain[-1]))
    chain[0].deleted_at = START
    thread = build_thread(chain, readable=_everyone)
    assert len(thread) == 3000
    assert thread[0].placeholder == "deleted"
    assert thread[-1].depth == MAX_DEPTH and thread[-1].in_reply_to is chain[-2]


def test_a_deep_reply_does_not_name_the_author_of_a_placeholder():
    chain = [_comment(1)]
    for n in range(2, 8):
        chain.append(_comment(n, chain[-1], visibility=Visibility.HIDDEN if n == 5 else Visibility.VISIBLE))
    chain[6 - 1].deleted_at = START
    thread = build_thread(chain, readable=_as_student)
    assert [(item.comment.id, item.placeholder, item.in_reply_to) for item in thread[4:]] == [
        (5, "hidden", None),
        (6, "deleted", None),
        (7, None, None),
    ]
    staff_view = build_thread(chain, readable=_everyone)
    assert [item.in_reply_to for item in staff_view[4:]] == [chain[3], None, None]  # a placeholder names no one


def test_deleted_comment_with_a_reply_becomes_a_placeholder():
    parent = _comment(1, deleted=True)
    reply = _comment(2, parent)
    thread = build_thread([parent, reply], readable=_everyone)
    assert [(item.comment.id, item.depth, item.placeholder) for item in thread] == [(1, 1, "deleted"), (2, 2, None)]


def test_deleted_comment_without_replies_is_dropped():
    kept = _comment(1)
    deleted = _comment(2, deleted=True)
    assert _ids(build_thread([kept, deleted], readable=_everyone)) == [1]


def test_deleted_comment_counts_as_deleted_even_when_the_viewer_may_read_its_author():
    deleted = _comment(1, author=VIEWER, deleted=True)
    reply = _comment(2, deleted)
    assert [item.placeholder for item in build_thread([deleted, reply], readable=_as_student)] == ["deleted", None]


def test_held_and_hidden_comments_with_readable_replies_are_placeholders_for_classmates():
    held = _comment(1, visibility=Visibility.HELD)
    reply_to_held = _comment(2, held)
    hidden = _comment(3, visibility=Visibility.HIDDEN)
    reply_to_hidden = _comment(4, hidden)
    thread = build_thread([held, reply_to_held, hidden, reply_to_hidden], readable=_as_student)
    assert [(item.comment.id, item.placeholder) for item in thread] == [
        (1, "held"),
        (2, None),
        (3, "hidden"),
        (4, None),
    ]


def test_unreadable_comments_without_readable_replies_are_dropped_whole():
    held = _comment(1, visibility=Visibility.HELD)
    hidden_reply = _comment(2, held, visibility=Visibility.HIDDEN)
    deleted_reply = _comment(3, held, deleted=True)
    shown = _comment(4)
    thread = build_thread([held, hidden_reply, deleted_reply, shown], readable=_as_student)
    assert _ids(thread) == [4]


def test_own_held_comment_is_shown_to_its_author():
    mine = _comment(1, author=VIEWER, visibility=Visibility.HELD)
    theirs = _comment(2, visibility=Visibility.HELD)
    thread = build_thread([mine, theirs], readable=_as_student)
    assert [(item.comment.id, item.placeholder) for item in thread] == [(1, None)]


def test_placeholders_are_kept_all_the_way_down_to_a_readable_reply():
    top = _comment(1, deleted=True)
    middle = _comment(2, top, visibility=Visibility.HIDDEN)
    dead_end = _comment(3, top, deleted=True)
    readable_reply = _comment(4, middle)
    thread = build_thread([top, middle, dead_end, readable_reply], readable=_as_student)
    assert [(item.comment.id, item.depth, item.placeholder) for item in thread] == [
        (1, 1, "deleted"),
        (2, 2, "hidden"),
        (4, 3, None),
    ]


def test_staff_reading_rule_shows_held_and_hidden_comments_as_themselves():
    held = _comment(1, visibility=Visibility.HELD)
    hidden = _comment(2, visibility=Visibility.HIDDEN)
    thread = build_thread([held, hidden], readable=_everyone)
    assert [(item.comment.id, item.placeholder) for item in thread] == [(1, None), (2, None)]


def test_no_comments_make_an_empty_thread():
    assert build_thread([], readable=_everyone) == []
