"""The forms that mark things read: a post (its button and its beacon send the same fields) and a whole course."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Optional, ValidationError

from ..models import MAX_ID


class MarkReadForm(FlaskForm):
    """`shown`: the highest comment id the page showed (empty: everything the reader may read now)."""

    shown = HiddenField(validators=[Optional()])
    beacon = HiddenField()

    def validate_shown(self, field) -> None:
        try:
            number = int(field.data)
        except ValueError:
            raise ValidationError("That page could not be marked as read: reload it and try again.") from None
        if not 0 <= number <= MAX_ID:
            raise ValidationError("That page could not be marked as read: reload it and try again.")

    def shown_id(self) -> int | None:
        """The validated comment id, or None for "everything now"."""
        value = (self.shown.data or "").strip()
        return int(value) if value else None

    @property
    def is_beacon(self) -> bool:
        """Sent by the page's script after it was shown (answered with 204), not by the button (a redirect)."""
        return self.beacon.data == "1"


class MarkAllReadForm(FlaskForm):
    """Only the CSRF token: the course is in the URL."""
