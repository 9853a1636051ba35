"""Uploads examined from their bytes: real pictures, PDFs, office documents and text generated here, never fixtures.

Each test builds the file it needs with Pillow, pillow-heif, pypdf or zipfile, runs it through `examine`, and reads
the result back with the same libraries.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from pypdf.generic import NameObject, TextStringObject

from board.uploads import processing
from board.uploads.processing import UploadRefused, examine

ADA = "Ada Lovelace"


def _picture(size=(40, 20), mode="RGB", color=(200, 30, 30)) -> Image.Image:
    return Image.new(mode, size, color)


def _saved(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def _reopened(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width`×`height` one-bit pixels but holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _pdf(author: str = ADA) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    writer.add_metadata({"/Author": author, "/Creator": author, "/Title": f"Notes by {author}"})
    writer.xmp_metadata = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{author}</dc:creator></x:xmpmeta>'.encode()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compression)
    return buffer.getvalue()


def _unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _docx(main_type: str = WORD_MAIN, main_part: str = "word/document.xml", **extra: bytes | str) -> bytes:
    """A minimal Office Open XML package: one main part, core and app properties naming Ada, and `extra` parts."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
        '<Override PartName="/docProps/core.xml"'
        ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument"/>'
        '<Relationship Id="rId2" Target="docProps/core.xml" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties"/>'
        '<Relationship Id="rId3" Target="docProps/app.xml" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/extended-properties"/>'
        "</Relationships>"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>On the Analytical Engine</w:t></w:r></w:p></w:body></w:document>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{ADA}</dc:creator><cp:lastModifiedBy>{ADA}</cp:lastModifiedBy></cp:coreProperties>"
    )
    app = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        f"<Company>{ADA} Ltd</Company><Manager>{ADA}</Manager></Properties>"
    )
    members = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": rels,
        main_part: document,
        "docProps/core.xml": core,
        "docProps/app.xml": app,
    }
    return _zip({**members, **extra})


# What a file is comes from its bytes


def test_png_named_pdf_is_a_png_picture():
    examined = examine(_saved(_picture(), "PNG"), "notes.pdf")
    assert (examined.kind, examined.ext, examined.main.content_type) == ("image", "png", "image/png")
    assert examined.name == "notes.png"
    assert _reopened(examined.main.data).format == "PNG"


def test_pdf_named_png_is_a_pdf_file():
    examined = examine(_pdf(), "picture.png")
    assert (examined.kind, examined.ext, examined.main.content_type) == ("file", "pdf", "application/pdf")
    assert examined.variants == ()
    assert examined.name == "picture.pdf"
    assert len(PdfReader(io.BytesIO(examined.main.data)).pages) == 1


@pytest.mark.parametrize("name", ["holiday.jpg", "scan.png", "reading.pdf", "page.html"])
def test_html_is_refused_whatever_its_name(name):
    with pytest.raises(UploadRefused, match="pictures \\(JPEG, PNG, GIF, WebP, HEIC\\) and files \\(PDF, Word"):
        examine(b"<!doctype html><html><script>alert(1)</script></html>", name)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "setup.exe"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(100), "clip.mp4"),
        (_zip({"notes.txt": "hello"}), "notes.zip"),
    ],
    ids=["exe", "mp4", "plain zip"],
)
def test_other_kinds_of_file_are_refused_naming_what_board_takes(data, name):
    with pytest.raises(UploadRefused) as refused:
        examine(data, name)
    assert processing.WHAT_BOARD_TAKES in str(refused.value)


def test_empty_file_is_refused():
    with pytest.raises(UploadRefused, match="empty"):
        examine(b"", "notes.txt")


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"></svg>',
    ],
)
@pytest.mark.parametrize("name", ["drawing.svg", "drawing.png"])
def test_svg_is_refused_with_a_way_forward(data, name):
    with pytest.raises(UploadRefused, match="SVG.*scripts.*PNG"):
        examine(data, name)


def test_accept_lists_extensions_and_types_for_the_file_input():
    accepted = processing.ACCEPT.split(",")
    assert {".jpg", ".heic", ".pdf", ".docx", ".odt", ".csv", "image/heic", "application/pdf"} <= set(accepted)
    assert ".svg" not in accepted and "image/svg+xml" not in accepted


# Polyglots lose what rides along


