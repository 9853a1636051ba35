"""The search form: a GET form (it changes nothing, so it carries no CSRF token), its filters chosen from lists."""

from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

KIND_CHOICES = [
    SelectChoice(value, label)
    for value, label in (
        ("", "Everything"),
        ("reading", "Readings"),
        ("response", "Responses"),
        ("comment", "Comments"),
    )
]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    PARAMETERS = ("q", "kind", "author", "reading", "since", "until")

    q = SearchField("Search this course")
    kind = SelectField("Kind", choices=KIND_CHOICES, default="")
    author = SelectField("Author", choices=[SelectChoice("", "Anyone")], default="")
    reading = SelectField("Reading", choices=[SelectChoice("", "Any reading")], default="")
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def set_choices(self, authors: list[tuple[int, str]], readings: list[tuple[int, str]]) -> None:
        """The people and readings the viewer may filter by."""
        self.author.choices = [SelectChoice("", "Anyone"), *(SelectChoice(str(i), name) for i, name in authors)]
        self.reading.choices = [
            SelectChoice("", "Any reading"),
            *(SelectChoice(str(i), title) for i, title in readings),
        ]

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date comes before the start date.")

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the search (they open by themselves then)."""
        return any((self.kind.data, self.author.data, self.reading.data, self.since.data, self.until.data))
