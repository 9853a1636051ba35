"""Forms for grading: one student's points and feedback, and releasing a reading's grades."""

import math

from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

FEEDBACK_MAX = 20_000
WALK_PREFIX = "grade"  # the responses walk's grade form shares its page with others: its fields are grade-points, …


def finite_number(form, field) -> None:
    """Refuse NaN and infinity, which NumberRange lets through."""
    if field.data is not None and not math.isfinite(field.data):
        raise ValidationError("Enter a number, such as 8 or 7.5.")


class GradeForm(FlaskForm):
    points = FloatField(
        "Points",
        validators=[Optional(), finite_number],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "step": "any", "min": "0"},
    )
    feedback = TextAreaField(
        "Feedback",
        description="Markdown. The student sees it once grades are released.",
        validators=[Length(max=FEEDBACK_MAX)],
    )
    # The version of the grade this form was made from (0: none yet): a save over a newer one is refused.
    version = HiddenField(default="0")

    def version_number(self) -> int:
        """The version the form carries; anything that is not a small number reads as "unknown" (-1)."""
        value = (self.version.data or "").strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1