def test_png_with_a_zip_and_html_appended_comes_out_without_them():
    appendix = _zip({"evil.html": "<script>alert(1)</script>"}) + b"<html><script>alert(2)</script></html>"
    examined = examine(_saved(_picture(), "PNG") + appendix, "photo.png")
    assert examined.ext == "png"
    assert b"<script" not in examined.main.data and b"PK\x03\x04" not in examined.main.data
    assert not zipfile.is_zipfile(io.BytesIO(examined.main.data))
    assert examined.main.data.endswith(b"IEND\xaeB`\x82")


def test_gif_that_is_also_javascript_comes_out_as_a_plain_png():
    # A width of 10799 is written "/*": read as JavaScript, the GIF's header opens a comment that its own comment
    # block closes, and what follows runs.
    gif = _saved(_picture((10799, 2), "P", 1), "GIF", comment=b"*/=1;alert(document.domain);/*") + b"*/"
    assert gif.startswith(b"GIF89a/*")
    examined = examine(gif, "cat.gif")
    assert (examined.ext, examined.main.width) == ("png", 2000)
    assert b"alert" not in examined.main.data
    assert not examined.main.data.startswith(b"GIF")


def test_pdf_that_is_also_a_zip_is_rewritten_as_a_pdf():
    polyglot = _pdf() + _zip({"evil.html": "<script>alert(1)</script>"})
    assert zipfile.is_zipfile(io.BytesIO(polyglot))
    examined = examine(polyglot, "paper.zip")
    assert examined.ext == "pdf"
    assert not zipfile.is_zipfile(io.BytesIO(examined.main.data))
    assert b"evil.html" not in examined.main.data


# Pictures: decoded safely


