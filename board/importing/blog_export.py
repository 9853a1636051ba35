"""Parse plain-text exports of WordPress blog posts into Markdown bodies, comments, likes and awards.

The exporter flattened each HTML page to text: one paragraph per line (blank lines between
paragraphs are optional), indented lines for quotations, and the page furniture (comment form,
social-login buttons) inline with the content. This module recovers the structure; it knows
nothing about the database or Flask.

Heuristics, applied to each non-blank line of the post body after the title:

* Photo caption: the first body line, when it credits a source ("Source:", "Photo:") or talks
  about "this photo/picture/image", becomes ``<figure><figcaption>``. The images themselves
  were lost in the export.
* Heading: a short line (at most 60 characters and 8 words) that starts with a capital letter,
  ends with a letter, digit or colon, and capitalises every word except short function words
  ("of", "the", ...), e.g. "Movie Transcription", "Photo Sources:", "Prisoner: Jacques Rossi".
  Sentences fail the test through their ending punctuation or lower-case words.
* Quotation: consecutive indented lines form one block quote, one paragraph per line.
* Verse: a run of short lines (at most 80 characters) whose first line opens a quotation mark
  and whose last line closes it becomes one block quote with the line breaks kept.
* References: a run of two or more lines at the end of the body that each contain a URL or an
  APA-style date such as "(2015, August 24)" or "(n.d.)" becomes a bulleted list under a
  "References" heading (unless the line before is already such a heading).
* "This post received the X award" lines become awards and leave the body.

Comments follow a header such as "7 thoughts on “Title”": each "N. text" line starts a comment,
later lines continue it, and "Liked by N people" sets its likes. Without a header, a trailing run
of numbered items counts as comments only if it is numbered 1, 2, 3, ... and nothing but indented
lines, like counts and page furniture follows it, because a post may also end with its own list.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["ParseError", "ParsedComment", "ParsedDocument", "parse_document"]


class ParseError(ValueError):
    """A document that cannot be read as a blog export."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


@dataclass
class ParsedComment:
    """One reader comment: its Markdown body and how many people liked it."""

    body: str
    likes: int = 0


@dataclass
class ParsedDocument:
    """A blog post recovered from an export, with its comments and awards."""

    title: str
    body: str
    awards: list[str] = field(default_factory=list)
    comments: list[ParsedComment] = field(default_factory=list)
    declared_comment_count: int | None = None
    warnings: list[str] = field(default_factory=list)


