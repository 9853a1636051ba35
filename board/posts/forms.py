"""Forms for readings, responses and comments."""

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

BODY_MAX = 100_000


def new_submission_key() -> str:
    """A random key for one composer form, so that sending it twice creates one item."""
    return secrets.token_urlsafe(24)


class _SubmissionKey:
    # A resend of the same form (double click, reload, "Post again") carries the same key; the service keeps one.
    submission_key = HiddenField(default=new_submission_key, validators=[Optional(), Length(max=64)])


class _PublishButtons:
    save_draft = SubmitField("Save draft")
    publish = SubmitField("Publish")


class ReadingForm(_PublishButtons, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Reading", description="Markdown", validators=[DataRequired(), Length(max=BODY_MAX)])
    source = TextAreaField("Source or citation", validators=[Optional(), Length(max=2000)])
    prompt = TextAreaField("Discussion prompt", description="Markdown", validators=[Optional(), Length(max=5000)])
    week = StringField("Week or module", description="For example Week 10", validators=[Optional(), Length(max=60)])
    due_at = DateTimeLocalField("Responses due", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    timezone = HiddenField(default="UTC")
    pinned = BooleanField("Pin to the top of the course home")
    responses_hidden_until_posted = BooleanField("Students must post a response before they see classmates' responses")
    unlock_min_words = IntegerField(
        "Minimum words in the response that unlocks classmates' responses",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=5000)],
    )


class ResponseForm(_SubmissionKey, _PublishButtons, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Your response", description="Markdown", validators=[DataRequired(), Length(max=BODY_MAX)])
    anonymous = BooleanField("Post anonymously to classmates")


class CommentForm(_SubmissionKey, FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(message="Write something first."), Length(max=20_000)])
    parent_id = HiddenField()
    anonymous = BooleanField("Comment anonymously to classmates")


class CommentEditForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(message="Write something first."), Length(max=20_000)])