@pytest.mark.parametrize("side", [7000, 10_000, 50_000], ids=["over Board's limit", "Pillow warns", "Pillow stops"])
def test_picture_declaring_too_many_pixels_is_refused_without_decoding(side, monkeypatch):
    def decode(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    with pytest.raises(UploadRefused, match="too large.*40 million pixels"):
        examine(_png_header(side, side), "bomb.png")


def test_truncated_jpeg_is_refused():
    jpeg = _saved(Image.effect_noise((200, 200), 64).convert("RGB"), "JPEG")
    with pytest.raises(UploadRefused, match="could not be read"):
        examine(jpeg[: len(jpeg) // 2], "photo.jpg")


def test_jpeg_loses_its_gps_position_and_every_other_metadata_block():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = ADA  # Artist
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})  # GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = _saved(_picture(), "JPEG", exif=exif, icc_profile=icc, comment=ADA.encode())
    assert _reopened(jpeg).getexif().get_ifd(0x8825)

    examined = examine(jpeg, "photo.jpg")
    picture = _reopened(examined.main.data)
    assert not picture.getexif() and not picture.getexif().get_ifd(0x8825)
    assert {"exif", "icc_profile", "xmp", "comment"}.isdisjoint(picture.info)
    assert b"Exif" not in examined.main.data and ADA.encode() not in examined.main.data


def test_orientation_is_applied():
    picture = _picture((40, 20), color=(0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 8, 8))  # the top-left corner, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise
    examined = examine(_saved(picture, "JPEG", exif=exif, quality=95), "photo.jpg")

    upright = _reopened(examined.main.data)
    assert upright.size == (20, 40) == (examined.main.width, examined.main.height)
    red, _, blue = upright.getpixel((16, 3))  # turned clockwise, the stored top-left corner is top right
    assert red > 200 and blue < 60
    red, _, blue = upright.getpixel((3, 3))
    assert red < 60 and blue > 200


def test_heic_phone_photo_is_stored_as_jpeg():
    buffer = io.BytesIO()
    pillow_heif.from_pillow(_picture((64, 48))).save(buffer, format="HEIF", quality=90)
    examined = examine(buffer.getvalue(), "IMG_0001.HEIC")
    assert (examined.kind, examined.ext, examined.main.content_type) == ("image", "jpg", "image/jpeg")
    assert examined.name == "IMG_0001.jpg"
    picture = _reopened(examined.main.data)
    assert (picture.format, picture.size) == ("JPEG", (64, 48))
    red, green, _ = picture.getpixel((32, 24))
    assert red > 150 and green < 80


def test_large_picture_is_resized_with_smaller_copies_for_srcset():
    examined = examine(_saved(_picture((3000, 1500)), "JPEG"), "wide.jpg")
    assert (examined.main.width, examined.main.height) == (2000, 1000)
    assert _reopened(examined.main.data).size == (2000, 1000)
    assert [(variant.width, variant.height) for variant in examined.variants] == [(480, 240), (960, 480)]
    for variant in examined.variants:
        assert _reopened(variant.data).size == (variant.width, variant.height)
        assert variant.content_type == "image/jpeg"


def test_tall_picture_is_limited_by_its_height_and_gets_only_narrower_copies():
    examined = examine(_saved(_picture((700, 2800)), "PNG"), "tall.png", variant_widths=(960, 480, 320))
    assert (examined.main.width, examined.main.height) == (500, 2000)
    assert [variant.width for variant in examined.variants] == [320, 480]


def test_small_picture_is_kept_at_its_size_with_no_copies():
    examined = examine(_saved(_picture((300, 200)), "JPEG"), "small.jpg")
    assert (examined.main.width, examined.main.height, examined.variants) == (300, 200, ())


def test_animated_gif_becomes_a_still_of_its_first_frame():
    frames = [_picture((30, 30), "RGB", color) for color in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    gif = _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(gif)).n_frames == 3
    examined = examine(gif, "party.gif")
    still = _reopened(examined.main.data)
    assert (examined.ext, still.format, getattr(still, "n_frames", 1)) == ("png", "PNG", 1)
    assert still.convert("RGB").getpixel((15, 15)) == (255, 0, 0)


def test_transparent_png_keeps_its_transparency():
    picture = _picture((20, 20), "RGBA", (255, 0, 0, 0))
    examined = examine(_saved(picture, "PNG"), "logo.png")
    assert _reopened(examined.main.data).getpixel((5, 5))[3] == 0


def test_webp_stays_webp():
    examined = examine(_saved(_picture(), "WEBP"), "sticker.webp")
    assert (examined.ext, examined.main.content_type, _reopened(examined.main.data).format) == (
        "webp",
        "image/webp",
        "WEBP",
    )


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_colour_profile_is_applied_and_left_behind(mode):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = _picture((20, 20), mode, (10, 200, 30, 128)[: len(mode)])
    examined = examine(_saved(picture, "PNG", icc_profile=srgb), "chart.png")
    result = _reopened(examined.main.data)
    assert "icc_profile" not in result.info
    assert result.mode == mode
    assert result.getpixel((5, 5))[1] > 180
    if mode == "RGBA":
        assert result.getpixel((5, 5))[3] == 128


def test_damaged_colour_profile_is_dropped():
    examined = examine(_saved(_picture(), "JPEG", icc_profile=b"not a profile" * 20), "photo.jpg")
    assert "icc_profile" not in _reopened(examined.main.data).info


def test_sixteen_bit_greyscale_png_is_kept_as_greyscale():
    picture = Image.new("I;16", (10, 10), 0x8000)
    examined = examine(_saved(picture, "PNG"), "scan.png")
    assert _reopened(examined.main.data).getpixel((5, 5)) == 0x80


# Files: PDFs


def test_pdf_loses_its_author_and_other_properties():
    pdf = _pdf()
    assert PdfReader(io.BytesIO(pdf)).metadata.author == ADA
    examined = examine(pdf, "essay.pdf")
    reader = PdfReader(io.BytesIO(examined.main.data))
    assert reader.metadata is None or not {"/Author", "/Creator", "/Title"} & set(reader.metadata)
    assert reader.xmp_metadata is None
    assert ADA.encode() not in examined.main.data


def test_pdf_annotation_author_is_removed():
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    note = Text(rect=(10, 10, 20, 20), text="see here")
    note[NameObject("/T")] = TextStringObject(ADA)
    writer.add_annotation(0, note)
    buffer = io.BytesIO()
    writer.write(buffer)
    examined = examine(buffer.getvalue(), "marked.pdf")
    assert ADA.encode() not in examined.main.data
    assert len(PdfReader(io.BytesIO(examined.main.data)).pages[0]["/Annots"]) == 1


def test_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf())))
    writer.encrypt("secret", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(UploadRefused, match="password"):
        examine(buffer.getvalue(), "locked.pdf")


def test_unreadable_pdf_is_refused():
    with pytest.raises(UploadRefused, match="PDF could not be read"):
        examine(b"%PDF-1.7\n" + bytes(range(256)) * 4, "broken.pdf")


# Files: office documents


def test_docx_loses_its_author_and_still_opens():
    examined = examine(_docx(), "essay.docx")
    assert (examined.kind, examined.ext, examined.main.content_type) == ("file", "docx", processing._DOCX)
    members = _unzipped(examined.main.data)
    assert ADA.encode() not in b"".join(members.values())
    assert b"On the Analytical Engine" in members["word/document.xml"]
    assert set(members) == {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "docProps/core.xml",
                            "docProps/app.xml"}  # fmt: skip
    assert members["docProps/core.xml"].rstrip().endswith(b"/>")
    assert next(iter(members)) == "[Content_Types].xml"


def test_office_type_comes_from_the_content_types_not_the_name():
    examined = examine(_docx(EXCEL_MAIN, "xl/workbook.xml"), "budget.docx")
    assert (examined.ext, examined.name) == ("xlsx", "budget.xlsx")


@pytest.mark.parametrize(
    "document",
    [
        _docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macros"}),
        _docx("application/vnd.ms-word.document.macroEnabled.main+xml"),
    ],
    ids=["vbaProject.bin", "macro-enabled type"],
)
def test_document_with_macros_is_refused(document):
    with pytest.raises(UploadRefused, match="macros"):
        examine(document, "essay.docx")


def test_zip_bomb_is_refused_before_unpacking():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(101):
                member.write(bytes(1 << 20))
    assert len(buffer.getvalue()) < 1 << 20
    with pytest.raises(UploadRefused, match="more than Board takes"):
        examine(buffer.getvalue(), "essay.docx")


def test_zip_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(processing, "ZIP_MAX_ENTRIES", 5)
    with pytest.raises(UploadRefused, match="more than Board takes"):
        examine(_docx(**{f"word/media/{number}.xml": "<a/>" for number in range(5)}), "essay.docx")


def test_odt_loses_its_author_and_keeps_mimetype_first_and_stored():
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-meta'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' office:version="1.3"><office:meta><meta:initial-creator>{ADA}</meta:initial-creator>'
        f"<dc:creator>{ADA}</dc:creator></office:meta></office:document-meta>"
    )
    odt = _zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": "<office:document-content/>",
            "meta.xml": meta,
            "META-INF/manifest.xml": "<manifest:manifest/>",
        }
    )
    examined = examine(odt, "essay.odt")
    assert (examined.ext, examined.main.content_type) == ("odt", "application/vnd.oasis.opendocument.text")
    members = _unzipped(examined.main.data)
    assert ADA.encode() not in b"".join(members.values())
    assert b'office:version="1.3"' in members["meta.xml"]
    with zipfile.ZipFile(io.BytesIO(examined.main.data)) as archive:
        first = archive.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert examined.main.data[30:38] == b"mimetype"  # where ODF readers look for it


