"""The one way raw content becomes saved rows: clean -> extract -> save.

The admin, the import command and anything else that adds articles call `ingest`.
Index updates follow from the saved rows (search/signals.py) once the transaction commits.
"""

from __future__ import annotations

import codecs
import hashlib
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from search import copies
from search.models import Article, City, Organisation, with_slugs
from search.pipeline.cleaning import (
    FORMATS,
    Cleaned,
    clean,
    clean_everything,
    decode,
)
from search.pipeline.extraction import Facets, Gazetteer, extract
from search.pipeline.gazetteer import facet_details, is_acronym, with_additions
from search.pipeline.guard import REFUSED

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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


def _alias_map(rows) -> dict[str, str]:
    """Spelling -> canonical name. Spellings are lower-cased (a row's names match however the
    text capitalises them), except acronyms, kept as written so that they match in capitals
    only, as the built-in ones do: a row ingest made for IBM leaves "IBM" as it was."""
    names: dict[str, str] = {}
    for value in rows:
        for spelling in (value.name, *value.alias_list):
            names[spelling if is_acronym(spelling) else spelling.lower()] = value.name
    return names


def _blocked_names(rows) -> list[str]:
    return [name for value in rows if value.blocked for name in (value.name, *value.alias_list)]


def _gazetteer_rows(model):
    """The rows the gazetteer reads: those a person made or edited (curated), and every
    blocked one. Rows extraction created for a name it found add nothing: the next article
    finds that name the way the first did, or not, whichever was read first."""
    return model.objects.filter(Q(curated=True) | Q(blocked=True))


def _fingerprint() -> tuple:
    """Changes whenever a row the gazetteer reads is added, edited or deleted: two small
    aggregate queries instead of reading every row for every article."""
    out = []
    for model in (City, Organisation):
        agg = _gazetteer_rows(model).aggregate(n=Count("id"), last=Max("updated"), top=Max("id"))
        out.append((agg["n"], agg["last"], agg["top"]))
    return tuple(out)


_cache: dict[str, tuple[tuple, Gazetteer]] = {}
_cache_lock = threading.Lock()


def current_gazetteer() -> Gazetteer:
    """The names extraction knows: the built-in gazetteer data plus the City and
    Organisation rows (with their aliases) that admins made or edited, rows winning on a
    clash, and the names admins blocked. Built once and kept while those rows are unchanged.

    Not the rows extraction created: the gazetteer is then the same before and after any
    import or re-extraction, so facets do not depend on the order articles were read and a
    second re-extraction with nothing new reads no article again."""
    key = _fingerprint()
    with _cache_lock:
        cached = _cache.get("gazetteer")
        if cached is not None and cached[0] == key:
            return cached[1]
    cities = list(_gazetteer_rows(City))
    organisations = list(_gazetteer_rows(Organisation))
    gazetteer = with_additions(
        _alias_map(c for c in cities if not c.blocked),
        _alias_map(o for o in organisations if not o.blocked),
        _blocked_names(cities),
        _blocked_names(organisations),
    )
    with _cache_lock:
        _cache["gazetteer"] = (key, gazetteer)
    return gazetteer


def decode_upload(raw: str | bytes, max_bytes: int | None = None) -> str:
    """Validate raw content before anything is saved; IngestError says what is wrong."""
    max_bytes = settings.ARTICLE_MAX_BYTES if max_bytes is None else max_bytes
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise IngestError(
            f"too large: {size / 1_048_576:.1f} MB (the limit is {max_bytes / 1_048_576:.1f} MB)"
        )
    # NUL bytes mean binary, except in UTF-16/32 text, which a byte-order mark announces.
    if isinstance(raw, bytes) and b"\x00" in raw[:8192] and not raw.startswith(_WIDE_BOMS):
        raise IngestError("binary file, not text or HTML")
    text = decode(raw)
    if not text.strip():
        raise IngestError("empty file")
    return text


def _ordered_rows(model, names: tuple[str, ...]) -> list:
    rows = facet_rows(model, set(names))
    return [rows[name] for name in dict.fromkeys(names)]


def _new_row(model, name: str):
    """A new City or Organisation row with the Chinese name, spellings and GeoNames id the
    gazetteer knows for it."""
    details = facet_details(model.kind, name)
    row = model(
        name=name, name_zh=details.name_zh, aliases="\n".join(details.aliases), curated=False
    )
    if model is City:
        row.geonameid = details.geonameid
    return row


