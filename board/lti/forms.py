"""Forms of the LTI pages: registering a platform (site admin) and an instructor's first launch."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class PlatformForm(FlaskForm):
    """A platform's registration, with the values the LMS showed when Board was added there."""

    name = StringField("Name (for you)", validators=[Length(max=120)])
    issuer = StringField("Issuer (platform ID)", validators=[DataRequired(), Length(max=255)])
    client_id = StringField("Client ID", validators=[DataRequired(), Length(max=255)])
    deployment_ids = TextAreaField("Deployment IDs (one a line)", validators=[DataRequired(), Length(max=5000)])
    auth_login_url = StringField("OIDC authentication URL", validators=[DataRequired(), Length(max=500)])
    auth_token_url = StringField("Access token URL", validators=[DataRequired(), Length(max=500)])
    key_set_url = StringField("Public keyset (JWKS) URL", validators=[DataRequired(), Length(max=500)])
    auth_audience = StringField("Token audience (Brightspace only)", validators=[Length(max=500)])
    frame_origins = TextAreaField(
        "The LMS's own addresses, one a line (where its pages are not on the issuer's host, as with Canvas)",
        validators=[Length(max=2000)],
    )


class CourseSetupForm(FlaskForm):
    """An instructor's first launch from an LMS course: a new Board course, or one of theirs."""

    choice = RadioField(
        "This LMS course opens",
        choices=[SelectChoice("new", "A new Board course"), SelectChoice("existing", "One of my Board courses")],
        default="new",
        validators=[DataRequired()],
    )
    course_id = SelectField(
        "My course", coerce=int, choices=[], validate_choice=False, validators=[Optional()]
    )  # checked against the instructor's own courses in the view


class DeepLinkForm(FlaskForm):
    """What a new LMS link opens: the course home, or one published reading (choices set by the view)."""

    target = RadioField("This LMS link opens", choices=[], validators=[DataRequired()])


class IdentityForm(FlaskForm):
    """An LMS user Board has not seen: link the account signed in here, or make a new one."""

    choice = RadioField(
        "This LMS identity opens",
        choices=[SelectChoice("link", "My Board account"), SelectChoice("new", "A new Board account")],
        validators=[DataRequired()],
    )
