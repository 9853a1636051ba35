"""User Markdown to safe HTML: CommonMark through markdown-it-py, then sanitised by nh3. Done once, when saved."""

from types import SimpleNamespace

import nh3
from markdown_it import MarkdownIt, helpers
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
