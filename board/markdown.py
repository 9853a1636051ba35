"""User Markdown to safe HTML: CommonMark through markdown-it-py, then sanitised by nh3. Done once, when saved."""

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table").enable("strikethrough")

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(source: str) -> str:
    """Render Markdown and sanitise the result; links get rel="nofollow ugc noopener"."""
    html = _md.render(source or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


def word_count(source: str) -> int:
    """Words in a Markdown source, as a student would count them."""
    return len((source or "").split())