def apply_facets(article: Article, facets: Facets, *, keep: bool = False) -> None:
    """Store extracted facets on an article (the caller decides whether it may).

    keep=True (re-extraction): a value extraction cannot derive again is kept, never
    erased; a date, source, URL or language came from the page's metadata or an admin.
    """
    set_fields(article, facets, keep=keep)
    article.save()
    article.cities.set(_ordered_rows(City, facets.cities))
    article.organisations.set(_ordered_rows(Organisation, facets.organisations))


def set_fields(article: Article, facets: Facets, *, keep: bool) -> None:
    if facets.date or not keep:
        article.published_date = facets.date or (article.published_date if keep else None)
    if facets.year or not keep:
        article.year = facets.year or (article.year if keep else None)
    if article.published_date and not article.year:
        article.year = article.published_date.year
    if facets.source and not article.source_name:
        article.source_name = facets.source[:255]
    if facets.url and not article.source_url:
        article.source_url = facets.url
    if facets.language:
        article.language = facets.language


def parse(
    text: str,
    fmt: str | None = None,
    gazetteer: Gazetteer | None = None,
    *,
    allow_not_article: bool = False,
) -> tuple[Cleaned, Facets]:
    """Clean and extract; IngestError when the page is not an article (unless allowed)."""
    if fmt is not None and fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    cleaned = clean(text, fmt)
    if cleaned.note.startswith(REFUSED):  # pathological HTML, refused before parsing
        raise IngestError(cleaned.note.removeprefix(REFUSED))
    if (not cleaned.is_article or not cleaned.title) and allow_not_article:
        # Saved on purpose: keep every text block the page has (a listing's headlines).
        cleaned = clean_everything(text, fmt)
    if not cleaned.is_article or not cleaned.title:
        raise IngestError(cleaned.note or "not an article: nothing but page furniture was found")
    facets = extract(cleaned, gazetteer or current_gazetteer())
    if not facets.is_article and not allow_not_article:
        raise IngestError(facets.not_article_reason)
    return cleaned, facets


def ingest(
    raw: str | bytes,
    *,
    fmt: str | None = None,
    source_name: str = "",
    source_url: str = "",
    is_synthetic: bool = False,
    allow_not_article: bool = False,
) -> IngestResult:
    """Clean, extract and save one article; the same content twice is one article.

    A listing or index page is refused with the reason unless allow_not_article (the admin's
    "save it anyway")."""
    text = decode_upload(raw)
    digest = content_hash(text)
    existing = Article.objects.filter(content_hash=digest).first()
    if existing is not None:
        return IngestResult(existing, created=False)
    cleaned, facets = parse(text, fmt, allow_not_article=allow_not_article)
    try:
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
    except IntegrityError:
        # The same content saved by another request between the check above and this insert.
        existing = Article.objects.filter(content_hash=digest).first()
        if existing is None:
            raise
        return IngestResult(existing, created=False)
    return IngestResult(article, created=True)


def reextract(article: Article, gazetteer: Gazetteer | None = None) -> bool:
    """Re-run extraction on the stored raw content; hand-set facets are left alone, and
    nothing extraction cannot derive again is erased."""
    if article.facets_manual:
        return False
    _, facets = parse(article.raw_content, article.raw_format, gazetteer, allow_not_article=True)
    with transaction.atomic():
        apply_facets(article, facets, keep=True)
    return True


def facet_rows(model, names: set[str]) -> dict[str, object]:
    """Facet rows by name, creating the missing ones in one statement."""
    rows = {row.name: row for row in model.objects.filter(name__in=names)}
    missing = names - rows.keys()
    if not missing:
        return rows
    new = {n: _new_row(model, n) for n in missing}
    if model is City:
        # A place is one row whatever its name: a row an admin renamed keeps its GeoNames id.
        ids = {r.geonameid: n for n, r in new.items() if r.geonameid is not None}
        for row in City.objects.filter(geonameid__in=ids):
            rows[ids[row.geonameid]] = row
            del new[ids[row.geonameid]]
    model.objects.bulk_create(with_slugs(model, list(new.values())), ignore_conflicts=True)
    rows.update({row.name: row for row in model.objects.filter(name__in=new)})
    return rows
