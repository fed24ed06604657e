import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import indexing
from search.engines.base import get_backend
from search.models import Article


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database. The database is the source of truth: "
        "this recreates a lost, stale or corrupt index without losing any article. The new "
        "index is built in a new folder beside the live one and swapped in atomically, so "
        "searches keep working and running servers switch to it on their next search; articles "
        "saved meanwhile are indexed too (the journal is replayed afterwards). Checks first that "
        "the disk has room (about 2.3 x the index). A failed or killed rebuild leaves the live "
        "index serving; its leftovers are removed by the next run."
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
            # replay what the journal holds (a writer start does), then say what it holds.
            indexing.index_pending()
            indexed = backend.count()
            if indexed == total:
                self.stdout.write(f"index present with all {total} article(s); not rebuilt")
            else:
                self.stdout.write(
                    f"index present but holds {indexed} of {total} article(s); "
                    "run `manage.py rebuild_index` to rebuild it"
                )
            return
        start = time.perf_counter()
        try:
            with tqdm(total=total, unit="article", disable=verbosity == 0, file=self.stderr) as bar:
                count = indexing.rebuild(progress=bar.update)
        except OSError as exc:
            raise CommandError(
                f"rebuild failed, the live index is unchanged: {indexing.describe(exc)}"
            ) from exc
        seconds = time.perf_counter() - start
        rate = count / seconds if seconds else 0
        self.stdout.write(
            f"index built: {count} article(s) in {seconds:.1f} s ({rate:.0f}/s); "
            f"index {backend.identity()}"
        )
