"""The search box's language, parsed once and handed to either database the same way.

The syntax is PostgreSQL's websearch_to_tsquery: words (all must match), "quoted phrases", `or` between
alternatives, `-word` or `-"phrase"` to exclude. As there, AND binds tighter than `or`: `cats dogs or fish -bird`
means (cats and dogs) or (fish and not bird). Each word or phrase is an *atom* that each engine tokenizes and stems
itself, exactly as it tokenized the text it indexed.

Two things are refused rather than guessed at, the same on both databases: a group with nothing to look for (only
exclusions, or only stop words), which would match nearly everything; and queries too long to be a search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LENGTH = 300  # characters
MAX_ATOMS = 16  # words and phrases

# PostgreSQL's English stop words (the Snowball list it indexes without): FTS5 would find them, PostgreSQL never
# does, so a word that is only one of these is dropped here for both.
# fmt: off
STOP_WORDS = frozenset((
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself",
    "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they",
    "them", "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those",
    "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does",
    "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at",
    "by", "for", "with", "about", "against", "between", "into", "through", "during", "before", "after", "above",
    "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then",
    "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most",
    "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t",
    "can", "will", "just", "don", "should", "now",
))
# fmt: on
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """A query that cannot be searched for, with the message to show beside the box."""


@dataclass
class Group:
    """Atoms that must all match (`include`) and atoms that must not (`exclude`)."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


@dataclass
class SearchQuery:
    """Alternatives (`or`): a document matches when any group matches."""

    groups: list[Group]

    def websearch(self) -> str:
        """The query as websearch_to_tsquery text, every atom quoted so PostgreSQL reads it as a phrase."""
        return " or ".join(
            " ".join([*(f'"{a}"' for a in group.include), *(f'-"{a}"' for a in group.exclude)]) for group in self.groups
        )

    def wanted(self) -> SearchQuery:
        """The same query without its exclusions: what a snippet highlights."""
        return SearchQuery([Group(include=group.include) for group in self.groups])

    def fts5(self) -> str:
        """The query in FTS5's syntax: the same groups, phrases quoted (FTS5 has only a binary NOT)."""
        parts = []
        for group in self.groups:
            expression = " AND ".join(f'"{a}"' for a in group.include)
            if group.exclude:
                expression = f"({expression}) NOT ({' OR '.join(f'{chr(34)}{a}{chr(34)}' for a in group.exclude)})"
            parts.append(f"({expression})")
        return " OR ".join(parts)


def _searchable(atom: str) -> bool:
    words = [w.lower() for w in _WORD.findall(atom)]
    return bool(words) and not all(w in STOP_WORDS for w in words)


def parse(text: str) -> SearchQuery:
    """The query typed in the box; QueryError when there is nothing to search for or too much."""
    text = text.replace("\x00", "").strip()
    if len(text) > MAX_LENGTH:
        raise QueryError(f"A search can be at most {MAX_LENGTH} characters; this one has {len(text)}.")
    groups = [Group()]
    atoms = 0
    for match in _TOKEN.finditer(text):
        negated, phrase, word = match.groups()
        if word is not None and word.lower() == "or":
            groups.append(Group())
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        atom = " ".join((phrase if word is None else word).split())
        if not _searchable(atom):
            continue
        atoms += 1
        (groups[-1].exclude if negated else groups[-1].include).append(atom.replace('"', ""))
    if atoms > MAX_ATOMS:
        raise QueryError(f"A search can have at most {MAX_ATOMS} words and phrases; this one has {atoms}.")
    kept = [group for group in groups if group.include]
    if not kept:
        if any(group.exclude for group in groups):
            raise QueryError("Add a word to look for: a search cannot be only words to leave out.")
        raise QueryError("Type a word or a phrase to look for (very common words such as “the” are not searched).")
    return SearchQuery(kept)
