"""Upload URLs in the permission matrix: who may fetch a picture or file in each state of the post that holds it,
for every role of tests/moderation/test_permission_matrix.py's World, through real requests.

A picture follows its post: whoever may read the post may load it, and everyone else gets the answer a course
they are not in gives (404, logged out too), so a URL says nothing of what it names.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from board.extensions import db
from board.markdown import render_markdown
from board.models import Membership, Post, PostStatus, Visibility, utcnow
from board.uploads.models import Upload
from tests import factories
from tests.moderation.test_permission_matrix import ROLES, STAFF, World, _visitor, build_world

from .test_uploads import pdf

MEMBERS = STAFF | {"student", "author"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 80, 40)).save(out, format="PNG")
    return out.getvalue()


def _upload_as(app, world: World, role: str, data: bytes, name: str) -> dict:
    response = _visitor(app, world, role).post(f"{world.url}/uploads", {"file": (io.BytesIO(data), name)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _put_in(post: Post, markdown: str) -> None:
    post.body_md = f"{post.body_md}\n\n{markdown}\n"
    post.body_html = render_markdown(post.body_md)
    db.session.commit()


def _response_with(app, world: World, data: bytes = b"", name: str = "image.png") -> str:
    """The URL of a file the author uploaded and put in their response."""
    sent = _upload_as(app, world, "author", data or _png(), name)
    _put_in(world.response, sent["markdown"])
    return sent["url"]


def visible(app, world):
    return _response_with(app, world)


def _with_visibility(state: str) -> Callable:
    def prepare(app, world):
        url = _response_with(app, world)
        world.response.visibility = state
        db.session.commit()
        return url

    return prepare


def deleted(app, world):
    url = _response_with(app, world)
    world.response.deleted_at = utcnow()
    db.session.commit()
    return url


def draft(app, world):
    url = _response_with(app, world)
    world.response.status = PostStatus.DRAFT
    world.response.published_at = None
    db.session.commit()
    return url


def gated(app, world):
    """The reading shows its responses only to those who have posted theirs: the student has not."""
    url = _response_with(app, world)
    world.reading.responses_hidden_until_posted = True
    db.session.commit()
    return url


def anonymous_post(app, world):
    url = _response_with(app, world, pdf(), "Ava_Author_essay.pdf")
    world.response.anonymous = True
    db.session.commit()
    return url


def _other_course_upload(app, world) -> tuple[str, str]:
    """An upload in a post of another course (none of the World's people is in it): its URL there, and the same
    token under this course's slug."""
    other = factories.course(factories.user("Otto Other"))
    owner = factories.member(other, name="Olga Other")
    visitor = _visitor(app, World(other, {"owner": owner}, *([None] * 8)), "owner")
    sent = visitor.post(f"/c/{other.slug}/uploads", {"file": (io.BytesIO(_png()), "other.png")}).get_json()
    _put_in(factories.response(other, owner, title="Elsewhere"), sent["markdown"])
    return sent["url"], sent["url"].replace(f"/c/{other.slug}/", f"{world.url}/")


def another_course_via_its_slug(app, world):
    return _other_course_upload(app, world)[0]


def another_course_via_this_slug(app, world):
    return _other_course_upload(app, world)[1]


def removed_member(app, world):
    """The author, removed from the course after posting: their post stays, they no longer read the course."""
    url = _response_with(app, world)
    db.session.delete(
        db.session.scalar(
            select(Membership).where(
                Membership.course_id == world.course.id, Membership.user_id == world.user("author").id
            )
        )
    )
    db.session.commit()
    return url


@dataclass(frozen=True)
class Case:
    prepare: Callable[[object, World], str]
    allowed: set[str]


CASES = {
    "a visible response's picture": Case(visible, MEMBERS),
    "held": Case(_with_visibility(Visibility.HELD), STAFF | {"author"}),
    "hidden": Case(_with_visibility(Visibility.HIDDEN), STAFF | {"author"}),
    # Staff still read a post its author deleted, pictures included; the uploader keeps their own file until cleanup.
    "deleted": Case(deleted, {"author", "instructor", "assistant"}),
    "draft": Case(draft, {"author"}),
    "gated": Case(gated, STAFF | {"author"}),
    "anonymous": Case(anonymous_post, MEMBERS),
    "another course, via its own slug": Case(another_course_via_its_slug, set()),
    "another course, via this course's slug": Case(another_course_via_this_slug, set()),
    "a removed member's": Case(removed_member, STAFF | {"student"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(CASES))
def test_upload_url_matrix(app, name, role):
    case = CASES[name]
    world = build_world()
    url = case.prepare(app, world)
    response = _visitor(app, world, role).get(url)

    if role in case.allowed:
        assert response.status_code == 200, f"{role} should load {name}"
    else:  # logged out too: a picture is not a page, and a login page would say that the URL names something
        assert response.status_code == 404, f"{role} got {response.status_code} for {name}"


def test_an_anonymous_posts_file_names_no_author(app):
    world = build_world()
    url = anonymous_post(app, world)
    response = _visitor(app, world, "student").get(url)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "Ava" not in disposition and "Author" not in disposition and "file.pdf" in disposition
    assert b"Ada Lovelace" not in response.get_data()  # the PDF's author metadata was removed on upload
    assert db.session.scalar(select(Upload.name)) == "Ava_Author_essay.pdf"  # the author still sees their own name
