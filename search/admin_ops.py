"""What the admin does to the archive, apart from the HTTP: preview, ingest a batch, merge.

Every article is added through search.ingest.ingest; the index follows through
search.signals once each transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from search.admin_forms import UPLOAD_EXTENSIONS
from search.indexing import enqueue
from search.ingest import IngestError, content_hash, decode_upload, ingest, parse
from search.models import Article, City, Organisation, RetiredSlug
from search.pipeline.cleaning import Cleaned
from search.pipeline.extraction import Facets

logger = logging.getLogger(__name__)

PASTED = "pasted text"


@dataclass(frozen=True)
class Upload:
    """One piece of raw content the admin handed in: the pasted text or one file."""

    label: str
    raw: str | bytes | None
    fmt: str | None
    # Set when the content was refused before it was read (wrong extension, too large).
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    label: str
    status: str  # "created", "duplicate" or "refused"
    article: Article | None = None
    error: str = ""


@dataclass(frozen=True)
class Preview:
    label: str
    cleaned: Cleaned | None = None
    facets: Facets | None = None
    duplicate: Article | None = None
    error: str = ""


def read_upload(f: UploadedFile, fmt: str | None = None) -> Upload:
    """An uploaded file as an Upload, refusing (without reading it) what cannot be an article."""
    name = f.name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_EXTENSIONS:
        return Upload(name, None, None, error="not a .txt or .html file")
    if f.size is not None and f.size > settings.ARTICLE_MAX_BYTES:
        return Upload(name, None, None, error=_too_large(f.size))
    return Upload(name, f.read(), fmt or UPLOAD_EXTENSIONS[suffix])


def _too_large(size: int) -> str:
    # ingest() refuses these too; saying it here, in the admin's units, avoids reading them.
    return f"too large: {filesizeformat(size)} (the limit is {filesizeformat(settings.ARTICLE_MAX_BYTES)})"


def read_paste(raw: str, fmt: str | None) -> Upload:
    size = len(raw.encode("utf-8"))
    if size > settings.ARTICLE_MAX_BYTES:
        return Upload(PASTED, None, None, error=_too_large(size))
    return Upload(PASTED, raw, fmt)


def uploads(raw: str, files: list[UploadedFile], fmt: str | None) -> list[Upload]:
    items = [read_paste(raw, fmt)] if raw.strip() else []
    return items + [read_upload(f, fmt) for f in files]


def preview(item: Upload, allow_not_article: bool = False) -> Preview:
    """What saving this item would give, without saving anything."""
    if item.error:
        return Preview(item.label, error=item.error)
    try:
        text = decode_upload(item.raw)
        duplicate = Article.objects.filter(content_hash=content_hash(text)).first()
        cleaned, facets = parse(text, item.fmt, allow_not_article=allow_not_article)
    except IngestError as exc:
        return Preview(item.label, error=str(exc))
    except Exception as exc:  # a pipeline bug on one input must not cost the whole page
        logger.exception("preview of %s failed", item.label)
        return Preview(item.label, error=_unexpected(exc))
    return Preview(item.label, cleaned=cleaned, facets=facets, duplicate=duplicate)


def save(
    item: Upload, source_name: str = "", source_url: str = "", allow_not_article: bool = False
) -> Outcome:
    """Ingest one item; a refusal saves nothing and says why."""
    if item.error:
        return Outcome(item.label, "refused", error=item.error)
    try:
        result = ingest(
            item.raw,
            fmt=item.fmt,
            source_name=source_name,
            source_url=source_url,
            allow_not_article=allow_not_article,
        )
    except IngestError as exc:
        return Outcome(item.label, "refused", error=str(exc))
    except Exception as exc:  # one bad file must not stop the batch (as in import_articles)
        logger.exception("ingest of %s failed", item.label)
        return Outcome(item.label, "refused", error=_unexpected(exc))
    return Outcome(item.label, "created" if result.created else "duplicate", result.article)


def _unexpected(exc: Exception) -> str:
    return f"unexpected error while cleaning it ({type(exc).__name__}); it is logged"


def reindex(article_ids) -> None:
    """Re-index these articles once the current transaction commits (one batch)."""
    enqueue(article_ids)


def merge_values(target: City | Organisation, others) -> int:
    """Fold other cities/organisations into target: their articles move, their names become
    target's aliases (so later extraction finds target), and the index follows.

    Returns the number of articles re-indexed.
    """
    model = type(target)
    others = [o for o in others if o.pk != target.pk]
    if not others:
        return 0
    with transaction.atomic():
        target = model.objects.select_for_update().get(pk=target.pk)
        through = model.articles.through
        field = model.__name__.lower() + "_id"
        other_ids = [o.pk for o in others]
        article_ids = set(
            through.objects.filter(**{f"{field}__in": other_ids}).values_list(
                "article_id", flat=True
            )
        )
        aliases = target.alias_list
        for other in others:
            aliases += [other.name, *other.alias_list]
        seen = {target.name.lower()}
        kept = []
        for alias in aliases:
            if alias.lower() not in seen:
                seen.add(alias.lower())
                kept.append(alias)
        target.articles.add(*article_ids)
        retire_slugs(target, others)
        model.objects.filter(pk__in=other_ids).delete()
        target.aliases = "\n".join(kept)
        # The target takes a Chinese name and, for a city, a place id it lacked.
        target.name_zh = target.name_zh or next((o.name_zh for o in others if o.name_zh), "")
        if isinstance(target, City) and target.geonameid is None:
            target.geonameid = next((o.geonameid for o in others if o.geonameid), None)
        target.save()
        # Deleting a value removes its through rows without m2m signals: index explicitly.
        reindex(article_ids)
    return len(article_ids)


def retire_slugs(target: City | Organisation, others) -> None:
    """The merged values' page URLs (and their own old ones) lead to target from now on."""
    kind = target.kind
    other_ids = [o.pk for o in others]
    RetiredSlug.objects.filter(kind=kind, target_id__in=other_ids).update(target_id=target.pk)
    for other in others:
        RetiredSlug.objects.update_or_create(
            kind=kind, slug=other.slug, defaults={"target_id": target.pk}
        )
