"""Moderation queue, hide/unhide, lock, pin, reports, awards and the audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/c/<slug>")
