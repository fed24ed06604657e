"""The one way raw content becomes saved rows: clean -> extract -> save.

The admin, the import command and anything else that adds articles call `ingest`.
Index updates follow from the saved rows (search/signals.py) once the transaction commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from search import copies
from search.models import Article, City, Organisation
from search.pipeline.cleaning import FORMATS, Cleaned, clean, decode
from search.pipeline.extraction import Facets, Gazetteer, extract
from search.pipeline.gazetteer import with_additions


class IngestError(ValueError):
    """Raw content that cannot become an article; the message is meant for a person."""


@dataclass(frozen=True)
class IngestResult:
    article: Article
    created: bool


def content_hash(text: str) -> str:
    """Identity of an article's raw content, blind to line endings and outer white space."""
    canonical = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _alias_map(model) -> dict[str, str]:
    names: dict[str, str] = {}
    for value in model.objects.all():
        names[value.name.lower()] = value.name
        for alias in value.alias_list:
            names[alias.lower()] = value.name
    return names


def current_gazetteer() -> Gazetteer:
    """The names extraction knows: the built-in gazetteer data plus the City and
    Organisation rows (with their aliases) that admins edit; rows win on a clash."""
    return with_additions(_alias_map(City), _alias_map(Organisation))


def decode_upload(raw: str | bytes, max_bytes: int | None = None) -> str:
    """Validate raw content before anything is saved; IngestError says what is wrong."""
    max_bytes = settings.ARTICLE_MAX_BYTES if max_bytes is None else max_bytes
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise IngestError(
            f"too large: {size / 1_048_576:.1f} MB (the limit is {max_bytes / 1_048_576:.1f} MB)"
        )
    if isinstance(raw, bytes) and b"\x00" in raw[:8192]:
        raise IngestError("binary file, not text or HTML")
    text = decode(raw)
    if not text.strip():
        raise IngestError("empty file")
    return text


def _facet_rows(model, names: tuple[str, ...]) -> list:
    return [model.objects.get_or_create(name=name)[0] for name in names]


def apply_facets(article: Article, facets: Facets) -> None:
    """Store extracted facets on an article (the caller decides whether it may)."""
    article.published_date = facets.date
    article.year = facets.year
    if facets.source and not article.source_name:
        article.source_name = facets.source
    article.save()
    article.cities.set(_facet_rows(City, facets.cities))
    article.organisations.set(_facet_rows(Organisation, facets.organisations))


def parse(
    text: str, fmt: str | None = None, gazetteer: Gazetteer | None = None
) -> tuple[Cleaned, Facets]:
    if fmt is not None and fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    cleaned = clean(text, fmt)
    if not cleaned.is_article or not cleaned.title:
        raise IngestError("not an article: nothing but page furniture was found")
    return cleaned, extract(cleaned, gazetteer or current_gazetteer())


def ingest(
    raw: str | bytes,
    *,
    fmt: str | None = None,
    source_name: str = "",
    source_url: str = "",
    is_synthetic: bool = False,
) -> IngestResult:
    """Clean, extract and save one article; the same content twice is one article."""
    text = decode_upload(raw)
    digest = content_hash(text)
    existing = Article.objects.filter(content_hash=digest).first()
    if existing is not None:
        return IngestResult(existing, created=False)
    cleaned, facets = parse(text, fmt)
    with transaction.atomic():
        article = Article(
            title=cleaned.title[:500],
            body=cleaned.body,
            raw_content=text,
            raw_format=cleaned.fmt,
            content_hash=digest,
            source_name=source_name,
            source_url=source_url,
            is_synthetic=is_synthetic,
        )
        apply_facets(article, facets)
        # In the same transaction: the article is never searchable outside its story.
        copies.place(article)
    return IngestResult(article, created=True)


def reextract(article: Article, gazetteer: Gazetteer | None = None) -> bool:
    """Re-run extraction on the stored raw content; hand-set facets are left alone."""
    if article.facets_manual:
        return False
    _, facets = parse(article.raw_content, article.raw_format, gazetteer)
    with transaction.atomic():
        apply_facets(article, facets)
    return True