def test_opendocument_drawing_is_refused():
    with pytest.raises(UploadRefused, match="not an OpenDocument text"):
        examine(_zip({"mimetype": "application/vnd.oasis.opendocument.graphics"}), "sketch.odg")


# Files: plain text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("notes.txt", "text/plain; charset=utf-8"),
        ("README.md", "text/plain; charset=utf-8"),
        ("marks.csv", "text/csv; charset=utf-8"),
    ],
)
def test_utf8_text_is_taken_as_is_when_named_as_text(name, content_type):
    data = "\ufeffname,note\nAda,Über alles ✓\n".encode()
    examined = examine(data, name)
    assert (examined.kind, examined.main.data, examined.main.content_type, examined.name) == (
        "file",
        data,
        content_type,
        name,
    )


def test_html_named_txt_is_only_text():
    examined = examine(b"<html><script>alert(1)</script></html>", "page.txt")
    assert (examined.ext, examined.main.content_type) == ("txt", "text/plain; charset=utf-8")


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01\x02binary\xff", "Café".encode("latin-1"), b"text with a NUL\x00 in it"],
    ids=["binary", "latin-1", "NUL"],
)
def test_what_is_not_utf8_text_is_refused_even_named_txt(data):
    with pytest.raises(UploadRefused, match="not plain text in UTF-8"):
        examine(data, "notes.txt")


def test_text_with_another_name_is_refused():
    with pytest.raises(UploadRefused, match="cannot take this kind of file"):
        examine(b"just some words", "notes.rtf")


# Names


