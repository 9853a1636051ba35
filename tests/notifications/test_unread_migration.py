"""Migration 0010 (read state): members of existing courses start with everything already written marked read (so the
day it is deployed nobody finds a whole term "new"); anything written afterwards is new to them."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from board import create_app
from board.extensions import db

NOW = "2026-11-01 12:00:00"


def _rows(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(text(sql))]


def test_existing_members_have_read_what_was_written_before_the_upgrade(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        upgrade(revision="0004")
        # Written as an older Board would have: before the page cache's version table exists (migration 0011).
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, display_name, is_admin, created_at) VALUES "
                    f"(1, 'a@example.edu', 'A', false, '{NOW}'), (2, 'b@example.edu', 'B', false, '{NOW}')"
                )
            )
            for course in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO courses (id, slug, title, code, term, description, student_join_code, "
                        "assistant_join_code, allow_free_posts, moderation_policy, like_policy, allow_anonymous, "
                        f"created_at) VALUES ({course}, 'c{course}', 'Course', '', '', '', 's{course}', 'a{course}', "
                        f"false, 'open', 'everyone', false, '{NOW}')"
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO memberships (id, course_id, user_id, role, created_at) VALUES "
                    f"(1, 1, 1, 'instructor', '{NOW}'), (2, 1, 2, 'student', '{NOW}'), (3, 2, 2, 'instructor', '{NOW}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO posts (id, course_id, author_id, kind, title, body_md, body_html, word_count, source, "
                    "prompt, prompt_html, week, pinned, responses_hidden_until_posted, unlock_min_words, status, "
                    "visibility, hidden_reason, comments_locked, anonymous, created_at, updated_at) VALUES "
                    f"(1, 1, 1, 'reading', 'R', '', '', 0, '', '', '', '', false, false, 0, 'published', 'visible', "
                    f"'', false, false, '{NOW}', '{NOW}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO comments (id, course_id, post_id, author_id, depth, body_md, body_html, visibility, "
                    "hidden_reason, anonymous, created_at) VALUES "
                    + ", ".join(f"({n}, 1, 1, 1, 1, 'x', 'x', 'visible', '', false, '{NOW}')" for n in (3, 7))
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = _rows(conn, "SELECT id, read_comment_id, read_posts_at IS NOT NULL FROM memberships ORDER BY id")
            assert rows == [(1, 7, 1), (2, 7, 1), (3, 0, 1)]
            assert _rows(conn, "SELECT count(*) FROM post_reads") == [(0,)]
        db.engine.dispose()
