"""Facets of a cleaned article: date and year, source, cities, organisations.

Pure functions, no Django; the gazetteers are passed in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from search.pipeline.cleaning import Cleaned


@dataclass(frozen=True)
class Gazetteer:
    """Known names: every alias (lower-cased) maps to its canonical name."""

    cities: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Facets:
    date: dt.date | None = None
    year: int | None = None
    source: str | None = None
    cities: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()


_ISO_DATE = re.compile(r"\b(19[89]\d|20[0-4]\d)[-/](\d{1,2})[-/](\d{1,2})\b")


def _find_date(lines: list[str]) -> dt.date | None:
    for line in lines:
        m = _ISO_DATE.search(line)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
    return None


def _find_names(text: str, names: dict[str, str]) -> tuple[str, ...]:
    found = {
        canonical
        for alias, canonical in names.items()
        if re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE)
    }
    return tuple(sorted(found))


def extract(cleaned: Cleaned, gazetteer: Gazetteer | None = None) -> Facets:
    gazetteer = gazetteer or Gazetteer()
    date = _find_date(list(cleaned.meta_lines) + list(cleaned.paragraphs[:3]))
    text = f"{cleaned.title}\n{cleaned.body}"
    return Facets(
        date=date,
        year=date.year if date else None,
        cities=_find_names(text, gazetteer.cities),
        organisations=_find_names(text, gazetteer.organisations),
    )
