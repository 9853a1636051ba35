"""What an uploaded file is, made safe and light: bytes in, safe bytes out (no Flask, no database).

The type is read from the content, never from the name (plain text is the one exception: its bytes have no
signature, so a .txt, .md or .csv name is required as well as valid UTF-8). Pictures are decoded under a pixel limit,
turned upright, converted to sRGB and re-encoded with no metadata at all, at most `max_side` pixels on the longest
side, with smaller copies for srcset. Animated pictures (GIF, WebP, APNG) become a still of their first frame: one
decoder path, no frame-count bombs, and a moving picture in a discussion is rarely what a class needs. PDFs and office
documents are rewritten without their author, company and other document properties. Anything re-encoded loses what
was appended to it, so a PNG that is also a zip or an HTML page comes out as only a PNG.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

pillow_heif.register_heif_opener()


class UploadRefused(ValueError):
    """An upload Board does not take; str(error) is a clear sentence for the person (what was wrong, what Board takes)."""


@dataclass(frozen=True)
class Blob:
    """Bytes to store and serve, with their content type and, for pictures, their size in pixels."""

    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Examined:
    """An accepted upload: its kind ("image" or "file"), its real extension, what to serve, and a safe file name."""

    kind: str
    ext: str
    main: Blob
    variants: tuple[Blob, ...]
    name: str


@dataclass(frozen=True)
class Accepted:
    """One kind of upload Board takes: its name for people, its extensions and its MIME types."""

    label: str
    extensions: tuple[str, ...]
    mime_types: tuple[str, ...]


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODF = "application/vnd.oasis.opendocument."

IMAGE_TYPES = (
    Accepted("JPEG", ("jpg", "jpeg"), ("image/jpeg",)),
    Accepted("PNG", ("png",), ("image/png",)),
    Accepted("GIF", ("gif",), ("image/gif",)),
    Accepted("WebP", ("webp",), ("image/webp",)),
    Accepted("HEIC", ("heic", "heif"), ("image/heic", "image/heif")),
)
FILE_TYPES = (
    Accepted("PDF", ("pdf",), ("application/pdf",)),
    Accepted("Word", ("docx",), (_DOCX,)),
    Accepted("Excel", ("xlsx",), (_XLSX,)),
    Accepted("PowerPoint", ("pptx",), (_PPTX,)),
    Accepted("OpenDocument", ("odt", "ods", "odp"), (_ODF + "text", _ODF + "spreadsheet", _ODF + "presentation")),
    Accepted("plain text", ("txt", "md", "csv"), ("text/plain", "text/markdown", "text/csv")),
)
ACCEPT = ",".join(
    [f".{ext}" for kind in IMAGE_TYPES + FILE_TYPES for ext in kind.extensions]
    + [mime for kind in IMAGE_TYPES + FILE_TYPES for mime in kind.mime_types]
)
WHAT_BOARD_TAKES = (
    f"pictures ({', '.join(kind.label for kind in IMAGE_TYPES)}) "
    f"and files ({', '.join(kind.label for kind in FILE_TYPES)})"
)

ZIP_MAX_UNPACKED = 100 * 1024 * 1024  # bytes, all members of an office document together
ZIP_MAX_ENTRIES = 10_000
NAME_MAX = 100  # characters in a safe file name, extension included

# What Pillow's decoders raise on damaged or hostile data (struct.error and friends escape from some plugins);
# pillow-heif raises RuntimeError, for one when libheif's own size limits stop a picture (found by fuzzing).
_DECODE_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, RuntimeError, struct.error,
)  # fmt: skip
_SOURCE_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "HEIF"]
# JPEG is for photos; PNG keeps drawings and screenshots sharp; WebP stays WebP (it is small and keeps transparency).
# An MPO is a JPEG with extra pictures in it (some cameras); a HEIC is a phone photo.
_OUTPUT_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "HEIF": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP"}
_OUTPUT_TYPE = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
_TEXT_TYPES = {"txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8"}
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": ("docx", _DOCX),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ("xlsx", _XLSX),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": ("pptx", _PPTX),
}
_ODF_MAIN = {_ODF + "text": "odt", _ODF + "spreadsheet": "ods", _ODF + "presentation": "odp"}
# Empty property parts are valid (every property is optional), so the package keeps its parts, relationships and
# content types exactly as they were and Word, Excel and PowerPoint open it as before, minus who wrote it.
_EMPTY_OOXML_PROPERTIES = {
    "application/vnd.openxmlformats-package.core-properties+xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        b' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    ),
    "application/vnd.openxmlformats-officedocument.extended-properties+xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
        b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
    ),
    "application/vnd.openxmlformats-officedocument.custom-properties+xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
    ),
}
_OOXML_PROPERTY_PARTS = {  # where Office puts them, should [Content_Types].xml not say
    "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
    "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    "docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
}
_MARKUP_ANNOTATIONS = {  # PDF annotations whose /T is the name of the person who made them (a form field's is its name)
    "/Text", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight", "/Underline",
    "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink", "/FileAttachment", "/Sound", "/Redact", "/Popup",
}  # fmt: skip


def examine(
    data: bytes,
    filename: str,
    *,
    max_pixels: int = 40_000_000,
    max_side: int = 2000,
    variant_widths: tuple[int, ...] = (480, 960),
) -> Examined:
    """Tell what the upload really is and return it made safe; raises UploadRefused for anything Board does not take."""
    if not data:
        raise UploadRefused(f"The file is empty. Board takes {WHAT_BOARD_TAKES}.")
    image = _open_image(data, max_pixels)
    if image is not None:
        with image:
            return _examine_image(image, filename, max_side, variant_widths)
    if b"%PDF-" in data[:1024]:
        return _examine_pdf(data, filename)
    if data.startswith(b"PK\x03\x04"):
        return _examine_zip(data, filename)
    ext = _extension(filename)
    if ext in _TEXT_TYPES:
        return _examine_text(data, filename, ext)
    if ext == "svg" or re.search(rb"<svg[\s>]", data[:4096], re.IGNORECASE):
        raise UploadRefused(
            "Board does not take SVG pictures: they can carry scripts. Export the picture as a PNG and upload that."
        )
    raise UploadRefused(f"Board cannot take this kind of file. It takes {WHAT_BOARD_TAKES}.")


def safe_name(filename: str, ext: str, kind: str) -> str:
    """A download name from the uploaded one: no folders, no control characters, short, ending in the real `ext`."""
    base = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    # Category C covers control characters and invisible formatting ones, such as the right-to-left override that
    # makes "photo\u202egnp.exe" look like "photoexe.png".
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = re.sub(r'[<>:"|?*]', "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    stem = stem[: NAME_MAX - len(ext) - 1].rstrip(" .")
    return f"{stem or kind}.{ext}"


def _extension(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].strip().lower() if "." in base else ""


# Pictures


def _open_image(data: bytes, max_pixels: int) -> Image.Image | None:
    """The picture in `data`, opened but not decoded, or None when the bytes are not a picture Board takes."""
    try:
        image = Image.open(io.BytesIO(data), formats=_SOURCE_FORMATS)
    except UnidentifiedImageError:
        if _starts_like_a_picture(data):
            raise _unreadable() from None
        return None
    # Pillow's own bomb guard: an error past twice its limit, a warning past it, which raises wherever warnings are
    # errors (the tests); either way the picture is far past max_pixels, so it is refused, never a 500.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(max_pixels) from None
    except _DECODE_ERRORS:
        raise _unreadable() from None
    if image.width * image.height > max_pixels:
        image.close()
        raise _too_large(max_pixels)
    return image


def _starts_like_a_picture(data: bytes) -> bool:
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"))
    )


def _too_large(max_pixels: int) -> UploadRefused:
    return UploadRefused(
        f"This picture is too large: Board takes pictures of up to {max_pixels / 1_000_000:g} million pixels."
    )


def _unreadable() -> UploadRefused:
    return UploadRefused("This picture could not be read: it may be damaged or cut short. Try saving it again.")


def _examine_image(image: Image.Image, filename: str, max_side: int, variant_widths: tuple[int, ...]) -> Examined:
    output = _OUTPUT_FORMAT[image.format]
    icc = image.info.get("icc_profile")
    try:
        if image.format in ("JPEG", "MPO"):
            # Decode at 1/2, 1/4 or 1/8 scale when the picture is to be shrunk that much anyway: a 12 MP photo
            # decodes in a quarter of the time.
            image.draft(None, _fitted(image.size, max_side))
        image.load()  # the first frame only: an animated picture becomes a still
        picture = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        raise _unreadable() from None
    picture = _plain_mode(picture, keep_cmyk=bool(icc))
    if picture.size != _fitted(picture.size, max_side):
        picture = picture.resize(_fitted(picture.size, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    picture = _to_srgb(picture, icc)
    if output == "JPEG" and picture.mode in ("RGBA", "LA"):
        output = "PNG"  # a HEIC with transparency
    variants = []
    for width in sorted(set(variant_widths)):
        if width < picture.width:
            height = max(1, round(picture.height * width / picture.width))
            variants.append(_encode(picture.resize((width, height), Image.Resampling.LANCZOS), output))
    ext = _OUTPUT_TYPE[output][0]
    return Examined("image", ext, _encode(picture, output), tuple(variants), safe_name(filename, ext, "image"))


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _plain_mode(picture: Image.Image, *, keep_cmyk: bool) -> Image.Image:
    """The picture in L, LA, RGB or RGBA (or CMYK, kept for its colour profile), with transparency as an alpha band."""
    if picture.mode == "CMYK" and keep_cmyk:
        return picture
    if picture.mode.startswith("I"):  # 16-bit greyscale PNG: keep the top 8 bits
        return picture.convert("I").point(lambda value: value / 256).convert("L")
    transparent = picture.has_transparency_data
    if picture.mode in ("LA", "RGBA") or (picture.mode in ("L", "RGB") and not transparent):
        return picture
    if picture.mode in ("1", "L"):
        return picture.convert("LA" if transparent else "L")
    return picture.convert("RGBA" if transparent else "RGB")


def _to_srgb(picture: Image.Image, icc: bytes | None) -> Image.Image:
    """The picture's colours in sRGB, its own profile applied and left behind.

    A colour profile holds no personal data, but it is free-form and can carry text (a description, a copyright, a
    maker's name); converting to sRGB, which is what a browser assumes of an untagged picture, keeps the colours of a
    phone's wide-gamut photo right and lets every picture leave with no profile at all.
    """
    if icc and picture.mode in ("RGB", "RGBA", "CMYK"):
        out_mode = "RGBA" if picture.mode == "RGBA" else "RGB"
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(picture, source, ImageCms.createProfile("sRGB"), outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a damaged or mismatched profile: keep the pixels as they are
    return picture.convert("RGB") if picture.mode == "CMYK" else picture


def _encode(picture: Image.Image, output: str) -> Blob:
    # Some encoders (PNG's) copy the picture's own info (profile, EXIF, XMP) into the file unless it is emptied.
    picture.info = {}
    buffer = io.BytesIO()
    if output == "JPEG":
        picture.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif output == "PNG":
        # zlib's default level: `optimize` (level 9) took five times as long on a 2000-pixel photo saved as PNG
        # (0.87 s against 0.17 s) for a file 2.5% smaller.
        picture.save(buffer, "PNG")
    else:
        picture.save(buffer, "WEBP", quality=85)
    return Blob(buffer.getvalue(), _OUTPUT_TYPE[output][1], picture.width, picture.height)


# Files


def _examine_text(data: bytes, filename: str, ext: str) -> Examined:
    if not _is_utf8_text(data):
        raise UploadRefused(
            f"This file is named .{ext} but is not plain text in UTF-8. Board takes {WHAT_BOARD_TAKES}."
        )
    return Examined("file", ext, Blob(data, _TEXT_TYPES[ext]), (), safe_name(filename, ext, "file"))


def _is_utf8_text(data: bytes) -> bool:
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")  # a byte order mark decodes too
    except UnicodeDecodeError:
        return False
    return True


def _examine_pdf(data: bytes, filename: str) -> Examined:
    """The PDF rewritten by pypdf with no document information, no XMP and no names on its annotations."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UploadRefused(
                "This PDF is protected with a password, so Board cannot check it. Save a copy without the password "
                "and upload that."
            )
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        _strip_pdf_metadata(writer.root_object)
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        buffer = io.BytesIO()
        writer.write(buffer)
    except UploadRefused:
        raise
    # pypdf reads hostile files leniently, and what it raises on ones it cannot read is not a closed set.
    except Exception:  # noqa: BLE001
        raise UploadRefused(
            "This PDF could not be read: it may be damaged. Try saving or exporting it again."
        ) from None
    return Examined("file", "pdf", Blob(buffer.getvalue(), "application/pdf"), (), safe_name(filename, "pdf", "file"))


