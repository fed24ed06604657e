"""Re-extraction of stored articles: batches, a skip for what cannot change, worker processes.

Each batch is read, extracted and written in one transaction of set-based statements, so a
killed run leaves every batch either done or untouched. Three things keep it fast:

- An article is skipped when nothing could change: its `extraction_key` is a digest of what
  the last re-extraction read (its title and body, or its raw content), of the extraction
  code and data (search/pipeline/version.py), of the gazetteer's admin additions and block
  lists (Gazetteer.version), and of the facets it left stored. Any change to one of them
  (an edit, a blocked name, a new alias, a new release of the pipeline) re-extracts it.
- Extraction is pure (no Django, no database): `Pool` runs it in forked worker processes
  while the calling process reads the next batch, writes rows and commits the index.
- Only articles whose facets changed are written and journalled for the index.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.utils import timezone

from search import indexing
from search.ingest import IngestError, current_gazetteer, facet_rows, parse, set_fields
from search.models import Article, City, Organisation
from search.pipeline.cleaning import Cleaned, split_paragraphs
from search.pipeline.extraction import Facets, Gazetteer, extract
from search.pipeline.gazetteer import geonames_kept
from search.pipeline.version import code_version

# The fields re-extraction may set (ingest.set_fields), written with one statement per batch.
FIELDS = ("published_date", "year", "source_name", "source_url", "language", "updated")
# Below this many articles the worker processes cost more than they save.
MIN_PARALLEL = 200
# Jobs a worker takes at once: large enough to amortise the pickling round trip.
CHUNK = 20
# Fewer articles to extract than this in a batch (most skipped by their key) are extracted
# in this process: starting the workers costs more.
START_WORKERS = 2 * CHUNK


@dataclass(frozen=True)
class Job:
    """What extracting one article reads: plain values, so a worker process can take it."""

    pk: int
    title: str
    body: str
    fmt: str
    raw: str = ""  # the raw content when it is cleaned again, else ""
    language: bool = True  # detect the language (not stored yet)

    @property
    def mode(self) -> str:
        return "raw" if self.raw else "stored"


@dataclass
class Report:
    updated: int = 0
    # Re-extracted to the same facets, or skipped because nothing could change them:
    # nothing written, nothing re-indexed.
    unchanged: int = 0
    skipped: int = 0  # of `unchanged`: not even re-extracted (extraction_key)
    manual: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def add(self, other: Report) -> None:
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.manual += other.manual
        self.failed += other.failed
        self.changed_ids += other.changed_ids


def job_for(article: Article, full: bool = False) -> Job:
    # An undated article may have its date in the raw page's metadata or dateline, which the
    # stored body no longer carries: that one is read again in full.
    raw = article.raw_content if full or article.published_date is None else ""
    return Job(
        article.pk,
        article.title,
        article.body,
        article.raw_format,
        raw=raw,
        language=not article.language,
    )


def stored_cleaned(job: Job) -> Cleaned:
    """The article as cleaning left it, from the stored title and body (no re-cleaning)."""
    return Cleaned(job.title, tuple(split_paragraphs(job.body)), fmt=job.fmt)


def run(job: Job, gazetteer: Gazetteer) -> Facets | str:
    """The article's facets, or why extraction failed (one article never stops a run)."""
    try:
        if job.raw:
            return parse(job.raw, job.fmt, gazetteer, allow_not_article=True)[1]
        return extract(stored_cleaned(job), gazetteer, language=job.language)
    except IngestError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug on one page is reported, not fatal
        return f"extraction failed: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Context:
    """What every article's extraction in a run shares."""

    gazetteer: Gazetteer
    full: bool = False
    code: str = field(default_factory=code_version)
    # Gazetteer.version_for of each article's text by (id, mode), a few ms each: the key is
    # taken before extraction and again after the write, of the same text (the write
    # changes dates, sources and language, never the title, body or raw content).
    versions: dict[tuple[int, str], str] = field(default_factory=dict, compare=False)

    def gazetteer_version(self, job: Job) -> str:
        key = (job.pk, job.mode)
        if key not in self.versions:
            text = f"{job.title}\n{job.body}\n{job.raw}"
            self.versions[key] = self.gazetteer.version_for(text)
        return self.versions[key]


