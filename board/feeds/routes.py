"""Feed URLs (opened by feed readers, with no session: the token in the path says whose feed it is) and the account
page's buttons that turn a person's feeds on, renew their links or turn them off."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from .. import access
from . import atom, queries, tokens

bp = Blueprint("feeds", __name__)


def feed_view(view):
    """A feed route: its token names the owner (404 for any token that is not a live one), the view gathers a Feed
    as that owner may see it now, and the feed goes out as Atom."""

    @functools.wraps(view)
    def serve(token: str, **values):
        owner = tokens.owner_of(token)
        if owner is None:
            abort(404)
        return atom.response(view(owner, token, **values))

    return serve


@bp.get("/feeds/<token>/c/<slug>/feed.atom")
@feed_view
def course(owner, token, slug):
    ctx = access.course_context(owner, slug)
    return queries.course_feed(ctx, token)


@bp.get("/feeds/<token>/c/<slug>/readings/<int:reading_id>/responses.atom")
@feed_view
def reading(owner, token, slug, reading_id):
    ctx = access.course_context(owner, slug)
    post = access.get_post(ctx, reading_id)
    if not post.is_reading:
        abort(404)
    return queries.reading_feed(ctx, token, post, access.has_unlocked(ctx, post))


@bp.get("/feeds/<token>/c/<slug>/posts/<int:post_id>/comments.atom")
@feed_view
def comments(owner, token, slug, post_id):
    ctx = access.course_context(owner, slug)
    return queries.comments_feed(ctx, token, access.get_post(ctx, post_id))


@bp.get("/feeds/<token>/notifications.atom")
@feed_view
def notifications(owner, token):
    return queries.notifications_feed(owner, token)


@bp.post("/account/feeds/renew")
@login_required
def renew():
    if tokens.renew(current_user._get_current_object()):
        flash("Your feeds are on. Copy a link below into your feed reader.", "success")
    else:
        flash(
            "Your feeds have new links. The old ones no longer work: give the new ones to your feed reader.", "success"
        )
    return redirect(url_for("auth.account", _anchor="feeds"))


@bp.post("/account/feeds/off")
@login_required
def turn_off():
    tokens.turn_off(current_user._get_current_object())
    flash("Your feeds are off. Every feed link of yours now leads nowhere.", "success")
    return redirect(url_for("auth.account", _anchor="feeds"))
