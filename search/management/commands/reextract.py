from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import indexing, reextraction
from search.engines.base import get_backend
from search.ingest import current_gazetteer
from search.models import Article

BATCH = 500
# When more articles than this share of the archive (and at least REBUILD_MIN) changed, a
# search index of its own is rebuilt once at the end instead of updated batch by batch:
# Whoosh writes a changed document at several times what a rebuild costs per document.
REBUILD_SHARE = 0.25
REBUILD_MIN = 1000


class Command(BaseCommand):
    help = (
        "Re-run facet extraction (cities, organisations, language; date, year, source and "
        "original URL where missing) on stored articles with the current gazetteer (built-in "
        "data plus City and Organisation rows, their aliases and the names admins blocked). "
        "By default from each article's stored title and body (undated articles from their "
        "raw content); --full re-cleans every raw content first (slower; picks up cleaning and metadata changes). Articles whose facets "
        "were set by hand are left alone, and so are synthetic benchmark articles; a value extraction cannot derive again (a date "
        "from the page's metadata, a source set by hand) is kept, never erased. Works in "
        "batches of --batch-size articles, one transaction and a few set-based statements "
        "each. Give article IDs, or --all. Prints 'N updated, M set by hand, K failed' and "
        "exits non-zero if any failed, an ID does not exist, or a changed article could not be "
        "indexed (it stays queued); changes are indexed once per batch (on Whoosh, from "
        f"{REBUILD_MIN} articles up, once at the end). An article is not "
        "read again while its text, its facets, the gazetteer and the extraction code are "
        "as its last re-extraction left them. Extraction runs in --jobs worker processes. "
        "When most of the archive changed, the index is rebuilt once instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="article IDs")
        parser.add_argument("--all", action="store_true", help="every article in the archive")
        parser.add_argument(
            "--full", action="store_true", help="re-clean the raw content, not only the body"
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH, help=f"articles per batch (default {BATCH})"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="extraction processes (default: one per CPU from "
            f"{reextraction.MIN_PARALLEL} articles up; 1 extracts in this process)",
        )

    def handle(
        self,
        *args,
        ids: list[int],
        all: bool,
        full: bool,
        batch_size: int,
        jobs: int | None,
        verbosity: int,
        **_,
    ) -> None:
        if all == bool(ids):
            raise CommandError("give article IDs or --all (not both)")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be at least 1")
        indexing.index_pending()  # a writer start replays what an earlier run left
        # The raw content (a whole HTML page) is read only for the articles that need it
        # (undated ones, or --full): most are re-extracted from their stored body.
        articles = Article.objects.order_by("pk")  # (prepare reads their facets itself)
        if not full:
            articles = articles.defer("raw_content")
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = sorted(set(ids) - set(articles.values_list("pk", flat=True)))
        else:
            missing = []
        synthetic = articles.filter(is_synthetic=True).count()
        articles = articles.filter(is_synthetic=False)
        gazetteer = current_gazetteer()  # one gazetteer for the whole run
        ctx = reextraction.Context(gazetteer, full)
        failed: list[tuple[int, str]] = [(pk, "no such article") for pk in missing]
        total = articles.count()
        report = reextraction.Report()
        bar = tqdm(
            total=total,
            unit="article",
            disable=verbosity == 0 or total < 50,
            file=self.stderr,
        )

        def batches():
            last = 0
            while True:
                batch = list(articles.filter(pk__gt=last)[:batch_size])
                if not batch:
                    return
                last = batch[-1].pk
                yield batch

        archive = Article.objects.count()
        rebuild = not get_backend().searches_database

        def rebuilding() -> bool:
            changed = len(report.changed_ids)
            return rebuild and changed >= max(REBUILD_MIN, REBUILD_SHARE * archive)

        # A run that may end in a rebuild chooses at its end, when it knows: the index
        # updates of the batches before the share is reached would cost more than the
        # rebuild itself. Smaller runs commit the index once per batch.
        defer = rebuild and total >= REBUILD_MIN

        def finish(prepared, results) -> None:
            report.add(reextraction.apply(prepared, results()))
            if not defer:
                indexing.index_pending()
            bar.update(prepared.size)

        procs = jobs or reextraction.default_procs(total)
        with indexing.deferred(), reextraction.Pool(gazetteer, procs) as pool:
            # The workers extract the next batch while this process writes the last one.
            waiting = None
            for batch in batches():
                prepared = reextraction.prepare(batch, ctx)
                ahead = (prepared, pool.submit(prepared.jobs))
                if waiting is not None:
                    finish(*waiting)
                waiting = ahead
            if waiting is not None:
                finish(*waiting)
        bar.close()
        cause = ""
        if rebuilding():
            try:
                indexing.rebuild()
            except Exception as exc:  # noqa: BLE001 - reported; the journal keeps the ids
                cause = indexing.describe(exc)
        else:
            cause = indexing.index_pending().error
        failed += report.failed
        queued = sorted(indexing.pending_ids(report.changed_ids))
        if queued:
            cause = cause or indexing.last_error(queued) or "a rebuild is running"
            failed += [
                (pk, f"re-extracted but not yet searchable (index: {cause})") for pk in queued
            ]
        for pk, reason in failed:
            self.stderr.write(f"failed: article {pk}: {reason}")
        updated = report.updated + report.unchanged
        summary = f"{updated} updated, {report.manual} set by hand, {len(failed)} failed"
        if synthetic:
            summary += f" ({synthetic} synthetic left as generated)"
        self.stdout.write(summary)
        if failed:
            raise CommandError(f"{len(failed)} failed")
