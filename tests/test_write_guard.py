"""board/write_guard.py: which statements count as writes (a write on GET is refused in tests, logged in production)."""

from __future__ import annotations

import pytest

from board.write_guard import writes


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT * FROM posts", False),
        ("  select count(*) from comments", False),
        ("INSERT INTO comments (body) VALUES (?)", True),
        ("update posts SET title = ?", True),
        ("DELETE FROM user_sessions WHERE id = ?", True),
        ("REPLACE INTO x VALUES (1)", True),
        ("WITH moved AS (UPDATE posts SET pinned = true RETURNING id) SELECT * FROM moved", True),
        ("WITH recent AS (SELECT id FROM posts) SELECT * FROM recent", False),
    ],
)
def test_writes_are_told_from_reads(statement, expected):
    assert writes(statement) is expected
