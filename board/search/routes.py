"""The course search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from . import queries
from .forms import SearchForm
from .query import QueryError, parse

bp = Blueprint("search", __name__)


@bp.get("/c/<slug>/search")
@login_required
def results(slug):
    ctx = access.course_context(current_user, slug)
    form = SearchForm(formdata=request.args)
    form.set_choices(queries.authors_to_filter(ctx), queries.readings_to_filter(ctx))
    page, error, query = None, None, None
    number = request.args.get("page", 1, type=int)
    if not 1 <= number <= queries.MAX_PAGES:
        number = 1
    if form.q.data and form.q.data.strip():
        try:
            query = parse(form.q.data)
        except QueryError as refused:
            error = str(refused)
    if query is not None and form.validate():
        page = queries.search(ctx, query, _filters(form), number)
    status = 200 if error is None and not form.errors else 422
    pages = {}
    if page is not None:
        pages = {"prev": _page_url(slug, page.page - 1) if page.page > 1 else None}
        pages["next"] = _page_url(slug, page.page + 1) if page.has_next else None
    return render_template("search/results.html", ctx=ctx, form=form, page=page, error=error, pages=pages), status


def _page_url(slug: str, number: int) -> str:
    """This search's URL at another page (only the form's own parameters are carried over)."""
    kept = {name: request.args[name] for name in SearchForm.PARAMETERS if request.args.get(name)}
    return url_for("search.results", slug=slug, **kept, page=number)


def _filters(form: SearchForm) -> queries.Filters:
    return queries.Filters(
        kind=form.kind.data or None,
        author_id=int(form.author.data) if form.author.data else None,
        reading_id=int(form.reading.data) if form.reading.data else None,
        since=form.since.data,
        until=form.until.data,
    )
