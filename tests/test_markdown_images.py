"""Pictures in posts and comments: this site's pictures are shown, any other site's picture becomes a link to it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from board.extensions import db
from board.markdown import is_same_site, render_markdown
from board.models import Comment, Post, PostKind
from tests import factories


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "![Kengir camp](https://tracker.example/pixel.png)",
            (
                '<p><a href="https://tracker.example/pixel.png" rel="nofollow ugc noopener">'
                "[Picture on tracker.example: Kengir camp]</a></p>\n"
            ),
        ),
        (
            "![](http://tracker.example/p.gif)",
            '<p><a href="http://tracker.example/p.gif" rel="nofollow ugc noopener">[Picture on tracker.example]</a></p>\n',
        ),
        ("![*a* plan](/static/favicon.svg)", '<p><img src="/static/favicon.svg" alt="a plan"></p>\n'),
        ("![map](favicon.svg)", '<p><img src="favicon.svg" alt="map"></p>\n'),
        # A link cannot hold another link: the picture inside one becomes its text.
        (
            "[![logo](https://tracker.example/l.png)](https://example.org)",
            '<p><a href="https://example.org" rel="nofollow ugc noopener">[Picture on tracker.example: logo]</a></p>\n',
        ),
    ],
)
def test_pictures_from_other_sites_become_links(source, expected):
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "![pixel](data:image/png;base64,iVBORw0KGgo=)",
        "![pixel](data:image/gif;base64,R0lGODlhAQABAAAAACw=)",
        "![pixel](//tracker.example/p.png)",
        "![pixel](/\\tracker.example/p.png)",
        "![pixel](HTTPS://TRACKER.EXAMPLE/p.png)",
        '<img src="https://tracker.example/p.png" alt="pixel">',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pixel">',
        '<img src="//tracker.example/p.png" alt="pixel">',
        '<p><img src="/\ttracker.example" alt="pixel"></p>',
        '<img srcset="https://tracker.example/p.png 1x" alt="pixel">',
        "![pixel][ref]\n\n[ref]: https://tracker.example/p.png",
    ],
)
def test_no_picture_loads_from_anywhere_but_this_site(source):
    html = render_markdown(source)
    assert "srcset" not in html
    for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', html):
        url = unescape(src)
        assert not urlsplit(url).scheme and not urlsplit(url).netloc, html
        assert not url.startswith("//") and not any(c in url for c in "\\\t\n"), html


def test_same_site_means_a_path_on_this_site():
    assert is_same_site("/static/favicon.svg")
    assert is_same_site("pictures/plan.png")
    for url in (
        "",
        "//x.org/a",
        "https://x.org/a",
        "data:image/png;base64,AA",
        "/\\x.org",
        "/\t/x.org",
        "java\nscript:",
    ):
        assert not is_same_site(url), url


def test_a_student_posting_a_tracking_pixel_shows_classmates_a_link(make_visitor):
    course = factories.course()
    reading = factories.reading(course)
    author = make_visitor(factories.member(course))
    body = "My photo: ![the camp](https://tracker.example/pixel.png?who=me)\n\nAnd ![ours](/static/favicon.svg)"
    response = author.post(
        f"/c/{course.slug}/readings/{reading.id}/respond", {"title": "Photos", "body": body, "publish": "Publish"}
    )
    assert response.status_code == 302
    post = db.session.scalar(db.select(Post).filter_by(kind=PostKind.RESPONSE))
    comment_body = "Look ![x](https://tracker.example/c.gif)"
    reader = make_visitor(factories.member(course))
    reader.post(f"/c/{course.slug}/posts/{post.id}/comments", {"body": comment_body})
    assert db.session.scalar(db.select(Comment.body_html)).count("<img") == 0

    page = reader.get(f"/c/{course.slug}/posts/{post.id}").get_data(as_text=True)
    assert 'href="https://tracker.example/pixel.png?who=me"' in page
    assert 'href="https://tracker.example/c.gif"' in page
    assert '<img src="/static/favicon.svg" alt="ours">' in page
    assert 'src="https://tracker' not in page
