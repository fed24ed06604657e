"""Split `field:value` terms (city:, org:, year:, title:) out of a query string.

Pure functions, no database: the PostgreSQL engine turns the fields into filters and hands
the remaining words to websearch_to_tsquery, which knows nothing of fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Spellings people type -> the field they mean.
FIELD_NAMES = {
    "city": "city",
    "org": "organisation",
    "organisation": "organisation",
    "organization": "organisation",
    "year": "year",
    "title": "title",
}

# field:"quoted value" or field:value, at the start or after white space / an opening bracket.
_FIELD_RE = re.compile(
    r'(?<![\w:])(?P<neg>-?)(?P<field>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"()]+))'
)
_YEAR_RE = re.compile(r"^(\d{4})(?:(?:-|\.\.)(\d{4}))?$")


@dataclass(frozen=True)
class FieldQuery:
    text: str  # what is left for the full-text query
    cities: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    years: tuple[tuple[int, int], ...] = ()  # inclusive ranges
    titles: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def split_fields(q: str) -> FieldQuery:
    """Take the known `field:value` terms out of q; unknown fields stay as plain words."""
    found: dict[str, list] = {"city": [], "organisation": [], "year": [], "title": []}
    notes: list[str] = []

    def take(m: re.Match) -> str:
        name = FIELD_NAMES.get(m["field"].lower())
        value = (m["quoted"] if m["quoted"] is not None else m["bare"]).strip()
        if name is None:
            return m[0]
        if m["neg"]:
            notes.append(f"“{m[0]}”: excluding by {m['field']} is not supported; ignored.")
            return " "
        if not value:
            return " "
        if name == "year":
            ym = _YEAR_RE.match(value)
            if not ym:
                notes.append(f"“{m[0]}”: a year is four digits, or a range such as 2015-2017.")
                return " "
            lo, hi = int(ym[1]), int(ym[2] or ym[1])
            found["year"].append((min(lo, hi), max(lo, hi)))
        else:
            found[name].append(value)
        return " "

    text = _FIELD_RE.sub(take, q)
    return FieldQuery(
        text=" ".join(text.split()),
        cities=tuple(found["city"]),
        organisations=tuple(found["organisation"]),
        years=tuple(found["year"]),
        titles=tuple(found["title"]),
        notes=tuple(notes),
    )


_WORD_RE = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def plain_words(text: str) -> list[str]:
    """The words of a query that a spelling suggestion may replace (no operators, no numbers)."""
    return [w for w in _WORD_RE.findall(text) if w.lower() not in {"and", "not"}]


_NOT_RE = re.compile(r"(?<!\S)NOT\s+(?=\S)")
_AND_RE = re.compile(r"(?<!\S)AND(?!\S)")
_PREFIX_RE = re.compile(r"(?<![\w\"-])(\w+)\*(?!\w)", re.UNICODE)
_FUZZY_RE = re.compile(r"(\w)~\d*(?!\w)", re.UNICODE)


def websearch_parts(text: str) -> tuple[str, tuple[str, ...]]:
    """Text for websearch_to_tsquery, and the prefixes of `word*` terms it cannot express.

    The Whoosh engine's spellings mean the same here: `NOT word` is `-word`, `AND` is what
    juxtaposition already means, and `word~` (fuzzy) is read as the plain word.
    """
    prefixes = tuple(m.lower() for m in _PREFIX_RE.findall(text))
    text = _PREFIX_RE.sub(" ", text)
    text = _NOT_RE.sub("-", text)
    text = _AND_RE.sub(" ", text)
    text = _FUZZY_RE.sub(r"\1", text)
    return " ".join(text.split()), prefixes