@pytest.mark.parametrize(
    ("filename", "ext", "kind", "expected"),
    [
        ("../../etc/Ada's photo\n.PNG", "png", "image", "Ada's photo.png"),
        ("C:\\Users\\ada\\Desktop\\essay.final.DOCX", "docx", "file", "essay.final.docx"),
        ("invoice\u202egpj.exe", "pdf", "file", "invoicegpj.pdf"),
        ('a<b>:"c"|?*.txt', "txt", "file", "a_b___c____.txt"),
        ("../..", "png", "image", "image.png"),
        (".htaccess", "txt", "file", "htaccess.txt"),
        ("", "pdf", "file", "file.pdf"),
        ("x" * 300 + ".jpg", "jpg", "image", "x" * 96 + ".jpg"),
    ],
)
def test_safe_name(filename, ext, kind, expected):
    assert processing.safe_name(filename, ext, kind) == expected


def test_examined_picture_name_comes_from_the_upload_with_the_real_extension():
    examined = examine(_saved(_picture(), "PNG"), "../../etc/Ada's photo\n.PNG")
    assert examined.name == "Ada's photo.png"


# Less usual pictures and damaged documents


def test_heic_with_transparency_is_stored_as_png():
    buffer = io.BytesIO()
    pillow_heif.from_pillow(_picture((32, 32), "RGBA", (0, 0, 255, 0))).save(buffer, format="HEIF")
    examined = examine(buffer.getvalue(), "sticker.heic")
    assert (examined.ext, _reopened(examined.main.data).mode) == ("png", "RGBA")


def test_damaged_heic_is_refused():
    buffer = io.BytesIO()
    pillow_heif.from_pillow(_picture((64, 48))).save(buffer, format="HEIF")
    with pytest.raises(UploadRefused, match="could not be read"):
        examine(buffer.getvalue()[:300], "IMG_0002.heic")


@pytest.mark.parametrize("icc_profile", [None, ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()])
def test_cmyk_jpeg_comes_out_rgb(icc_profile):
    options = {"icc_profile": icc_profile} if icc_profile else {}
    examined = examine(_saved(_picture((20, 20), "CMYK", (0, 255, 255, 0)), "JPEG", **options), "print.jpg")
    picture = _reopened(examined.main.data)
    assert (picture.mode, "icc_profile" in picture.info) == ("RGB", False)
    red, green, _ = picture.getpixel((10, 10))
    assert red > 200 and green < 80


@pytest.mark.parametrize(
    ("picture", "options", "mode"),
    [
        (_picture((16, 16), "1", 1), {}, "L"),
        (_picture((16, 16), "L", 7), {"transparency": 7}, "LA"),
        (_picture((16, 16), "P", 3), {"transparency": 3}, "RGBA"),
        (_picture((16, 16), "P", 3), {}, "RGB"),
    ],
    ids=["one bit", "grey with a transparent grey", "palette with a transparent colour", "palette"],
)
def test_picture_modes_become_plain_ones_keeping_transparency(picture, options, mode):
    assert _reopened(examine(_saved(picture, "PNG", **options), "icon.png").main.data).mode == mode


def test_zip_that_only_starts_like_one_is_refused():
    with pytest.raises(UploadRefused, match="not an office document"):
        examine(b"PK\x03\x04" + bytes(100), "essay.docx")


def test_zip_with_two_parts_of_one_name_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(UploadRefused, match="not an office document"):
        examine(buffer.getvalue(), "essay.docx")


def test_damaged_document_is_refused():
    document = bytearray(_docx())
    text = document.index(b"word/document.xml") + len("word/document.xml")  # its compressed bytes follow its name
    document[text + 5 : text + 15] = bytes(10)
    with pytest.raises(UploadRefused, match="could not be read"):
        examine(bytes(document), "essay.docx")


def test_office_template_is_refused():
    template = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    with pytest.raises(UploadRefused, match="not a Word, Excel or PowerPoint document"):
        examine(_docx(template), "letter.dotx")


def test_opendocument_with_basic_macros_is_refused():
    odt = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "Basic/Standard/Module1.xml": "<m/>"})
    with pytest.raises(UploadRefused, match="macros"):
        examine(odt, "essay.odt")


def test_opendocument_without_meta_is_taken_as_it_is():
    ods = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<c/>"})
    examined = examine(ods, "marks.ods")
    assert (examined.ext, _unzipped(examined.main.data)) == ("ods", _unzipped(ods))
