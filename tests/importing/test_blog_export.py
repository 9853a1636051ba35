"""Tests for the WordPress export parser, on the seed documents and on small made-up exports."""

from pathlib import Path

import nh3
import pytest
from markdown_it import MarkdownIt

from board.importing.blog_export import ParseError, parse_document

DOCUMENTS = Path(__file__).resolve().parents[2] / "seed" / "documents"
READING_1 = "000_9235db1928513daf.txt"
READING_2 = "001_10b306bce5995985.txt"
UPRISINGS = "002_a7fd3fb504cc1a7c.txt"
OUT_WITH_THE_OLD = "003_efbb4616f769c3eb.txt"
FREEDOM = "004_6242c764d41ae8c1.txt"

CHROME = [
    "Leave a Reply",
    "Fill in your details",
    "You are commenting using",
    "Log Out",
    "Change )",
    "Connecting to %s",
    "WordPress.com Logo",
    "Facebook photo",
    "Twitter picture",
    "Liked by",
    "thoughts on “",
    "This post received",
]


def parse_seed(name: str, **options: int):
    """Parse one of the seed documents from its bytes."""
    return parse_document((DOCUMENTS / name).read_bytes(), **options)


def render(markdown: str) -> str:
    """Render Markdown the way the app does, before sanitising."""
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


@pytest.mark.parametrize(
    ("name", "title", "likes", "awards", "declared"),
    [
        (READING_1, "Days and Lives :: Solidarity", [], [], None),
        (READING_2, "Days and Lives :: Solidarity", [], [], None),
        (OUT_WITH_THE_OLD, "Out With the Old (Prisoners)", [0, 0, 0, 1, 1, 1, 2], ["Comrade’s Corner"], 7),
        (FREEDOM, "Freedom from the Gulags", [0] * 8, [], None),
    ],
)
def test_seed_document_structure(name, title, likes, awards, declared):
    document = parse_seed(name)

    assert document.title == title
    assert [comment.likes for comment in document.comments] == likes
    assert document.awards == awards
    assert document.declared_comment_count == declared
    assert document.warnings == []


@pytest.mark.parametrize("name", sorted(path.name for path in DOCUMENTS.glob("*.txt")))
def test_no_chrome_or_numbering_left_in_text(name):
    document = parse_seed(name, title_lines=2 if name == UPRISINGS else 1)

    for text in [document.body, *(comment.body for comment in document.comments)]:
        for chrome in CHROME:
            assert chrome not in text
        assert "\u00a0" not in text
    for comment in document.comments:
        assert comment.body.strip()
        assert not comment.body[0].isdigit()


def test_reading_headings_and_paragraphs():
    html = render(parse_seed(READING_1).body)

    assert html.startswith("<h2>Prisoner: Dimitri Panin</h2>\n")
    assert "<h2>Movie Transcription</h2>" in html
    assert "<p>Listen to the sound or read the transcript below.</p>" in html
    assert html.count("<p>") == 6
    assert html.count("<h2>") == 2


def test_second_reading_names_its_prisoner():
    assert parse_seed(READING_2).body.startswith("## Prisoner: Jacques Rossi\n\n")


def test_two_line_title_stays_out_of_the_body():
    document = parse_seed(UPRISINGS, title_lines=2)

    assert document.title == "BETWEEN HITLER AND STALIN: THE GULAG UPRISINGS OF 1952-54"
    assert "UPRISINGS" not in document.body
    assert document.body.startswith("After the Soviet victory in WWII")
    assert render(document.body).count("<p>") == 6
    assert document.comments == []


def test_single_line_title_turns_the_subtitle_into_a_heading():
    document = parse_seed(UPRISINGS)

    assert document.title == "BETWEEN HITLER AND STALIN"
    assert document.body.startswith("## THE GULAG UPRISINGS OF 1952-54\n\n")


def test_response_caption_quote_poem_and_references():
    document = parse_seed(OUT_WITH_THE_OLD)
    html = render(document.body)

    assert html.startswith(
        "<figure><figcaption>Prisoners had to build prisons for themselves because demand was so high."
    )
    assert 'href="http://soviethistory.msu.edu/1954-2/prisoners-return/prisoners-return-images/#bwg137/767"' in html

    quote, poem = (part.split("</blockquote>")[0] for part in html.split("<blockquote>")[1:])
    assert quote.count("<p>") == 3
    assert "<p>“You have suffered innocently" in quote
    assert "owe your freedom.” (Deutscher, 2012)</p>" in quote

    assert poem.startswith("\n<p>“ … fate made everybody equal<br />\nOutside the limits of the law,<br />\n")
    assert poem.count("<br />") == 6
    assert poem.endswith("Branded as traitors every one.”</p>\n")
    assert "</blockquote>\n<p>(Cohen, p. 10)</p>" in html

    references = html.split("<h2>References</h2>\n")[1]
    assert references.startswith("<ul>\n<li>Cohen, S. Social Dimensions of De-Stalinization")
    assert references.count("<li>") == 6
    assert references.endswith("</ul>\n")
    assert '<a href="https://www.marxists.org/archive/deutscher/1953/russiaafterstalin.htm">' in references


