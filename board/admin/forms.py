"""The site admin's forms."""

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

MAX_QUOTA_MB = 100_000  # 100 GB: past this a number is more likely a typing slip than a plan


class UploadQuotasForm(FlaskForm):
    """One course's upload quotas in MB; blank keeps the site's default."""

    person_mb = IntegerField(
        "Per person (MB)", validators=[Optional(), NumberRange(min=1, max=MAX_QUOTA_MB)], render_kw={"min": 1}
    )
    course_mb = IntegerField(
        "Whole course (MB)", validators=[Optional(), NumberRange(min=1, max=MAX_QUOTA_MB)], render_kw={"min": 1}
    )