def _strip_pdf_metadata(root: DictionaryObject) -> None:
    """Remove every XMP stream and application's private data from the document, and the author of each annotation."""
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if node.idnum in seen:
                continue
            seen.add(node.idnum)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for key in ("/Metadata", "/PieceInfo"):
                node.pop(NameObject(key), None)
            if node.get("/Subtype") in _MARKUP_ANNOTATIONS and "/Rect" in node:
                node.pop(NameObject("/T"), None)
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)


def _examine_zip(data: bytes, filename: str) -> Examined:
    """An office document (OOXML or OpenDocument) rewritten without its document properties; any other zip refused."""
    not_office = UploadRefused(f"This zip file is not an office document. Board takes {WHAT_BOARD_TAKES}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):  # the last: a zip version
        raise not_office from None
    with archive:
        entries = archive.infolist()
        names = [entry.filename for entry in entries]
        if len(entries) > ZIP_MAX_ENTRIES or sum(entry.file_size for entry in entries) > ZIP_MAX_UNPACKED:
            raise UploadRefused(
                f"This document unpacks to more than Board takes ({ZIP_MAX_UNPACKED // (1024 * 1024)} MB, "
                f"{ZIP_MAX_ENTRIES:,} parts)."
            )
        if len(set(names)) != len(names) or any(entry.flag_bits & 0x1 for entry in entries):
            raise not_office  # two parts with one name, or zip encryption: no office application writes either
        try:
            if "mimetype" in names:
                ext, content_type, replacements = _odf_document(archive, names)
            elif "[Content_Types].xml" in names:
                ext, content_type, replacements = _ooxml_document(archive, names)
            else:
                raise not_office
            return Examined(
                "file",
                ext,
                Blob(_rewritten(archive, replacements), content_type),
                (),
                safe_name(filename, ext, "file"),
            )
        except UploadRefused:
            raise  # a ValueError too, which the next clause would take for damage
        # A bad CRC, a damaged deflate stream, a compression method zipfile lacks.
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError):
            raise UploadRefused("This document could not be read: it may be damaged. Try saving it again.") from None