def test_response_comments_keep_their_text():
    comments = parse_seed(OUT_WITH_THE_OLD).comments

    assert comments[0].body.startswith("You did a great job tying everything together")
    assert comments[6].body.endswith("I think that would have really inspired others.")


def test_comments_without_header_follow_the_last_heading():
    document = parse_seed(FREEDOM)
    html = render(document.body)

    assert html.startswith("<figure><figcaption>This photo captures prisoners building living quarters")
    assert "<h2>Aleksandr Solzhenitsyn</h2>" in html
    assert html.endswith("<h2>Photo Sources:</h2>\n")
    assert document.comments[0].body.startswith("Wow loving the hyperlinks!!")
    assert document.comments[7].body.startswith("Your post was very interesting")


def test_caption_survives_sanitising():
    html = render(parse_seed(FREEDOM).body)

    clean = nh3.clean(html, tags=nh3.ALLOWED_TAGS | {"figure", "figcaption"})

    assert "<figure><figcaption>This photo captures" in clean


def test_post_without_comments():
    document = parse_document("A Title\n\nJust one paragraph.\n\nLeave a Reply\n\nConnecting to %s\n")

    assert document.title == "A Title"
    assert document.body == "Just one paragraph."
    assert document.comments == []
    assert document.declared_comment_count is None
    assert document.warnings == []


def test_declared_count_that_disagrees_gives_a_warning():
    text = "Post\n\nBody.\n\n3 thoughts on “Post”\n\n  1. First.\n\n  2. Second.\n"

    document = parse_document(text)

    assert [comment.body for comment in document.comments] == ["First.", "Second."]
    assert document.declared_comment_count == 3
    assert document.warnings == ["header says 3 comments but 2 were found"]


def test_comment_numbering_gap_gives_a_warning():
    text = "Post\n\nBody.\n\n2 thoughts on “Post”\n\n  1. First.\n\n  3. Third.\n"

    document = parse_document(text)

    assert len(document.comments) == 2
    assert document.warnings == ["comment numbered 3 where 2 was expected"]


def test_multi_paragraph_comment_and_many_likes():
    text = (
        "Post\n\nBody.\n\nOne thought on “Post”\n\n"
        "  1. First paragraph.\n\n    Second paragraph.\n\n    Liked by 12 people\n\nLeave a Reply\n"
    )

    document = parse_document(text)

    assert document.declared_comment_count == 1
    assert len(document.comments) == 1
    assert document.comments[0].body == "First paragraph.\n\nSecond paragraph."
    assert document.comments[0].likes == 12


def test_award_with_another_name():
    document = parse_document("Post\n\nBody.\n\nThis post received the Red Star award\n")

    assert document.awards == ["Red Star"]
    assert document.body == "Body."


def test_numbered_lines_in_the_body_are_not_a_list_or_comments():
    document = parse_document("Post\n\n1. This is not a list.\n\nIt is a paragraph after all.\n")

    assert document.comments == []
    assert render(document.body).startswith("<p>1. This is not a list.</p>")


def test_markdown_characters_are_shown_literally():
    document = parse_document("Post\n\n# not a heading\n\n- not *emphasis* or _this_ <b>tag</b> &amp;\n")

    html = render(document.body)

    assert html == ("<p># not a heading</p>\n<p>- not *emphasis* or _this_ &lt;b&gt;tag&lt;/b&gt; &amp;amp;</p>\n")


def test_table_and_strikethrough_syntax_is_shown_literally():
    document = parse_document("Post\n\n“a | b\n\n-|-\n\n~~not struck~~”\n")

    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(document.body)

    assert html == "<blockquote>\n<p>“a | b<br />\n-|-<br />\n~~not struck~~”</p>\n</blockquote>\n"


def test_sentences_are_not_headings():
    document = parse_document("Post\n\nGeorgi Malenkov is quoted saying:\n\nThe End.\n\nRead this first\n")

    assert "#" not in document.body


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_other_line_endings_give_the_same_result(newline):
    unix = (DOCUMENTS / OUT_WITH_THE_OLD).read_text(encoding="utf-8")

    converted = parse_document(unix.replace("\n", newline).encode("utf-8"))

    assert converted == parse_document(unix)


def test_byte_order_mark_is_ignored():
    data = (DOCUMENTS / FREEDOM).read_bytes()

    assert parse_document(b"\xef\xbb\xbf" + data) == parse_document(data)


@pytest.mark.parametrize("data", [b"", "   \n\t\n", b"\xef\xbb\xbf\r\n"])
def test_empty_document_is_an_error(data):
    with pytest.raises(ParseError, match="document is empty"):
        parse_document(data)


def test_binary_document_is_an_error_with_its_line():
    with pytest.raises(ParseError) as caught:
        parse_document(b"Title\r\n\r\nsome text\x00\x01\x02")

    assert caught.value.line == 3
    assert str(caught.value) == "line 3: document looks binary: it contains a NUL byte"


def test_invalid_utf8_is_an_error_with_its_line():
    with pytest.raises(ParseError) as caught:
        parse_document("Title\n\ncaf\u00e9\n".encode("utf-8") + b"bad \xff byte\n")

    assert caught.value.line == 4
    assert "not valid UTF-8" in caught.value.message
    assert "0xff" in str(caught.value)
