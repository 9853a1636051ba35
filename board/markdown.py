"""User Markdown to safe HTML: CommonMark through markdown-it-py, then sanitised by nh3. Done once, when saved.

Only pictures on this site are shown: one from elsewhere would tell its owner who read the page, and when.
"""

import html as html_lib
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt, helpers
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline


def _parse_link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """markdown-it's link-label scan, remembering the labels that cannot close so that no scan walks past them again.

    Stock markdown-it lets every `[` whose label never closes rescan up to its nesting limit (20 levels) of cached
    tokens, so 100,000 `[` took seconds (found with cProfile). Two shortcuts, each giving the stock answer sooner:
    a label cannot close with no `]` after it; and a scan that meets a text `[` already known to fail fails too, since
    from there it walks the very tokens that opener's scan walked (skipToken's cache fixes them) one level higher, so
    it cannot close either, and fails the same way (end of text, or a nested link when nesting is disabled).
    """
    # Kept on the state, which lives for one inline run, as skipToken's cache does.
    memo = state.__dict__.get("_board_label_memo")
    if memo is None:
        memo = state.__dict__["_board_label_memo"] = (state.src.rfind("]"), set(), set())
    last_bracket, never_closes, no_link_text = memo  # any scan fails / a scan with nesting disabled fails
    known = no_link_text if disable_nested else never_closes
    if start >= last_bracket or start in never_closes or start in known:
        return -1
    old_pos = state.pos
    state.pos = start + 1
    level = 1
    while state.pos < state.posMax:
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                label_end = state.pos
                state.pos = old_pos
                return label_end
        previous = state.pos
        state.md.inline.skipToken(state)
        if marker == "[":
            if previous == state.pos - 1:
                if previous in never_closes or previous in known:
                    known.add(start)
                    state.pos = old_pos
                    return -1
                level += 1
            elif disable_nested:
                no_link_text.add(start)
                state.pos = old_pos
                return -1
    state.pos = old_pos
    never_closes.add(start)
    return -1


_md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table").enable("strikethrough")
# A per-instance replacement: other MarkdownIt users in the process keep the stock helper.
_md.helpers = SimpleNamespace(
    parseLinkLabel=_parse_link_label,
    parseLinkDestination=helpers.parseLinkDestination,
    parseLinkTitle=helpers.parseLinkTitle,
)


