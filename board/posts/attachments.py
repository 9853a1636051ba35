"""A picture or file sent with a composer's form (the way without JavaScript; with it, board/static/uploads.js sends
it on its own first): uploaded, its Markdown added to the text, and a picture without a description refused so the
person writes one. Whatever happens, the form comes back with everything typed and the upload kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from .. import access
from ..uploads import services as upload_services
from ..uploads.processing import ACCEPT, UploadRefused

#: An uploaded picture's Markdown with nothing between its square brackets.
_UNDESCRIBED = re.compile(r"!\[\s*\]\(/c/[^/\s()]+/uploads/")

DESCRIBE = (
    "Describe the picture for someone who cannot see it: write a few words between the square brackets of its "
    "![…](…) line in your text, then send again. The picture is uploaded and kept; nothing else was saved yet."
)


@dataclass
class Attached:
    """What sending the form's file came to: `problem` (for the person, on the field `field`) when the form must be
    shown again rather than saved."""

    problem: str | None = None
    field: str = "body"

    def show(self, form) -> Attached:
        """Put the problem on its field (again after validation, which resets every field's errors)."""
        if self.problem is not None:
            field = getattr(form, self.field)
            field.errors = [*field.errors, self.problem]
        return self

    def validate(self, form) -> bool:
        """The form's own validation, with the problem shown: whether the form may be saved."""
        valid = form.validate_on_submit()
        self.show(form)
        return valid and self.problem is None


def attach(ctx: access.CourseContext, form, *, publishing: bool) -> Attached:
    """Upload the form's file, if one came, and add its Markdown to the body on a paragraph of its own. Refused when
    the upload is refused (the body untouched), or when `publishing` a text that holds an uploaded picture without a
    description (one just sent without its description, or one already in the text). The problem is on its field
    already, for a form shown with its preview (not validated)."""
    if not form.is_submitted():
        return Attached()
    file = form.attachment.data
    if file and getattr(file, "filename", ""):
        try:
            upload = upload_services.accept(ctx, file)
        except UploadRefused as refused:
            return Attached(str(refused), "attachment").show(form)
        alt = (form.attachment_alt.data or "").strip()
        markdown = upload_services.markdown_for(upload, ctx.course.slug, alt, named=not ctx.course.allow_anonymous)
        body = (form.body.data or "").rstrip()
        form.body.data = f"{body}\n\n{markdown}\n" if body else f"{markdown}\n"
        form.attachment_alt.data = ""  # said in the text now; the box is for the next file
        if upload.is_image and not alt and not form.preview.data:
            return Attached(DESCRIBE).show(form)
    if publishing and not form.preview.data and _UNDESCRIBED.search(form.body.data or ""):
        return Attached(DESCRIBE).show(form)
    return Attached()


def upload_settings() -> dict:
    """What a composer's upload control says and checks in the browser: the types it offers and the largest file."""
    limit = current_app.config["UPLOADS_MAX_FILE_BYTES"]
    return {"accept": ACCEPT, "limit": limit, "limit_text": upload_services.megabytes(limit)}