# Page furniture from the WordPress comment form and sharing widgets, matched against whole lines
# after whitespace (including the no-break spaces WordPress sprinkles in) has been collapsed.
_CHROME = re.compile(
    r"""(?:
        Leave\ a\ Reply(?:\ Cancel\ reply)?
      | Fill\ in\ your\ details\ below\ or\ click\ an\ icon\ to\ log\ in:(?:\ Logo)?
      | You\ are\ commenting\ using\ your\ (?:.+\ )?account\.(?:\ Log\ Out\ /\ Change\ \))?
      | Log\ Out\ /(?:\ Change\ \))?
      | Change\ \)
      | Cancel
      | Connecting\ to\ %s
      | (?:WordPress\.com|Facebook|Twitter|Google\+?|Gravatar)\ (?:Logo|photo|picture)
      | Logo
      | Notify\ me\ of\ new\ (?:comments|posts)\ via\ email\.
      | Post\ was\ not\ sent\ -\ check\ your\ email\ addresses!
      | Email\ check\ failed,\ please\ try\ again
      | Sorry,\ your\ blog\ cannot\ share\ posts\ by\ email\.
      | (?:Share|Like)\ this:
      | Like\ Loading\.\.\.
      | Loading\.\.\.
      | Related
      | Reply
    )""",
    re.VERBOSE | re.IGNORECASE,
)
_THOUGHTS = re.compile(r"(\d+|one) (?:thoughts?|comments?|responses?|repl(?:y|ies)) (?:on|to) [“\"«].*", re.IGNORECASE)
_ITEM = re.compile(r"(\d{1,4})\.(?: (.*))?")
_LIKES = re.compile(r"Liked by (\d+|one) (?:person|people)", re.IGNORECASE)
_AWARD = re.compile(r"This post received the (.+?) award\.?", re.IGNORECASE)
_CAPTION = re.compile(
    r"\b(?:source|photo|image|picture|credit)s?\s*:|\bthis (?:photo(?:graph)?|picture|image)\b", re.IGNORECASE
)
_REFERENCE_DATE = re.compile(r"\((?:\d{4}[a-z]?|n\.d\.)(?:, [^)]*)?\)")
_REFERENCES_HEADING = re.compile(r"(?:references|works cited|bibliography|sources|citations):?", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)
_OPENING_QUOTES = '“"«„'
_CLOSING_QUOTES = '”"»'
# Characters Markdown (with the tables and strikethrough extensions) would read as markup anywhere
# in a line; "&" only before an entity.
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<~|]|&(?=#?[0-9A-Za-z]+;)")
# Markup that only counts at the start of a line: headings, quotes, list markers, setext lines.
_LINE_START_SPECIAL = re.compile(r"^(?:[#>+=-]|\d+(?=[.)]))")

_HEADING_MAX_CHARS = 60
_HEADING_MAX_WORDS = 8
_CAPTION_MAX_CHARS = 300
_VERSE_LINE_MAX_CHARS = 80
_VERSE_MAX_LINES = 40


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based, for messages
    text: str  # whitespace collapsed; "" for blank lines and page furniture
    indented: bool


@dataclass
class _CommentDraft:
    paragraphs: list[str] = field(default_factory=list)
    likes: int = 0


def parse_document(data: str | bytes, *, title_lines: int = 1) -> ParsedDocument:
    """Parse one exported post; the first `title_lines` non-blank lines form the title."""
    if title_lines < 1:
        raise ValueError("title_lines must be at least 1")
    text = _decode(data)
    if not text.strip():
        raise ParseError("document is empty")
    lines = _split_lines(text)
    content = [index for index, line in enumerate(lines) if line.text]
    if not content:
        raise ParseError("document contains nothing but blog page furniture")

    title_indexes = content[:title_lines]
    title = _join_title([lines[index].text for index in title_indexes])
    rest = lines[title_indexes[-1] + 1 :]

    warnings: list[str] = []
    awards: list[str] = []
    body_lines, comment_lines, declared = _split_comments(rest)
    comments = _parse_comments(comment_lines, warnings)
    if declared is not None and declared != len(comments):
        warnings.append(f"header says {declared} comments but {len(comments)} were found")
    body = _render_body(body_lines, awards, warnings)
    return ParsedDocument(title, body, awards, comments, declared, warnings)


def _decode(data: str | bytes) -> str:
    """Return the text with any BOM removed and every line ending turned into "\\n"."""
    nul = data.find(b"\x00") if isinstance(data, bytes) else data.find("\x00")
    if nul != -1:
        raise ParseError("document looks binary: it contains a NUL byte", _line_of(data, nul))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"document is not valid UTF-8 text (bad byte 0x{data[exc.start]:02x})"
            raise ParseError(message, _line_of(data, exc.start)) from None
    return data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _line_of(data: str | bytes, offset: int) -> int:
    """Return the 1-based line number of `offset`, counting any style of line ending."""
    before = data[:offset]
    if isinstance(before, bytes):
        before = before.decode("latin-1")  # any byte maps to one character, so offsets hold
    return before.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def _split_lines(text: str) -> list[_Line]:
    """Split into lines with collapsed whitespace, blanking out page furniture."""
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        content = " ".join(raw.split())
        if _CHROME.fullmatch(content):
            content = ""
        lines.append(_Line(number, content, indented=bool(content) and raw[0].isspace()))
    return lines


def _join_title(parts: list[str]) -> str:
    """Join title lines, using a colon where the line break stood for one."""
    title = parts[0]
    for part in parts[1:]:
        title += (" " if title[-1] in ":.?!–—-" else ": ") + part
    return title


def _split_comments(lines: list[_Line]) -> tuple[list[_Line], list[_Line], int | None]:
    """Split into body lines, comment lines and the comment count the header declares."""
    for index, line in enumerate(lines):
        header = _THOUGHTS.fullmatch(line.text)
        if header:
            return lines[:index], lines[index + 1 :], _count(header.group(1))
    start = _trailing_comments_start(lines)
    return lines[:start], lines[start:], None


def _trailing_comments_start(lines: list[_Line]) -> int:
    """Return where an unannounced comment list starts, or len(lines) if there is none."""
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _ITEM.fullmatch(line.text):
            start = index
        elif line.text and not line.indented and not _LIKES.fullmatch(line.text):
            break
    numbers = [int(item.group(1)) for line in lines[start:] if (item := _ITEM.fullmatch(line.text))]
    return start if numbers == list(range(1, len(numbers) + 1)) else len(lines)


def _parse_comments(lines: list[_Line], warnings: list[str]) -> list[ParsedComment]:
    """Turn the numbered items after the comments header into comments, in order."""
    drafts: list[_CommentDraft] = []
    for line in lines:
        if not line.text:
            continue
        if item := _ITEM.fullmatch(line.text):
            expected = len(drafts) + 1
            if int(item.group(1)) != expected:
                warnings.append(f"comment numbered {item.group(1)} where {expected} was expected")
            drafts.append(_CommentDraft([item.group(2)] if item.group(2) else []))
        elif likes := _LIKES.fullmatch(line.text):
            if drafts:
                drafts[-1].likes = _count(likes.group(1))
            else:
                warnings.append(f"line {line.number}: ignored {line.text!r} before the first comment")
        else:
            if not drafts:
                warnings.append(f"line {line.number}: unnumbered text after the comments header kept as a comment")
                drafts.append(_CommentDraft())
            drafts[-1].paragraphs.append(line.text)
    return [ParsedComment("\n\n".join(_markdown_text(p) for p in draft.paragraphs), draft.likes) for draft in drafts]


def _render_body(lines: list[_Line], awards: list[str], warnings: list[str]) -> str:
    """Render the post body as Markdown, moving award lines into `awards`."""
    blocks: list[_Line] = []
    for line in lines:
        if not line.text:
            continue
        if award := _AWARD.fullmatch(line.text):
            awards.append(award.group(1))
        elif _LIKES.fullmatch(line.text):
            warnings.append(f"line {line.number}: ignored {line.text!r} outside a comment")
        else:
            blocks.append(line)

    out: list[str] = []
    if blocks and not blocks[0].indented and _is_caption(blocks[0].text):
        out.append(f"<figure><figcaption>{_html_text(blocks[0].text)}</figcaption></figure>")
        blocks = blocks[1:]
    references_start = _references_start(blocks)
    references, blocks = blocks[references_start:], blocks[:references_start]

    index = 0
    while index < len(blocks):
        line = blocks[index]
        if line.indented:
            end = index
            while end < len(blocks) and blocks[end].indented:
                end += 1
            out.append(_block_quote([_markdown_text(b.text) for b in blocks[index:end]]))
            index = end
        elif (end := _verse_end(blocks, index)) is not None:
            verse = "\\\n".join(_markdown_text(b.text) for b in blocks[index:end])
            out.append(_block_quote([verse]))
            index = end
        else:
            out.append(f"## {_markdown_text(line.text)}" if _is_heading(line.text) else _markdown_text(line.text))
            index += 1

    if references:
        previous = blocks[-1].text if blocks else ""
        if not (_REFERENCES_HEADING.fullmatch(previous) and _is_heading(previous)):
            out.append("## References")
        out.append("\n".join(f"- {_markdown_text(line.text)}" for line in references))
    return "\n\n".join(out)


def _is_caption(text: str) -> bool:
    """Whether the line under the title reads like a photo caption or credit."""
    return len(text) <= _CAPTION_MAX_CHARS and _CAPTION.search(text) is not None and not _is_heading(text)


def _is_heading(text: str) -> bool:
    """Whether a standalone line reads like a title-case heading rather than a sentence."""
    if len(text) > _HEADING_MAX_CHARS or len(text.split()) > _HEADING_MAX_WORDS:
        return False
    if not text[0].isupper() or not (text[-1].isalnum() or text[-1] == ":"):
        return False
    return all(word[0].isupper() or word.lower() in _MINOR_WORDS for word in _WORD.findall(text))


def _verse_end(blocks: list[_Line], start: int) -> int | None:
    """Return the end of a quoted run of short lines starting at `start`, if there is one."""
    first = blocks[start].text
    if first[0] not in _OPENING_QUOTES or first[-1] in _CLOSING_QUOTES or len(first) > _VERSE_LINE_MAX_CHARS:
        return None
    for end in range(start + 1, min(len(blocks), start + _VERSE_MAX_LINES)):
        line = blocks[end]
        if line.indented or len(line.text) > _VERSE_LINE_MAX_CHARS:
            return None
        if line.text[-1] in _CLOSING_QUOTES:
            return end + 1
    return None


def _references_start(blocks: list[_Line]) -> int:
    """Return where a trailing reference list starts, or len(blocks) if there is none."""
    start = len(blocks)
    while start > 0 and not blocks[start - 1].indented and _is_reference(blocks[start - 1].text):
        start -= 1
    return start if len(blocks) - start >= 2 else len(blocks)


def _is_reference(text: str) -> bool:
    """Whether a line looks like a bibliography entry."""
    return _URL.search(text) is not None or _REFERENCE_DATE.search(text) is not None


def _block_quote(paragraphs: list[str]) -> str:
    """Prefix each line with "> ", keeping paragraphs apart inside the quote."""
    quoted = ["\n".join(f"> {line}" for line in paragraph.split("\n")) for paragraph in paragraphs]
    return "\n>\n".join(quoted)


def _markdown_text(text: str) -> str:
    """Escape `text` so Markdown shows it literally; bare URLs become autolinks."""
    escaped = _render_with_urls(
        text,
        plain=lambda part: _INLINE_SPECIAL.sub(lambda match: "\\" + match.group(), part),
        url=lambda link: f"<{link}>",
    )
    return _LINE_START_SPECIAL.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    """Backslash the first markup character of a line ("1." -> "1\\.", "#" -> "\\#")."""
    token = match.group()
    return token + "\\" if token[0].isdigit() else "\\" + token


def _html_text(text: str) -> str:
    """Escape `text` for raw HTML; bare URLs become links."""
    return _render_with_urls(
        text,
        plain=lambda part: html.escape(part, quote=False),
        url=lambda link: f'<a href="{html.escape(link)}">{html.escape(link, quote=False)}</a>',
    )


def _render_with_urls(text: str, *, plain: Callable[[str], str], url: Callable[[str], str]) -> str:
    """Render the plain parts and the URLs of `text` with their own functions."""
    return "".join(url(part) if is_url else plain(part) for part, is_url in _split_urls(text))


def _split_urls(text: str) -> Iterator[tuple[str, bool]]:
    """Yield (part, is_url) pieces of `text`, leaving sentence punctuation out of URLs."""
    position = 0
    for match in _URL.finditer(text):
        link = _trim_url(match.group())
        yield text[position : match.start()], False
        yield link, True
        position = match.start() + len(link)
    yield text[position:], False


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, keeping balanced parentheses."""
    while url[-1] in ".,;:!?'\"”’»)]":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _count(word: str) -> int:
    """Read a count written as digits or as "one"."""
    return 1 if word.lower() == "one" else int(word)