def is_same_site(url: str) -> bool:
    """True for a URL on this site (a path, no scheme or host), which a browser fetches from Board itself."""
    # Browsers drop tabs and newlines inside URLs and read a backslash as a slash: "/\\evil.example" is another site.
    if not url or "\\" in url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def _image(renderer, tokens, idx, options, env) -> str:
    """Pictures from this site as <img>; any other picture as a link to it, so no one's browser fetches it unasked."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if is_same_site(src):
        _upload_attributes(token, src)
        return renderer.image(tokens, idx, options, env)
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    host = urlsplit(src).hostname if src.lower().startswith(("http://", "https://")) else None
    label = escapeHtml(f"Picture on {host}" + (f": {alt}" if alt else "") if host else f"Picture: {alt or 'not shown'}")
    inside_link = _inside_link(tokens, env)[idx]
    if host is None or inside_link:  # a link cannot hold another link; other schemes are not followed at all
        return f"[{label}]"
    return f'<a href="{escapeHtml(src)}">[{label}]</a>'


#: A picture uploaded to Board, as the composer inserts it: its path, and its size after "#" (board/uploads/).
_UPLOADED = re.compile(r"^(/c/[^/?#]+/uploads/[A-Za-z0-9_-]{22}/[^/?#]+)#([0-9]{1,5})x([0-9]{1,5})$")
#: The smaller copies Board keeps of a picture wider than each (board/uploads/processing.py), for srcset.
SRCSET_WIDTHS = (480, 960)
#: How wide a picture shows: the whole screen on a phone, at most the reading column (46rem) on a desktop.
_SIZES = "(max-width: 48rem) 100vw, 46rem"


def _upload_attributes(token, src: str) -> None:
    """An uploaded picture's size becomes width and height (no jump when it loads), srcset names its smaller copies,
    and it loads lazily: a page of twenty pictures costs its reader only those on screen."""
    found = _UPLOADED.match(src)
    if not found:
        return
    path, width, height = found.group(1), int(found.group(2)), int(found.group(3))
    token.attrSet("src", path)
    if not (width and height):
        return
    token.attrSet("width", str(width))
    token.attrSet("height", str(height))
    token.attrSet("loading", "lazy")
    smaller = [w for w in SRCSET_WIDTHS if w < width]
    if smaller:
        token.attrSet("srcset", ", ".join([*(f"{path}?w={w} {w}w" for w in smaller), f"{path} {width}w"]))
        token.attrSet("sizes", _SIZES)


def _inside_link(tokens, env) -> list[bool]:
    """For each of an inline run's tokens, whether it sits inside a link; worked out once per run (asking each picture
    to count the links before it took seconds for a body of thousands of pictures)."""
    known = env.setdefault("_board_inside_link", {})
    key = id(tokens)
    if key not in known or known[key][0] is not tokens:
        depth, flags = 0, []
        for token in tokens:
            flags.append(depth > 0)
            depth += 1 if token.type == "link_open" else -1 if token.type == "link_close" else 0
        known[key] = (tokens, flags)  # holding the list keeps its id from being reused during this render
    return known[key][1]


_md.add_render_rule("image", _image)


def _only_same_site_images(element: str, attribute: str, value: str) -> str | None:
    # Raw HTML <img> tags get here too: a picture from elsewhere keeps its alt text but loses its src (and a srcset
    # naming any picture from elsewhere is dropped whole).
    if element != "img":
        return value
    if attribute == "src" and not is_same_site(value):
        return None
    if attribute == "srcset" and not all(is_same_site(part.split()[0]) for part in value.split(",") if part.strip()):
        return None
    if attribute in ("width", "height") and not (value.isascii() and value.isdigit() and len(value) <= 5):
        return None
    if attribute == "loading" and value not in ("lazy", "eager"):
        return None
    return value


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
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes", "loading"},
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
        attribute_filter=_only_same_site_images,
    )


def word_count(source: str) -> int:
    """Words in a Markdown source, as a student would count them."""
    return len((source or "").split())


_SPACES = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """The words of stored, sanitised HTML without its markup, for excerpts ("*amnesty*" reads "amnesty")."""
    return _SPACES.sub(" ", html_lib.unescape(nh3.clean(html or "", tags=set()))).strip()


_HEADING_END = re.compile(r"</h[1-6]>")


def excerpt(html: str, limit: int = 280) -> str:
    """The start of stored HTML as plain text (plain_text), at most `limit` characters, cut at a word boundary with
    "…" when it is longer: for notification excerpts, on pages and in email."""
    # A heading runs into the paragraph after it once its tags are gone: a dash keeps them apart.
    text = plain_text(_HEADING_END.sub(" — ", html or "")).removesuffix(" —")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]  # the last word whole or not at all (a single long word is cut as it is)
    return cut.rstrip(" ,;:") + "…"


IMAGE_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)


def picture_description(tag: str) -> str:
    """A stored <img> tag as words: "[picture: its description]" (the alt text, still escaped as stored)."""
    alt = _ALT.search(tag)
    return f"[picture: {alt.group(1)}]" if alt and alt.group(1) else "[picture]"


def without_pictures(html: str) -> str:
    """Stored HTML with each picture replaced by its description: for what is read away from Board (a feed reader,
    an exported file), where an uploaded picture cannot load (it is served only to a signed-in member who may see
    its post)."""
    return IMAGE_TAG.sub(lambda match: picture_description(match.group(0)), html or "")
