"""Turn exported blog documents and the seed manifest into plain data; no database or Flask here."""

from board.importing.blog_export import (
    ParsedComment,
    ParsedDocument,
    ParseError,
    parse_document,
)
from board.importing.manifest import (
    AccountSpec,
    AwardTypeSpec,
    CourseSpec,
    DocumentSpec,
    Manifest,
    ManifestError,
    load_manifest,
)

__all__ = [
    "AccountSpec",
    "AwardTypeSpec",
    "CourseSpec",
    "DocumentSpec",
    "Manifest",
    "ManifestError",
    "ParseError",
    "ParsedComment",
    "ParsedDocument",
    "load_manifest",
    "parse_document",
]
