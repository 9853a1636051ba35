"""What grading tells other areas, inside the transaction that made the change (before its commit), so a listener
can add outbox rows that commit with it. The desk knows no listener; the LMS grade passback (board/lti/tasks.py)
is one."""

from blinker import Namespace

_signals = Namespace()

#: Sent with the reading whose grades were just released (not on withdrawal).
grades_released = _signals.signal("grades-released")
#: Sent with a grade just saved (its row flushed, its new version in the database).
grade_saved = _signals.signal("grade-saved")