def _macros_refused() -> UploadRefused:
    return UploadRefused(
        "Board does not take documents with macros. Save a copy as an ordinary document (.docx, .xlsx, .pptx or "
        "OpenDocument) and upload that."
    )


def _ooxml_document(archive: zipfile.ZipFile, names: list[str]) -> tuple[str, str, dict[str, bytes]]:
    """The extension, content type and emptied property parts of an Office Open XML package."""
    content_types = archive.read("[Content_Types].xml")
    if any(name.lower().endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types.lower():
        raise _macros_refused()
    overrides = {}
    for tag in re.findall(rb"<(?:\w+:)?Override\b[^>]*>", content_types):
        part, kind = _attribute(tag, b"PartName"), _attribute(tag, b"ContentType")
        overrides[part.lstrip("/")] = kind
    mains = {_OOXML_MAIN[kind] for kind in overrides.values() if kind in _OOXML_MAIN}
    if len(mains) != 1:
        raise UploadRefused(
            f"This file is not a Word, Excel or PowerPoint document Board can take. Board takes {WHAT_BOARD_TAKES}."
        )
    ext, content_type = mains.pop()
    replacements = {}
    for name in names:
        kind = overrides.get(name) or _OOXML_PROPERTY_PARTS.get(name)
        if kind in _EMPTY_OOXML_PROPERTIES:
            replacements[name] = _EMPTY_OOXML_PROPERTIES[kind]
    return ext, content_type, replacements


def _attribute(tag: bytes, name: bytes) -> str:
    found = re.search(rb"\b" + name + rb"""\s*=\s*["']([^"']*)["']""", tag)
    return found.group(1).decode("utf-8", "replace") if found else ""


def _odf_document(archive: zipfile.ZipFile, names: list[str]) -> tuple[str, str, dict[str, bytes]]:
    """The extension, content type and emptied meta.xml of an OpenDocument text, spreadsheet or presentation."""
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    if mimetype not in _ODF_MAIN:
        raise UploadRefused(
            f"This file is not an OpenDocument text, spreadsheet or presentation. Board takes {WHAT_BOARD_TAKES}."
        )
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise _macros_refused()
    replacements = {}
    if "meta.xml" in names:
        version = re.search(rb'office:version="([0-9.]{1,8})"', archive.read("meta.xml"))
        replacements["meta.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            + (b' office:version="' + version.group(1) + b'"' if version else b"")
            + b"><office:meta/></office:document-meta>"
        )
    return _ODF_MAIN[mimetype], mimetype, replacements


def _rewritten(archive: zipfile.ZipFile, replacements: dict[str, bytes]) -> bytes:
    """The archive's members in their order and compression, with no dates, comments, owners or extra fields."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for entry in archive.infolist():
            member = zipfile.ZipInfo(entry.filename)  # dated 1980-01-01: when it was saved is the author's too
            stored = entry.compress_type == zipfile.ZIP_STORED  # OpenDocument's mimetype must stay stored
            member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            content = replacements.get(entry.filename)
            out.writestr(member, archive.read(entry) if content is None else content)
    return buffer.getvalue()