def extraction_key(ctx: Context, job: Job, article: Article, cities, organisations) -> str:
    """Digest of the inputs of `job` (its text, the extraction code, the gazetteer as far as
    this text is concerned) and of the facets the article holds now."""
    digest = hashlib.sha256(ctx.code.encode())
    for part in (
        ctx.gazetteer_version(job),
        "full" if ctx.full else "",
        job.mode,
        job.fmt,
        job.title,
        job.body,
        job.raw,
        article.published_date.isoformat() if article.published_date else "",
        str(article.year or ""),
        article.source_name,
        article.source_url,
        article.language,
        *sorted(cities),
        "",
        *sorted(organisations),
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def stored_facets(ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """The city and organisation names each article holds, in two queries of plain values
    (a prefetch built a model instance and a related manager per link: most of reading a
    batch)."""
    out: dict[int, tuple[list[str], list[str]]] = {pk: ([], []) for pk in ids}
    for slot, through, column in (
        (0, Article.cities.through, "city__name"),
        (1, Article.organisations.through, "organisation__name"),
    ):
        rows = through.objects.filter(article_id__in=ids).values_list("article_id", column)
        for pk, name in rows:
            out[pk][slot].append(name)
    return out


def _same(article: Article, facets: Facets, cities, organisations) -> bool:
    """Whether storing these facets would change nothing."""
    probe = Article(**{f: getattr(article, f) for f in FIELDS if f != "updated"})
    set_fields(probe, facets, keep=True)
    return (
        all(getattr(probe, f) == getattr(article, f) for f in FIELDS if f != "updated")
        and set(cities) == set(facets.cities)
        and set(organisations) == set(facets.organisations)
    )


@dataclass
class Prepared:
    """A batch after the skip test: the articles extraction must still read."""

    report: Report
    todo: list[tuple[Article, Job, str]]  # (article, job, its key now)
    ctx: Context
    size: int  # articles in the batch
    stored: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def jobs(self) -> list[Job]:
        return [job for _, job, _ in self.todo]


def prepare(articles: list[Article], ctx: Context) -> Prepared:
    """Sort a batch into hand-set, skipped and to do."""
    report = Report()
    todo = []
    stored = stored_facets([a.pk for a in articles if not a.facets_manual])
    for article in articles:
        if article.facets_manual:
            report.manual += 1
            continue
        job = job_for(article, ctx.full)
        key = extraction_key(ctx, job, article, *stored[article.pk])
        if key == article.extraction_key:
            report.unchanged += 1
            report.skipped += 1
            continue
        todo.append((article, job, key))
    return Prepared(report, todo, ctx, len(articles), stored)


def apply(prepared: Prepared, results: list[Facets | str]) -> Report:
    """Write a batch's new facets in one transaction: changed articles' fields and facet
    links, every extracted article's key, and the changed articles' index journal rows."""
    report = prepared.report
    changed: list[tuple[Article, Facets]] = []
    keys: dict[int, str] = {}  # articles whose facets stay: only their key is written
    for (article, _job, key), result in zip(prepared.todo, results, strict=True):
        if isinstance(result, str):
            report.failed.append((article.pk, result))
        elif _same(article, result, *prepared.stored[article.pk]):
            report.unchanged += 1
            if key != article.extraction_key:
                keys[article.pk] = key
        else:
            changed.append((article, result))
    if not changed and not keys:
        return report
    now = timezone.now()
    with transaction.atomic():
        if keys:
            _update_rows(["extraction_key"], [[key, pk] for pk, key in keys.items()])
        if changed:
            _write_changed(changed, prepared.ctx, now)
            report.changed_ids = [a.pk for a, _ in changed]
            indexing.enqueue(report.changed_ids)
    report.updated = len(changed)
    return report


def _write_changed(changed: list[tuple[Article, Facets]], ctx: Context, now) -> None:
    cities = facet_rows(City, {n for _, f in changed for n in f.cities})
    organisations = facet_rows(Organisation, {n for _, f in changed for n in f.organisations})
    rows = []
    for article, facets in changed:
        before = job_for(article, ctx.full)
        set_fields(article, facets, keep=True)
        article.updated = now
        after = job_for(article, ctx.full)
        # The key holds only while the next run would read what this one read: an undated
        # article that found its date is read from its stored body next time.
        article.extraction_key = (
            extraction_key(
                ctx,
                after,
                article,
                [cities[n].name for n in facets.cities],
                [organisations[n].name for n in facets.organisations],
            )
            if after.mode == before.mode
            else ""
        )
        rows.append([getattr(article, f) for f in (*FIELDS, "extraction_key")] + [article.pk])
    _update_rows([*FIELDS, "extraction_key"], rows)
    ids = [a.pk for a, _ in changed]
    quote = connection.ops.quote_name
    for through, attr, by_name, column in (
        (Article.cities.through, "cities", cities, "city_id"),
        (Article.organisations.through, "organisations", organisations, "organisation_id"),
    ):
        # Plain statements: no signal listens to these rows' deletion or creation (the
        # index journal is written above), and a model instance per link cost more than
        # the insert. The links of every changed article are replaced.
        table = quote(through._meta.db_table)
        # (A set: two names may be one row, e.g. a city an admin renamed.)
        links = {(a.pk, by_name[name].pk) for a, f in changed for name in getattr(f, attr)}
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {quote('article_id')} IN "
                f"({', '.join(['%s'] * len(ids))})",
                ids,
            )
            cursor.executemany(
                f"INSERT INTO {table} ({quote('article_id')}, {quote(column)}) VALUES (%s, %s)",
                sorted(links),
            )


def _update_rows(names: list[str], rows: list[list]) -> None:
    """UPDATE article SET names... WHERE id = ..., one prepared statement for every row
    (Django's bulk_update builds a CASE arm per row and field: most of a batch's write)."""
    fields = [Article._meta.get_field(n) for n in names]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Article._meta.db_table)} SET "
        + ", ".join(f"{quote(f.column)} = %s" for f in fields)
        + f" WHERE {quote(Article._meta.pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, row[:-1], strict=True)]
        + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def reextract_batch(
    articles: list[Article], gazetteer: Gazetteer | None = None, *, full: bool = False
) -> Report:
    """Re-extract a batch of articles in this process.

    From the stored title and body by default (entities follow the current gazetteer and
    block lists), from the raw content for undated articles; full=True re-cleans every raw
    content. Hand-set facets are left alone; nothing extraction cannot derive again is
    erased (ingest.apply_facets' keep rule)."""
    gazetteer = gazetteer or current_gazetteer()
    prepared = prepare(articles, Context(gazetteer, full))
    return apply(prepared, [run(job, gazetteer) for job in prepared.jobs])


