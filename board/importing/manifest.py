"""Load and validate the seed manifest (seed/course.toml) that maps exported documents onto a course."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "BADGES",
    "KINDS",
    "ROLES",
    "AccountSpec",
    "AwardTypeSpec",
    "CourseSpec",
    "DocumentSpec",
    "Manifest",
    "ManifestError",
    "load_manifest",
]

BADGES = frozenset({"star", "trophy", "medal", "ribbon", "lightbulb", "heart"})
KINDS = frozenset({"reading", "response"})
ROLES = frozenset({"instructor", "assistant", "student"})

_Types = type | tuple[type, ...]  # what isinstance() accepts


class ManifestError(ValueError):
    """A manifest that is malformed or refers to things that do not exist."""


@dataclass(frozen=True)
class CourseSpec:
    """The course the seed documents belong to."""

    slug: str
    title: str
    code: str
    term: str
    description: str
    instructor: str  # email of an instructor account


@dataclass(frozen=True)
class AccountSpec:
    """A demo account."""

    email: str
    name: str
    role: str


@dataclass(frozen=True)
class AwardTypeSpec:
    """An award the instructor can give to a post."""

    name: str
    description: str
    badge: str


@dataclass(frozen=True)
class DocumentSpec:
    """How one exported document becomes a post."""

    file: str
    kind: str
    author: str
    date: datetime
    title: str | None = None  # overrides the title parsed from the document
    title_lines: int = 1
    week: str | None = None
    reading: str | None = None  # file of the reading a response answers
    comment_authors: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Manifest:
    """A validated manifest; document files live in `documents_dir`."""

    course: CourseSpec
    accounts: tuple[AccountSpec, ...]
    award_types: tuple[AwardTypeSpec, ...]
    documents: tuple[DocumentSpec, ...]
    documents_dir: Path

    def path_of(self, document: DocumentSpec) -> Path:
        """Return the path of a document's text file."""
        return self.documents_dir / document.file

    def account(self, email: str) -> AccountSpec:
        """Return the account with this email; KeyError if there is none."""
        for account in self.accounts:
            if account.email == email:
                return account
        raise KeyError(email)

    @property
    def students(self) -> tuple[AccountSpec, ...]:
        """The student accounts, in manifest order."""
        return tuple(account for account in self.accounts if account.role == "student")


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a course manifest; documents are looked up in `documents/` beside it."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path.name}: not valid TOML: {exc}") from None
    try:
        return _build(raw, path.parent / "documents")
    except ManifestError as exc:
        raise ManifestError(f"{path.name}: {exc}") from None


def _build(raw: dict[str, Any], documents_dir: Path) -> Manifest:
    """Turn the decoded TOML into a Manifest, checking every cross-reference."""
    arrays = {"accounts": list, "award_types": list, "documents": list}
    _check_keys(raw, "top level", required={"course": dict}, optional=arrays)
    course_keys = _strings("slug", "title", "code", "term", "description", "instructor")
    course = CourseSpec(**_check_keys(raw["course"], "[course]", required=course_keys))
    accounts = tuple(
        AccountSpec(**_check_keys(table, f"accounts[{i}]", required=_strings("email", "name", "role")))
        for i, table in enumerate(raw.get("accounts", []))
    )
    award_types = tuple(
        AwardTypeSpec(**_check_keys(table, f"award_types[{i}]", required=_strings("name", "description", "badge")))
        for i, table in enumerate(raw.get("award_types", []))
    )
    documents = tuple(_document(table, f"documents[{i}]") for i, table in enumerate(raw.get("documents", [])))

    _check_accounts(accounts, course)
    _check_award_types(award_types)
    _check_documents(documents, {account.email for account in accounts}, documents_dir)
    return Manifest(course, accounts, award_types, documents, documents_dir)


def _strings(*keys: str) -> dict[str, type]:
    """Require each of `keys` to be a string."""
    return dict.fromkeys(keys, str)


def _check_keys(
    table: Any, where: str, *, required: dict[str, _Types], optional: dict[str, _Types] | None = None
) -> dict[str, Any]:
    """Check a table has the required keys, no unknown ones, and values of the right types."""
    optional = optional or {}
    if not isinstance(table, dict):
        raise ManifestError(f"{where}: expected a table")
    unknown = sorted(table.keys() - required.keys() - optional.keys())
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = [key for key in required if key not in table]
    if missing:
        raise ManifestError(f"{where}: missing {', '.join(missing)}")
    for key, value in table.items():
        expected = required.get(key) or optional[key]
        # bool is an int subclass, but `title_lines = true` is a mistake, not a count.
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            raise ManifestError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, str) and not value.strip():
            raise ManifestError(f"{where}: {key} is empty")
    return table


