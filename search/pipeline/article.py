"""One page in, the article as `parse_article --json` prints it out: the whole pure pipeline.

No Django: the bench scores this function on real pages, the command prints it, ingest
stores what it returns.
"""

from __future__ import annotations

from search.pipeline.cleaning import Cleaned, clean
from search.pipeline.extraction import Facets, Gazetteer, extract


def as_json(cleaned: Cleaned, facets: Facets) -> dict:
    """The contract's JSON object (DESIGN.md: parse_article --json)."""
    return {
        "title": cleaned.title,
        **facets_json(facets),
        "body": cleaned.body,
        "meta_lines": list(cleaned.meta_lines),
    }


def facets_json(facets: Facets) -> dict:
    """What extraction found, as in the contract's JSON object."""
    return {
        "date": facets.date.isoformat() if facets.date else None,
        "year": facets.year,
        "source": facets.source,
        "url": facets.url,
        "language": facets.language,
        "is_article": facets.is_article,
        "not_article_reason": facets.not_article_reason,
        "cities": list(facets.cities),
        "organisations": list(facets.organisations),
    }


def parse_article(
    raw: str | bytes, fmt: str | None = None, gazetteer: Gazetteer | None = None
) -> dict:
    cleaned = clean(raw, fmt)
    return as_json(cleaned, extract(cleaned, gazetteer))
