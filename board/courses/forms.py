"""Course forms: create, join, settings, roster."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import timezones
from ..models import Course, LikePolicy, ModerationPolicy, Role


class CourseForm(FlaskForm):
    title = StringField("Course title", validators=[DataRequired(), Length(max=200)])
    code = StringField("Course code", description="For example HIST 3644", validators=[Optional(), Length(max=40)])
    term = StringField("Term", description="For example Spring 2027", validators=[Optional(), Length(max=60)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])


class JoinForm(FlaskForm):
    code = StringField("Join code", validators=[DataRequired(), Length(max=32)])


DATE_MESSAGE = "Enter a date as YYYY-MM-DD, such as 2027-01-18."


class SettingsForm(CourseForm):
    allow_free_posts = BooleanField("Students may also write free posts not tied to a reading (a course blog)")
    moderation_policy = RadioField(
        "Students' comments and responses",
        choices=[
            SelectChoice(ModerationPolicy.OPEN.value, "Publish at once"),
            SelectChoice(ModerationPolicy.FIRST.value, "Hold each student's first contribution for approval"),
            SelectChoice(ModerationPolicy.ALL.value, "Hold every contribution for approval"),
        ],
    )
    like_policy = RadioField(
        "Who may like posts and comments",
        choices=[
            SelectChoice(LikePolicy.EVERYONE.value, "Everyone in the course"),
            SelectChoice(LikePolicy.STAFF.value, "Instructors and assistants only"),
        ],
    )
    allow_anonymous = BooleanField(
        "Students may post anonymously to classmates (instructors and assistants still see the name)"
    )
    time_zone = timezones.select_field(
        "Course time zone",
        description="Times and due dates are shown in it to members who have not chosen their own zone.",
    )
    starts_on = DateField(
        "First day of the term",
        description="Optional, as YYYY-MM-DD. When set, the participation chart covers the term's weeks.",
        validators=[Optional()],
        invalid_value_message=DATE_MESSAGE,
    )
    ends_on = DateField(
        "Last day of the term",
        description="Optional, after the first day.",
        validators=[Optional()],
        invalid_value_message=DATE_MESSAGE,
    )

    DATES = Course.DATES

    def validate_ends_on(self, field) -> None:
        """The term ends after it starts."""
        if field.data and self.starts_on.data and field.data <= self.starts_on.data:
            raise ValidationError("The last day comes after the first day.")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.title()) for r in Role])
