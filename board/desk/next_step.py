"""A student's next step on a reading, said once at the top of its page: write a response, lengthen it to unlock
classmates' responses, reply to classmates, or nothing left to do.

Built from facts the reading page has already loaded (the student's response, whether the gate is open, their
checkpoint progress, the suggested responses), so it costs no query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Post, Visibility, utcnow
from .participation import Progress, Suggestion

WRITE, DRAFT, SHORT, HELD, REPLY, DONE = "write", "draft", "short", "held", "reply", "done"


@dataclass
class NextStep:
    """What the student does next on `reading`; `state` is one of the constants above."""

    state: str
    reading: Post
    response: Post | None = None
    progress: Progress | None = None
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def words(self) -> int:
        return self.response.word_count if self.response is not None else 0

    @property
    def min_words(self) -> int:
        return self.reading.unlock_min_words or 0

    @property
    def missing_words(self) -> int:
        return max(self.min_words - self.words, 0)

    @property
    def late(self) -> bool:
        """Past the response due date (the box still says "write", with "was due")."""
        return bool(self.reading.due_at and self.reading.due_at < utcnow())

    @property
    def replies_late(self) -> bool:
        return bool(self.reading.reply_due_at and self.reading.reply_due_at < utcnow())

    @property
    def replies_left(self) -> int:
        if self.progress is None:
            return 0
        return max(self.progress.required - self.progress.replies, 0)


def is_short(reading: Post, response: Post | None) -> bool:
    """Whether a published response is too short to open the reading's "post before you see" gate."""
    return bool(
        response is not None
        and response.is_published
        and reading.responses_hidden_until_posted
        and response.word_count < (reading.unlock_min_words or 0)
    )


def next_step(
    reading: Post,
    response: Post | None,
    *,
    unlocked: bool,
    progress: Progress | None,
    suggestions: list[Suggestion],
) -> NextStep:
    """The student's next step on `reading`, given their response (first published one, else a draft), whether
    they see classmates' responses, their checkpoints and the responses suggested for their replies."""
    if response is None:
        return NextStep(WRITE, reading, progress=progress)
    if not response.is_published:
        return NextStep(DRAFT, reading, response, progress)
    if not unlocked and is_short(reading, response):
        return NextStep(SHORT, reading, response, progress)
    if not unlocked and response.visibility != Visibility.VISIBLE:
        return NextStep(HELD, reading, response, progress)
    step = NextStep(DONE, reading, response, progress, suggestions)
    if step.replies_left:
        step.state = REPLY
    return step


def short_response(reading: Post, response: Post | None) -> NextStep | None:
    """The SHORT step when `response` is too short for `reading`'s gate (a list's progress line shows its count)."""
    return NextStep(SHORT, reading, response) if is_short(reading, response) else None


def unlock_message(reading: Post, response: Post) -> str | None:
    """After saving a response that is too short to open the gate: how many words it has and how to unlock."""
    if not is_short(reading, response):
        return None
    return (
        f"Your response has {response.word_count} {'word' if response.word_count == 1 else 'words'}; the reading asks "
        f"for {reading.unlock_min_words} to see classmates’ responses. Edit it to unlock."
    )
