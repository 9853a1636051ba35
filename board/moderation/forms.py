"""Forms for awards, hiding and reporting."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import BADGES


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason."), Length(max=2000)])


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "What is wrong with it?",
        validators=[DataRequired(message="Say what is wrong, so a moderator can judge it."), Length(max=2000)],
    )


class AwardForm(FlaskForm):
    award_type_id = SelectField("Award", coerce=int, validators=[DataRequired()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])


class AwardTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Short description", validators=[Optional(), Length(max=500)])
    badge = RadioField(
        "Badge", choices=[SelectChoice(b, b.title()) for b in BADGES], default="star", validators=[DataRequired()]
    )
    per_reading_limit = IntegerField(
        "At most this many per reading",
        description="Counts the reading's responses and every comment on them. Leave empty for no limit.",
        validators=[Optional(), NumberRange(min=1, max=1000, message="A number from 1 to 1000, or empty.")],
    )
