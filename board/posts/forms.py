"""Forms for readings, responses and comments."""

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .. import timezones
from ..desk.grading_forms import finite_number

BODY_MAX = 100_000


def new_submission_key() -> str:
    """A random key for one composer form, so that sending it twice creates one item (each page gets its own, so two
    tabs never share one)."""
    return secrets.token_urlsafe(24)


class _SubmissionKey:
    # A resend of the same form (double click, reload, "Post again") carries the same key; the service keeps one.
    submission_key = HiddenField(default=new_submission_key, validators=[Optional(), Length(max=64)])


class _PublishButtons:
    save_draft = SubmitField("Save draft")
    publish = SubmitField("Publish")


class _PreviewButton:
    # Shows the text as it will be published and the form again, saving nothing (without JavaScript; with it, the
    # preview is live).
    preview = SubmitField("Preview")


class _Attachment:
    # A picture or file sent with the form, without JavaScript (board/posts/attachments.py); with it, uploads.js sends
    # each file on its own and these stay empty.
    attachment = FileField("Picture or file")
    attachment_alt = StringField(
        "Description of the picture (alt text)",
        description="For someone who cannot see it. A picture needs one; a file does not.",
        validators=[Optional(), Length(max=500)],
    )


class ReadingForm(_PublishButtons, _PreviewButton, _Attachment, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Reading", description="Markdown", validators=[DataRequired(), Length(max=BODY_MAX)])
    source = TextAreaField("Source or citation", validators=[Optional(), Length(max=2000)])
    prompt = TextAreaField("Discussion prompt", description="Markdown", validators=[Optional(), Length(max=5000)])
    week = StringField("Week or module", description="For example Week 10", validators=[Optional(), Length(max=60)])
    due_at = DateTimeLocalField("Responses due", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    #: The zone the due dates are written in: the editing person's effective zone (timezones.zone_name), carried
    #: so that a form shown again reads back as it was shown.
    timezone = HiddenField()
    pinned = BooleanField("Pin to the top of the course home")
    responses_hidden_until_posted = BooleanField("Students must post a response before they see classmates' responses")
    unlock_min_words = IntegerField(
        "Minimum words in the response that unlocks classmates' responses",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=5000)],
    )
    # Checkpoints and grading (board/desk/): replies to classmates due by a second date, and the points possible.
    reply_due_at = DateTimeLocalField("Replies due", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    required_replies = IntegerField(
        "Required replies to classmates' responses",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=50)],
    )
    max_points = FloatField(
        "Points a response is graded out of",
        description="Leave empty if the reading is not graded.",
        validators=[Optional(), finite_number, NumberRange(min=0, max=100_000)],
    )

    def __init__(self, *args, zone: str | None = None, **kwargs):
        """`zone`: the editing person's effective zone. A stored due date (UTC) is shown in it; a typed one is read in
        the zone the form was shown in (its hidden field), else in it."""
        super().__init__(*args, **kwargs)
        zone = zone or timezones.DEFAULT
        if not self.is_submitted() or not timezones.is_valid(self.timezone.data):
            self.timezone.data = zone
        if not self.is_submitted():
            for due in (self.due_at, self.reply_due_at):
                if isinstance(due.data, datetime):
                    due.data = timezones.local(due.data, zone).replace(tzinfo=None)

    def due_at_utc(self) -> datetime | None:
        """The due date as typed, read in the form's zone (the editing person's), in UTC."""
        try:
            return _in_utc(self.due_at.data, self.timezone.data)
        except OverflowError:
            return None  # validate_due_at refuses it; the form is shown again

    def reply_due_at_utc(self) -> datetime | None:
        """The replies' due date, read like due_at."""
        try:
            return _in_utc(self.reply_due_at.data, self.timezone.data)
        except OverflowError:
            return None

    def validate_due_at(self, field) -> None:
        """Refuse a date that leaves the calendar once moved to UTC (9999-12-31 23:59 west of Greenwich)."""
        try:
            _in_utc(field.data, self.timezone.data)
        except OverflowError:
            raise ValidationError(
                "That date is too close to the edge of the calendar. Choose one nearer today."
            ) from None

    def validate_reply_due_at(self, field) -> None:
        """Like due_at; and replies, which answer classmates' responses, are not due before the responses."""
        self.validate_due_at(field)
        if field.data and self.due_at.data and field.data < self.due_at.data:
            raise ValidationError("Replies are due after the responses they answer: choose a later date.")


def _in_utc(local: datetime | None, timezone: str | None) -> datetime | None:
    if local is None:
        return None
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = UTC  # an unknown or malformed zone name (it comes from the browser) reads as UTC
    return local.replace(tzinfo=zone).astimezone(UTC)


class ResponseForm(_SubmissionKey, _PublishButtons, _PreviewButton, _Attachment, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Your response", description="Markdown", validators=[DataRequired(), Length(max=BODY_MAX)])
    anonymous = BooleanField("Post anonymously to classmates")


class CommentForm(_SubmissionKey, _PreviewButton, _Attachment, FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(message="Write something first."), Length(max=20_000)])
    parent_id = HiddenField()
    anonymous = BooleanField("Comment anonymously to classmates")


class CommentEditForm(_PreviewButton, _Attachment, FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(message="Write something first."), Length(max=20_000)])


class PreviewForm(_PreviewButton, FlaskForm):
    """The formatting help's try-it box, and the composers' live preview."""

    body = TextAreaField("Your text", validators=[Length(max=BODY_MAX)])