def _document(table: Any, where: str) -> DocumentSpec:
    """Build a DocumentSpec from one [[documents]] table."""
    _check_keys(
        table,
        where,
        required={"file": str, "kind": str, "author": str, "date": (datetime, str)},
        optional={"title": str, "title_lines": int, "week": str, "reading": str, "comment_authors": list},
    )
    where = f"{where} ({table['file']})"
    date = table["date"]
    if isinstance(date, str):
        try:
            date = datetime.fromisoformat(date)
        except ValueError:
            raise ManifestError(f"{where}: date {date!r} is not an ISO 8601 date-time") from None
    if date.tzinfo is None:
        raise ManifestError(f"{where}: date needs a UTC offset, e.g. 2017-03-20T09:00:00-04:00")
    authors = table.get("comment_authors")
    if authors is not None and not all(isinstance(email, str) for email in authors):
        raise ManifestError(f"{where}: comment_authors must be a list of emails")
    return DocumentSpec(
        file=table["file"],
        kind=table["kind"],
        author=table["author"],
        date=date,
        title=table.get("title"),
        title_lines=table.get("title_lines", 1),
        week=table.get("week"),
        reading=table.get("reading"),
        comment_authors=tuple(authors) if authors is not None else None,
    )


def _check_accounts(accounts: tuple[AccountSpec, ...], course: CourseSpec) -> None:
    """Check roles, duplicate emails and that the course instructor exists."""
    seen: set[str] = set()
    for account in accounts:
        if account.role not in ROLES:
            raise ManifestError(f"account {account.email}: unknown role {account.role!r} (use {_choices(ROLES)})")
        if "@" not in account.email:
            raise ManifestError(f"account {account.email!r}: not an email address")
        if account.email in seen:
            raise ManifestError(f"account {account.email}: listed twice")
        seen.add(account.email)
    if not any(a.email == course.instructor and a.role == "instructor" for a in accounts):
        raise ManifestError(f"[course]: instructor {course.instructor} is not an instructor account")


def _check_award_types(award_types: tuple[AwardTypeSpec, ...]) -> None:
    """Check badges are known and names unique."""
    seen: set[str] = set()
    for award in award_types:
        if award.badge not in BADGES:
            raise ManifestError(f"award type {award.name!r}: unknown badge {award.badge!r} (use {_choices(BADGES)})")
        if award.name in seen:
            raise ManifestError(f"award type {award.name!r}: listed twice")
        seen.add(award.name)


def _check_documents(documents: tuple[DocumentSpec, ...], emails: set[str], documents_dir: Path) -> None:
    """Check kinds, files, authors and that every response answers a listed reading."""
    kinds: dict[str, str] = {}
    for document in documents:
        where = f"document {document.file}"
        if document.kind not in KINDS:
            raise ManifestError(f"{where}: unknown kind {document.kind!r} (use {_choices(KINDS)})")
        # A bare name keeps the manifest from reaching outside the documents folder.
        if Path(document.file).name != document.file or document.file in {".", ".."}:
            raise ManifestError(f"{where}: file must be a plain file name")
        if not (documents_dir / document.file).is_file():
            raise ManifestError(f"{where}: file not found in {documents_dir}")
        if document.file in kinds:
            raise ManifestError(f"{where}: listed twice")
        if document.title_lines < 1:
            raise ManifestError(f"{where}: title_lines must be at least 1")
        for email in (document.author, *(document.comment_authors or ())):
            if email not in emails:
                raise ManifestError(f"{where}: {email} is not in [[accounts]]")
        kinds[document.file] = document.kind

    for document in documents:
        where = f"document {document.file}"
        if document.kind == "response" and document.reading is None:
            raise ManifestError(f'{where}: a response needs reading = "<file of the reading>"')
        if document.kind == "reading" and document.reading is not None:
            raise ManifestError(f"{where}: only responses answer a reading")
        if document.reading is not None and kinds.get(document.reading) != "reading":
            raise ManifestError(f"{where}: reading {document.reading!r} is not a reading in this manifest")


def _choices(values: frozenset[str]) -> str:
    """List allowed values for an error message."""
    return ", ".join(sorted(values))
