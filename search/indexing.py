"""The index journal and the indexer that drains it.

The database is the truth. Every change to an article writes a journal row (IndexJournal) in
the same transaction as the change, so a change that commits is never forgotten, whatever
happens to the process afterwards (kill -9, a full disk, a lock held too long). The journal
lives in the database rather than in a file beside the index because it must commit or roll
back with the article it stands for, and be shared by every process and every app server.

`index_pending` drains it in batches: it reads committed rows, writes their articles'
current state to the index in one commit per batch, and only then deletes exactly those rows.
A change made meanwhile adds a new row, which stays. A failed write keeps its rows and
records why on them (shown by the admin and `manage.py index_status`).

Who drains:
- SEARCH_INDEXER="worker" (production default): `manage.py run_indexer`, a background
  process (started by `make run`). A web request only writes journal rows.
- SEARCH_INDEXER="inline" (tests, single-process setups): the process that committed drains
  right after the commit, waiting at most SEARCH_INDEX_REQUEST_WAIT seconds for the lock.
- Every writer command (import_articles, reextract, rebuild_index, run_indexer) and
  `index_status --replay` drain what is pending when they start and as they go.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from whoosh.index import LockError

from search.engines.base import get_backend
from search.models import Article, IndexJournal

logger = logging.getLogger(__name__)

BATCH = 500
_local = threading.local()

_CAUSES = {
    errno.ENOSPC: "the disk holding the index is full",
    errno.EDQUOT: "the disk quota for the index is used up",
    errno.EFBIG: "the index file size limit was reached (disk full for this process)",
    errno.EROFS: "the index is on a read-only file system",
    errno.EACCES: "permission denied writing the index",
    errno.EPERM: "permission denied writing the index",
}


def describe(exc: BaseException) -> str:
    """Why an index write failed, in words an admin can act on."""
    if getattr(exc, "says_what_is_needed", False):
        return exc.strerror
    if isinstance(exc, LockError):
        return f"the index is busy ({exc})"
    for inner in (exc, exc.__cause__, exc.__context__):
        if isinstance(inner, OSError) and inner.errno in _CAUSES:
            where = f": {inner.filename}" if inner.filename else ""
            return f"{_CAUSES[inner.errno]} ({inner.strerror or inner}{where})"
    return f"{type(exc).__name__}: {exc}"


# -- writing the journal -------------------------------------------------------------------


def enqueue(article_ids) -> None:
    """Journal these articles for indexing, inside the caller's transaction if any.

    After the transaction commits, the inline indexer drains (SEARCH_INDEXER="inline" or an
    engine that searches the database itself); otherwise the worker does."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return
    IndexJournal.objects.bulk_create([IndexJournal(article_id=i) for i in ids], batch_size=500)
    collected = getattr(_local, "collected", None)
    if collected is not None:
        collected.update(ids)
    if not getattr(_local, "deferred", 0):
        transaction.on_commit(_after_commit)


def _inline() -> bool:
    return settings.SEARCH_INDEXER == "inline" or get_backend().searches_database


def _after_commit() -> None:
    if getattr(_local, "deferred", 0) or not _inline():
        return
    if getattr(_local, "draining", False):
        return
    # Several changes in one transaction registered several callbacks: the first drains.
    # One batch at most, so a request's time stays bounded whatever the backlog.
    index_pending(wait=settings.SEARCH_INDEX_REQUEST_WAIT, rebuild_missing=True, max_batches=1)


@contextmanager
def deferred():
    """Within this block, commits only journal; the caller drains (in batches) itself."""
    _local.deferred = getattr(_local, "deferred", 0) + 1
    try:
        yield
    finally:
        _local.deferred -= 1


@contextmanager
def collect():
    """Collect the ids journalled in this thread within the block (for the admin's notice)."""
    previous = getattr(_local, "collected", None)
    _local.collected = ids = set()
    try:
        yield ids
    finally:
        _local.collected = previous
        if previous is not None:
            previous.update(ids)


# -- draining ------------------------------------------------------------------------------


@dataclass
class Drained:
    indexed: set[int] = field(default_factory=set)
    # Written, but into an index a running rebuild replaces: kept for its replay.
    kept: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    error: str = ""
    batches: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


