import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from search.engines.base import SearchQuery, get_backend
from search.models import Article


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database. The database is the source of truth: "
        "this recreates a lost, stale or corrupt index without losing any article. The new "
        "index is built beside the live one and swapped in, so searches keep working, and "
        "articles saved meanwhile are indexed too."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="only build the index when there is none yet (used by `make run`)",
        )

    def handle(self, *args, verbosity: int, if_missing: bool, **options) -> None:
        backend = get_backend()
        total = Article.objects.count()
        if if_missing and backend.exists():
            # Saving an article indexes it, so after a first import the index is already there:
            # say what it holds rather than only that it exists.
            indexed = backend.search(SearchQuery(per_page=1)).total
            if indexed == total:
                self.stdout.write(f"index present with all {total} article(s); not rebuilt")
            else:
                self.stdout.write(
                    f"index present but holds {indexed} of {total} article(s); "
                    "run `manage.py rebuild_index` to rebuild it"
                )
            return
        start = time.perf_counter()
        with tqdm(total=total, unit="article", disable=verbosity == 0, file=self.stderr) as bar:
            count = backend.rebuild(progress=bar.update)
        seconds = time.perf_counter() - start
        rate = count / seconds if seconds else 0
        self.stdout.write(f"index built: {count} article(s) in {seconds:.1f} s ({rate:.0f}/s)")
