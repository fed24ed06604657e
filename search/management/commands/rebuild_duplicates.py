import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from search import copies
from search.models import Article


class Command(BaseCommand):
    help = (
        "Recompute which articles are syndicated copies of the same story. Every body is "
        "fingerprinted again (MinHash over word shingles, character shingles for Chinese), "
        "candidates come from shared LSH bands, and an article joins the group of the earlier "
        "article whose body contains most of its own. Articles are taken in publication "
        "order, as ingest would have met them. Admins' decisions (split out, merged) are "
        "applied over the result, so they survive. Articles whose 'shown in search' flag "
        "changes are re-indexed after the transaction commits. Ingest keeps the groups up "
        "to date by itself; run this after changing the fingerprint settings, after a bulk "
        "load that bypassed ingest, or to repair."
    )

    def handle(self, *args, verbosity: int, **options) -> None:
        total = Article.objects.count()
        start = time.perf_counter()
        with tqdm(total=total, unit="article", disable=verbosity == 0, file=self.stderr) as bar:
            result = copies.rebuild(progress=bar.update)
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"{result['articles']} article(s): {result['groups']} stories with copies, "
            f"{result['copies']} articles in them, in {seconds:.1f} s"
        )
