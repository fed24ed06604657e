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
_FUZZY_RE = re.compile(r"(?<![\w\"-])(\w+)~\d*(?!\w)", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True)
class TextQuery:
    text: str  # for websearch_to_tsquery
    prefixes: tuple[str, ...] = ()  # `word*`
    fuzzy: tuple[str, ...] = ()  # `word~`
    note: str | None = None  # why the query was read as plain words


def syntax_problem(text: str) -> str | None:
    """What keeps a query from being read as written, or None when it reads fine."""
    if text.count('"') % 2:
        return "a quote is not closed"
    depth = 0
    for ch in re.sub(r'"[^"]*"', " ", text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "a bracket is closed before it is opened"
    if depth:
        return "a bracket is not closed"
    tokens = re.sub(r'"[^"]*"', " x ", text).replace("(", " ").replace(")", " ").split()
    ops = [t in _OPERATORS for t in tokens]
    if ops and (ops[-1] or (ops[0] and tokens[0] != "NOT")):
        return "an operator has nothing on one side"
    if any(a and b and nxt != "NOT" for a, b, nxt in zip(ops, ops[1:], tokens[1:], strict=False)):
        return "two operators follow each other"
    return None


def websearch_parts(text: str) -> TextQuery:
    """What websearch_to_tsquery should read, and the `word*` / `word~` terms it cannot.

    The Whoosh engine's spellings mean the same here: `NOT word` is `-word`, `AND` is what
    juxtaposition already means. A query that does not read as written (an unclosed quote,
    unbalanced brackets, a dangling operator) is searched for as its plain words, with a note.
    """
    problem = syntax_problem(text)
    if problem:
        words = [w for w in re.findall(r"\w+", text) if w not in _OPERATORS]
        note = (
            f"Your query could not be read as written ({problem}); "
            f"searched for its words instead: “{' '.join(words)}”."
        )
        return TextQuery(" ".join(words), note=note)
    prefixes = tuple(m.lower() for m in _PREFIX_RE.findall(text))
    text = _PREFIX_RE.sub(" ", text)
    fuzzy = tuple(m.lower() for m in _FUZZY_RE.findall(text))
    text = _FUZZY_RE.sub(" ", text)
    text = _NOT_RE.sub("-", text)
    text = _AND_RE.sub(" ", text)
    return TextQuery(" ".join(text.split()), prefixes, fuzzy)