# -- worker processes --------------------------------------------------------------------

_worker_gazetteer: Gazetteer | None = None  # set before the fork, inherited by the workers


def _run_chunk(jobs: list[Job]) -> list[Facets | str]:
    return [run(job, _worker_gazetteer) for job in jobs]


def _warm(gazetteer: Gazetteer) -> None:
    """Build the gazetteer's indexes and load the models before forking, once, instead of
    in every worker."""
    sample = Cleaned("Warm-up in Shanghai", ("Alibaba Group opened an office in Beijing.",))
    with geonames_kept():  # the tables read the same data sets: parsed once
        extract(sample, gazetteer)
        extract(Cleaned("上海", ("阿里巴巴在北京。",)), gazetteer)


class Pool:
    """Extraction of batches in `procs` forked processes; procs <= 1 runs it in this one.

    Workers never touch the database: this process's connections are closed before the
    fork (a child must not share a parent's socket) and reopen on their next use here."""

    def __init__(self, gazetteer: Gazetteer, procs: int) -> None:
        self.gazetteer = gazetteer
        self.procs = procs
        self._pool = None

    def __enter__(self) -> Pool:
        return self

    def _start(self) -> None:
        """Fork the workers, on the first batch that has enough to extract: a run that
        skips every article by its key never builds the gazetteer's indexes (seconds)."""
        global _worker_gazetteer
        _warm(self.gazetteer)
        _worker_gazetteer = self.gazetteer
        connections.close_all()
        # The objects made so far (Django, the gazetteer's tables) live as long as the
        # workers: frozen, a worker's collections never walk them (a few % of extraction)
        # nor write to their pages, which stay shared with this process.
        gc.freeze()
        try:
            self._pool = multiprocessing.get_context("fork").Pool(self.procs)
        finally:
            gc.unfreeze()  # (only the forked workers keep them frozen)

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def submit(self, jobs: list[Job]):
        """Start extracting; the returned callable waits for and returns the results."""
        if self._pool is None and self.procs > 1 and len(jobs) >= START_WORKERS:
            self._start()
        if self._pool is None or not jobs:
            results = [run(job, self.gazetteer) for job in jobs]
            return lambda: results
        chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
        pending = self._pool.map_async(_run_chunk, chunks)
        return lambda: [r for chunk in pending.get() for r in chunk]


def default_procs(total: int) -> int:
    return 1 if total < MIN_PARALLEL else max(1, os.cpu_count() or 1)
