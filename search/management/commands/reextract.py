from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.ingest import IngestError, current_gazetteer, reextract
from search.models import Article


class Command(BaseCommand):
    help = (
        "Re-run facet extraction (date, year, source, cities, organisations) on stored articles, "
        "from their raw content, with the current gazetteer (built-in data plus City and "
        "Organisation rows and their aliases). Articles whose facets were set by hand are left "
        "alone, and so are synthetic benchmark articles (their facets were generated, not "
        "extracted, and their text names no date). Give article IDs, or --all for every "
        "article. Prints 'N updated, M set by hand, K failed' and exits non-zero if any failed "
        "or an ID does not exist."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="article IDs")
        parser.add_argument("--all", action="store_true", help="every article in the archive")

    def handle(self, *args, ids: list[int], all: bool, verbosity: int, **options) -> None:
        if all == bool(ids):
            raise CommandError("give article IDs or --all (not both)")
        articles = Article.objects.order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = sorted(set(ids) - set(articles.values_list("pk", flat=True)))
        else:
            missing = []
        synthetic = articles.filter(is_synthetic=True).count()
        articles = articles.filter(is_synthetic=False)
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
        for article in bar:
            try:
                changed = reextract(article, gazetteer)
            except IngestError as exc:
                failed.append((article.pk, str(exc)))
                continue
            if changed:
                updated += 1
            else:
                manual += 1
        for pk, reason in failed:
            self.stderr.write(f"failed: article {pk}: {reason}")
        summary = f"{updated} updated, {manual} set by hand, {len(failed)} failed"
        if synthetic:
            summary += f" ({synthetic} synthetic left as generated)"
        self.stdout.write(summary)
        if failed:
            raise CommandError(f"{len(failed)} failed")
