"""Syndicated copies: which articles are the same story, kept in the database.

The fingerprint maths is pure (search/pipeline/fingerprint.py); this module stores band keys
(CopyBand), places each new article in the group of the earlier article it copies, applies
the admins' decisions (CopyDecision) and keeps each group's representative and the
`is_representative` flag that search filters on. Every change re-indexes the articles whose
flag or group changed, after the transaction commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from search.models import Article, CopyBand, CopyDecision, CopyGroup
from search.pipeline import fingerprint as fpr
from search.signals import schedule_index

# Sources that originate releases rather than republish them: the wires. Settings may add
# more (COPY_ORIGINAL_SOURCES); a company's own site counts when its name is an organisation
# the article is tagged with.
ORIGINAL_SOURCES = (
    "PR Newswire",
    "Business Wire",
    "GlobeNewswire",
    "Globe Newswire",
    "Reuters",
    "Associated Press",
    "AP",
    "AFP",
    "Agence France-Presse",
    "Xinhua",
    "新华社",
    "新华网",
    "中国新闻社",
)
# Placements run one at a time (PostgreSQL advisory lock), so two copies ingested at the same
# moment by two workers still find each other.
_LOCK_KEY = 1818


def _norm(name: str) -> str:
    return re.sub(r"\W+", " ", name).strip().casefold()


def original_sources() -> frozenset[str]:
    extra = getattr(settings, "COPY_ORIGINAL_SOURCES", ())
    return frozenset(_norm(s) for s in (*ORIGINAL_SOURCES, *extra) if s.strip())


def is_original_source(article: Article, wires: frozenset[str] | None = None) -> bool:
    source = _norm(article.source_name)
    if not source:
        return False
    if source in (wires if wires is not None else original_sources()):
        return True
    return any(_norm(o.name) == source for o in article.organisations.all())


def _serialise() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def kept_apart() -> set[int]:
    return set(
        CopyDecision.objects.filter(kind=CopyDecision.Kind.SEPARATE).values_list(
            "article_id", flat=True
        )
    )


def together_pairs() -> list[tuple[int, int]]:
    return list(
        CopyDecision.objects.filter(kind=CopyDecision.Kind.TOGETHER).values_list(
            "article_id", "other_id"
        )
    )


# -- placing one article (ingest) ------------------------------------------------------------


def place(article: Article) -> CopyGroup | None:
    """Fingerprint an article and put it in the group of the earlier article it copies.

    Call inside the transaction that saves the article. Returns its group (None when it is
    nobody's copy).
    """
    with transaction.atomic():
        _serialise()
        previous = Article.objects.filter(pk=article.pk).values_list("copy_group_id", flat=True)
        groups = {g for g in previous if g is not None}
        fp = fpr.fingerprint(article.body)
        CopyBand.objects.filter(article=article).delete()
        keys = fp.band_keys()
        CopyBand.objects.bulk_create([CopyBand(article=article, key=k) for k in keys])
        apart = kept_apart()
        match = None
        if article.pk not in apart and keys:
            shared = dict(
                CopyBand.objects.filter(key__in=keys)
                .exclude(article_id=article.pk)
                .values("article_id")
                .annotate(n=Count("id"))
                .values_list("article_id", "n")
            )
            shortlist = [i for i in fpr.shortlist_of(shared) if i not in apart]
            bodies = Article.objects.filter(pk__in=shortlist).values_list("pk", "body")
            match = fpr.best_match(fp, ((pk, fpr.shingles(body)) for pk, body in bodies))
        if match is not None:
            other = Article.objects.select_related("copy_group").get(pk=match)
            group = other.copy_group or CopyGroup.objects.create()
            if other.copy_group_id is None:
                Article.objects.filter(pk=other.pk).update(copy_group=group)
            _set_group([article.pk], group)
            groups.add(group.pk)
        elif groups:
            _set_group([article.pk], None)
        groups |= _apply_together(article.pk)
        refresh(groups)
        article.refresh_from_db(fields=["copy_group", "is_representative"])
        return article.copy_group


def _set_group(ids: list[int], group: CopyGroup | None) -> None:
    Article.objects.filter(pk__in=ids).update(copy_group=group, is_representative=group is None)
    for pk in ids:
        schedule_index(pk)


def _apply_together(article_id: int) -> set[int]:
    """Merge the groups that an admin said hold the same story as this article."""
    touched = set()
    for a, b in together_pairs():
        if article_id in (a, b):
            touched |= merge_articles(a, b, record=False)
    return touched


# -- group bookkeeping -----------------------------------------------------------------------


def refresh(group_ids: Iterable[int]) -> None:
    """Recompute size, representative and flags of these groups; a group of one dissolves."""
    wires = original_sources()
    for group in CopyGroup.objects.filter(pk__in=set(group_ids)):
        members = list(group.articles.prefetch_related("organisations"))
        if len(members) <= 1:
            _set_group([m.pk for m in members], None)
            group.delete()
            continue
        rep = fpr.representative(
            [fpr.Member(m.pk, m.published_date, is_original_source(m, wires)) for m in members]
        )
        for m in members:
            if m.is_representative != (m.pk == rep):
                Article.objects.filter(pk=m.pk).update(is_representative=m.pk == rep)
                schedule_index(m.pk)
        if group.representative_id != rep or group.size != len(members):
            group.representative_id, group.size = rep, len(members)
            group.save(update_fields=["representative", "size"])


def merge_articles(a: int, b: int, record: bool = True, by: str = "") -> set[int]:
    """Put the stories of articles a and b in one group; returns the groups touched.
    With `record`, the decision is kept (rebuilds apply it) and earlier "kept apart"
    decisions of the two articles are withdrawn."""
    if a == b:
        return set()
    with transaction.atomic():
        rows = Article.objects.select_related("copy_group").in_bulk([a, b])
        first, second = rows[a], rows[b]
        if record:
            CopyDecision.objects.filter(
                article_id__in=[a, b], kind=CopyDecision.Kind.SEPARATE
            ).delete()
            CopyDecision.objects.create(
                article_id=a, other_id=b, kind=CopyDecision.Kind.TOGETHER, decided_by=by
            )
        target = first.copy_group or second.copy_group or CopyGroup.objects.create()
        moving = [first.pk] if first.copy_group_id is None else []
        moving += [second.pk] if second.copy_group_id is None else []
        for article in (first, second):
            if article.copy_group_id not in (None, target.pk):
                moving += list(article.copy_group.articles.values_list("pk", flat=True))
        old = {x.copy_group_id for x in (first, second)} - {None, target.pk}
        if moving:
            Article.objects.filter(pk__in=moving).update(copy_group=target)
            for pk in moving:
                schedule_index(pk)
        CopyGroup.objects.filter(pk__in=old).delete()
        refresh([target.pk])
        return {target.pk}


def split_out(article_id: int, by: str = "") -> None:
    """Take an article out of its group and keep it apart from now on (rebuilds too);
    "same story" decisions involving it are withdrawn."""
    with transaction.atomic():
        article = Article.objects.get(pk=article_id)
        CopyDecision.objects.filter(kind=CopyDecision.Kind.TOGETHER).filter(
            article_id=article_id
        ).delete()
        CopyDecision.objects.filter(kind=CopyDecision.Kind.TOGETHER, other_id=article_id).delete()
        CopyDecision.objects.get_or_create(
            article_id=article_id, kind=CopyDecision.Kind.SEPARATE, defaults={"decided_by": by}
        )
        group = article.copy_group_id
        _set_group([article_id], None)
        if group is not None:
            refresh([group])


# -- what pages show ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyRef:
    id: int
    title: str
    source: str
    date: object
    url: str


def copies_of(group_ids: Iterable[int]) -> dict[int, list[CopyRef]]:
    """Group id -> its articles (earliest first), for "also published by"."""
    out: dict[int, list[CopyRef]] = {}
    rows = (
        Article.objects.filter(copy_group_id__in=set(group_ids))
        .only("id", "title", "slug", "source_name", "published_date", "copy_group_id")
        .order_by("published_date", "id")
    )
    for a in rows:
        out.setdefault(a.copy_group_id, []).append(
            CopyRef(a.pk, a.title, a.source_name, a.published_date, a.get_absolute_url())
        )
    return out


def attach_copies(hits) -> None:
    """Fill each hit's `copies` with the other articles of its story."""
    groups = copies_of(h.copy_group for h in hits if h.copy_group)
    for hit in hits:
        hit.copies = tuple(c for c in groups.get(hit.copy_group, ()) if c.id != hit.id)


# -- rebuilding everything ---------------------------------------------------------------------


def rebuild(progress=None, batch: int = 2000) -> dict[str, int]:
    """Recompute every fingerprint and group from the bodies, then apply the admins'
    decisions. Articles are placed in publication order (undated last), as ingest would
    have placed them, with the fingerprints held in memory for the run."""

    def shingles_of(pk: int):
        # Only candidates are read again: a few per article, where keeping every shingle
        # set in memory would take ~3 kB per article.
        return fpr.shingles(Article.objects.values_list("body", flat=True).get(pk=pk))

    index = fpr.MemoryIndex(shingles_of=shingles_of)
    apart = kept_apart()
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    order = Article.objects.order_by("published_date", "id").values_list("pk", "body")
    bands: list[CopyBand] = []
    with transaction.atomic():
        _serialise()
        CopyBand.objects.all().delete()
        count = 0
        for pk, body in order.iterator(chunk_size=batch):
            fp = fpr.fingerprint(body)
            match = None if pk in apart else index.best_copy_of(fp, exclude=apart)
            parent[pk] = root(match) if match is not None else pk
            index.add(pk, fp)
            bands += [CopyBand(article_id=pk, key=k) for k in fp.band_keys()]
            if len(bands) >= batch * 10:
                CopyBand.objects.bulk_create(bands)
                bands = []
            count += 1
            if progress:
                progress(1)
        CopyBand.objects.bulk_create(bands)
        for a, b in together_pairs():
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        members: dict[int, list[int]] = {}
        for pk in parent:
            members.setdefault(root(pk), []).append(pk)
        stories = [ids for ids in members.values() if len(ids) > 1]
        before = dict(Article.objects.values_list("pk", "is_representative"))
        Article.objects.filter(copy_group__isnull=False).update(
            copy_group=None, is_representative=True
        )
        CopyGroup.objects.all().delete()
        groups = CopyGroup.objects.bulk_create([CopyGroup() for _ in stories])
        for group, ids in zip(groups, stories, strict=True):
            Article.objects.filter(pk__in=ids).update(copy_group=group, is_representative=False)
        refresh(g.pk for g in groups)
        after = dict(Article.objects.values_list("pk", "is_representative"))
        for pk, flag in after.items():
            if before.get(pk) != flag:
                schedule_index(pk)
    return {"articles": count, "groups": len(stories), "copies": sum(map(len, stories))}
