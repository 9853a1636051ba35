"""Forms for watching a post and for notification preferences."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from .models import WatchLevel
from .services import KINDS, deliveries_for, watch_level

WATCH_CHOICES = [
    SelectChoice(WatchLevel.WATCHING, "Watching (every comment)"),
    SelectChoice(WatchLevel.NORMAL, "Not watching (replies, mentions)"),
    SelectChoice(WatchLevel.MUTED, "Muted (nothing at all)"),
]


class WatchForm(FlaskForm):
    level = SelectField("Notifications for this post", choices=WATCH_CHOICES, validators=[InputRequired()])


def watch_form(ctx, post, level: str | None = None) -> WatchForm | None:
    """The post page's watch/unwatch/mute form, set to the viewer's level (`level` when the caller has read it);
    None for a draft (nothing to watch yet)."""
    if not post.is_published:
        return None
    return WatchForm(formdata=None, level=level or watch_level(ctx, post))


def preferences_form(kinds: list[str], current: dict[str, str], email_on: bool, formdata=None):
    """A form with one choice per kind (named by the kind) and the switch for all email."""

    class PreferencesForm(FlaskForm):
        email_notifications = BooleanField("Send me notification email at all")

    for kind in kinds:
        choices = [SelectChoice(value, label) for value, label in deliveries_for(kind).items()]
        setattr(
            PreferencesForm,
            kind,
            SelectField(KINDS[kind].label, choices=choices, default=current[kind], validators=[InputRequired()]),
        )
    form = PreferencesForm() if formdata is None else PreferencesForm(formdata=formdata)
    if not form.is_submitted():
        form.email_notifications.data = email_on
    return form