def index_pending(
    *,
    wait: float | None = None,
    batch: int = BATCH,
    rebuild_missing: bool = True,
    max_batches: int | None = None,
) -> Drained:
    """Index every journalled article, one index commit per batch; see the module doc.

    Synchronous, so tests and commands can drain deterministically. Stops at the first
    failed batch (its rows stay, with the cause recorded) or when a rebuild is running.
    """
    result = Drained()
    backend = get_backend()
    _local.draining = True
    try:
        if rebuild_missing and not backend.exists():
            # No index at all: build it from the database (which covers every pending row).
            try:
                backend.rebuild()
            except Exception as exc:  # noqa: BLE001 - recorded and reported, rows kept
                return _failed(result, _pending_rows(batch), exc)
        seen_max = 0
        while max_batches is None or result.batches < max_batches:
            rows = _pending_rows(batch, after=seen_max)
            if not rows:
                break
            seen_max = max(pk for pk, _ in rows)
            ids = {article_id for _, article_id in rows}
            try:
                lasting = backend.update(ids, wait=wait)
            except Exception as exc:  # noqa: BLE001 - recorded and reported, rows kept
                return _failed(result, rows, exc)
            result.batches += 1
            if lasting:
                IndexJournal.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
                result.indexed |= ids
            else:
                result.kept |= ids
    finally:
        _local.draining = False
    return result


def _pending_rows(batch: int, after: int = 0) -> list[tuple[int, int]]:
    return list(
        IndexJournal.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "article_id")[:batch]
    )


def _failed(result: Drained, rows, exc: BaseException) -> Drained:
    cause = describe(exc)
    logger.warning("index write failed (%s); %d journal rows kept", cause, len(rows))
    IndexJournal.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        attempts=F("attempts") + 1, last_error=cause[:2000]
    )
    result.failed |= {article_id for _, article_id in rows}
    result.error = cause
    return result


def rebuild(progress=None) -> int:
    """Rebuild the index from the database, then replay what was journalled meanwhile.

    A journal row committed before the rebuild read the database is held by the rebuilt
    index: it is dropped, not written a second time (after a re-extraction that changed
    most articles, that was every one of them again)."""
    covered = list(IndexJournal.objects.values_list("pk", flat=True))
    count = get_backend().rebuild(progress=progress)
    for start in range(0, len(covered), BATCH):
        IndexJournal.objects.filter(pk__in=covered[start : start + BATCH]).delete()
    index_pending(rebuild_missing=False)
    return count


# -- what is pending -----------------------------------------------------------------------


def pending_ids(among=None) -> set[int]:
    rows = IndexJournal.objects.all()
    if among is not None:
        rows = rows.filter(article_id__in=list(among))
    return set(rows.values_list("article_id", flat=True))


def earliest_unindexed(created_from):
    """The creation time of the earliest article created at or after `created_from` that the
    index may not hold yet (its journal row is still pending), or None when it holds them
    all. What a reader of the index by creation time (alert digests) may treat as complete
    is everything created before it."""
    pending = IndexJournal.objects.values("article_id")
    return (
        Article.objects.filter(created__gte=created_from, pk__in=pending)
        .order_by("created")
        .values_list("created", flat=True)
        .first()
    )


def last_error(among=None) -> str:
    """The cause of the latest failed attempt for these articles (any, if None)."""
    rows = IndexJournal.objects.exclude(last_error="")
    if among is not None:
        rows = rows.filter(article_id__in=list(among))
    row = rows.order_by("-pk").values_list("last_error", flat=True).first()
    return row or ""


@dataclass(frozen=True)
class Status:
    database: int
    index: int | None
    pending: list[int]
    identity: str
    error: str
    oldest_pending_seconds: float | None


def status() -> Status:
    backend = get_backend()
    try:
        identity = backend.identity()
        indexed = backend.count()
    except Exception as exc:  # noqa: BLE001 - the report says what is wrong
        identity, indexed = f"unavailable: {describe(exc)}", None
    oldest = IndexJournal.objects.order_by("pk").values_list("queued", flat=True).first()
    age = None
    if oldest is not None:
        from django.utils import timezone

        age = (timezone.now() - oldest).total_seconds()
    return Status(
        database=Article.objects.count(),
        index=indexed,
        pending=sorted(pending_ids()),
        identity=identity,
        error=last_error(),
        oldest_pending_seconds=age,
    )


def run_indexer(poll: float = 0.5, backoff: float = 5.0, stop=None) -> None:
    """Drain the journal until `stop()` says so: the body of `manage.py run_indexer`."""
    stop = stop or (lambda: False)
    from django.db import close_old_connections

    while not stop():
        close_old_connections()
        result = index_pending()
        if result.error:
            time.sleep(backoff)
        elif not result.batches or result.kept:
            time.sleep(poll)
