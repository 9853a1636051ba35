"""Which posts and comments refer to which uploads, kept in step with their Markdown whenever it is saved.

One listener on the session (before each flush) looks at every post and comment whose text is new or changed,
wherever the change comes from (the composers, an edit, a course import, the seed), and records the uploads its
Markdown names. A reference counts only when the upload is the writer's own, or a staff member's in a reading, so
nobody makes someone else's picture reachable by pasting its URL (a held post's picture stays held). References the
text no longer makes are kept as not current: the item's earlier versions still show them to those who read versions.
"""

from __future__ import annotations

import re

from sqlalchemy import event, inspect, select

from ..extensions import BoardSession
from ..models import Comment, Membership, Post, Role
from .models import Upload, UploadRef

#: An upload's URL in Markdown: /c/<slug>/uploads/<token>/… (the token is secrets.token_urlsafe(16)).
TOKEN_IN_TEXT = re.compile(r"/uploads/([A-Za-z0-9_-]{22})/")


def tokens_in(*texts: str | None) -> set[str]:
    return {token for text in texts if text for token in TOKEN_IN_TEXT.findall(text)}


def _texts(item: Post | Comment) -> tuple[str, ...]:
    if isinstance(item, Post):
        return item.body_md, item.prompt
    return (item.body_md,)


def _changed(item: Post | Comment) -> bool:
    state = inspect(item)
    if state.pending:
        return True
    names = ("body_md", "prompt") if isinstance(item, Post) else ("body_md",)
    return any(state.attrs[name].history.has_changes() for name in names)


def _sync(session, item: Post | Comment) -> None:
    tokens = tokens_in(*_texts(item))
    known: list[UploadRef] = []
    if item.id is not None:
        column = UploadRef.comment_id if isinstance(item, Comment) else UploadRef.post_id
        statement = select(UploadRef).where(column == item.id)
        if isinstance(item, Post):
            statement = statement.where(UploadRef.comment_id.is_(None))
        known = list(session.scalars(statement))
    if not tokens and not known:
        return
    uploads = (
        {
            upload.token: upload
            for upload in session.scalars(
                select(Upload).where(Upload.token.in_(tokens), Upload.course_id == item.course_id)
            )
        }
        if tokens
        else {}
    )
    allowed = _allowed(session, item, list(uploads.values()))
    wanted = {uploads[token].id for token in tokens if token in uploads and uploads[token].id in allowed}
    for ref in known:
        ref.current = ref.upload_id in wanted
    for upload_id in wanted - {ref.upload_id for ref in known}:
        ref = UploadRef(upload_id=upload_id, current=True)
        if isinstance(item, Comment):
            ref.comment = item
            if item.post_id is not None:
                ref.post_id = item.post_id
            else:
                ref.post = item.post
        else:
            ref.post = item
        session.add(ref)


def _allowed(session, item: Post | Comment, uploads: list[Upload]) -> set[int]:
    """The uploads this item may make reachable: its writer's own; in a reading, also those of the course's staff."""
    author_id = item.author_id if item.author_id is not None else getattr(item.author, "id", None)
    own = {upload.id for upload in uploads if upload.uploader_id == author_id}
    others = [upload for upload in uploads if upload.id not in own]
    if not others or not (isinstance(item, Post) and item.is_reading):
        return own
    staff = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.course_id == item.course_id,
                Membership.user_id.in_({upload.uploader_id for upload in others}),
                Membership.role.in_((Role.INSTRUCTOR, Role.ASSISTANT)),
            )
        )
    )
    return own | {upload.id for upload in others if upload.uploader_id in staff}


def _before_flush(session, flush_context, instances) -> None:
    items = [item for item in (*session.new, *session.dirty) if isinstance(item, (Post, Comment)) and _changed(item)]
    if not items:
        return
    with session.no_autoflush:
        for item in items:
            _sync(session, item)


def register() -> None:
    """Listen on every session of the app's session class (called from create_app; once is enough)."""
    if not event.contains(BoardSession, "before_flush", _before_flush):
        event.listen(BoardSession, "before_flush", _before_flush)
