from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import indexing
from search.ingest import IngestError, current_gazetteer, reextract
from search.models import Article

BATCH = 200  # articles between two index commits


class Command(BaseCommand):
    help = (
        "Re-run facet extraction (date, year, source, cities, organisations) on stored articles, "
        "from their raw content, with the current gazetteer (built-in data plus City and "
        "Organisation rows and their aliases). Articles whose facets were set by hand are left "
        "alone. Give article IDs, or --all for every article. Prints 'N updated, M set by hand, "
        "K failed' and exits non-zero if any failed, an ID does not exist, or a changed article "
        "could not be indexed (it stays queued). Changes are indexed in batches."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="article IDs")
        parser.add_argument("--all", action="store_true", help="every article in the archive")

    def handle(self, *args, ids: list[int], all: bool, verbosity: int, **options) -> None:
        if all == bool(ids):
            raise CommandError("give article IDs or --all (not both)")
        indexing.index_pending()  # a writer start replays what an earlier run left
        articles = Article.objects.order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = sorted(set(ids) - set(articles.values_list("pk", flat=True)))
        else:
            missing = []
        gazetteer = current_gazetteer()  # one gazetteer for the whole run
        updated = manual = 0
        failed: list[tuple[int, str]] = [(pk, "no such article") for pk in missing]
        total = articles.count()
        bar = tqdm(
            articles.iterator(chunk_size=200),
            total=total,
            unit="article",
            disable=verbosity == 0 or total < 50,
            file=self.stderr,
        )
        changed_ids: list[int] = []
        with indexing.deferred():
            for article in bar:
                try:
                    changed = reextract(article, gazetteer)
                except IngestError as exc:
                    failed.append((article.pk, str(exc)))
                    continue
                if changed:
                    updated += 1
                    changed_ids.append(article.pk)
                    if len(changed_ids) % BATCH == 0:
                        indexing.index_pending()
                else:
                    manual += 1
        drained = indexing.index_pending()
        waiting = sorted(indexing.pending_ids(changed_ids))
        if waiting:
            cause = drained.error or indexing.last_error(waiting) or "a rebuild is running"
            failed += [
                (pk, f"re-extracted but not yet searchable (index: {cause})") for pk in waiting
            ]
        for pk, reason in failed:
            self.stderr.write(f"failed: article {pk}: {reason}")
        self.stdout.write(f"{updated} updated, {manual} set by hand, {len(failed)} failed")
        if failed:
            raise CommandError(f"{len(failed)} failed")
