"""python manage.py generate_corpus N --seed S: add N synthetic articles, then index them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils.text import slugify
from tqdm import tqdm

from search import synthetic
from search.ingest import content_hash
from search.models import Article, City, Organisation, with_slugs

BATCH = 2000
# From this many articles on, a PostgreSQL load builds the search vector's indexes once at the
# end and inserts from two connections (each row's vector is parsed by the server process
# that inserts it: two of them use two cores). Smaller loads (tests) go row by row as before.
BULK_MIN = 5000
BULK_WORKERS = 2


def _rows(model, names) -> dict[str, int]:
    existing = dict(model.objects.filter(name__in=names).values_list("name", "id"))
    # Made by the generator, not by a person: not part of the gazetteer (models.curated).
    missing = with_slugs(model, [model(name=n, curated=False) for n in names if n not in existing])
    model.objects.bulk_create(missing, batch_size=500)
    return dict(model.objects.filter(name__in=names).values_list("name", "id"))


def insert_batch(
    items: list[synthetic.SyntheticArticle], city_ids, org_ids, ids: list[int] | None = None
) -> int:
    """Insert articles and their facet links in bulk; already present ones are skipped.
    `ids`: the id of each item (reserved beforehand), else the table's sequence gives them.

    bulk_create sends no post_save signals: the caller indexes in bulk afterwards.
    """
    given = dict(zip((content_hash(a.text) for a in items), ids or [], strict=False))
    by_hash = {content_hash(a.text): a for a in items}
    present = set(
        Article.objects.filter(content_hash__in=list(by_hash)).values_list(
            "content_hash", flat=True
        )
    )
    new = [(h, a) for h, a in by_hash.items() if h not in present]
    with transaction.atomic():
        rows = [
            Article(
                pk=given.get(h),
                title=a.title,
                slug=slugify(a.title)[:200] or "article",
                source_name=a.source,
                published_date=a.date,
                year=a.date.year if a.date else None,
                raw_content=a.text,
                raw_format=Article.Format.TEXT,
                body=a.body,
                content_hash=h,
                is_synthetic=True,
            )
            for h, a in new
        ]
        # Reserved ids (the PostgreSQL bulk path): COPY, with far less Python per row.
        copy = ids is not None and connection.vendor == "postgresql"
        if copy:
            from search.engines.postgres.bulk import copy_rows

            copy_rows(connection, Article, rows)
        else:
            rows = Article.objects.bulk_create(rows)
        city_links, org_links = [], []
        for row, (_, a) in zip(rows, new, strict=True):
            city_links += [
                Article.cities.through(article_id=row.pk, city_id=city_ids[c]) for c in a.cities
            ]
            org_links += [
                Article.organisations.through(article_id=row.pk, organisation_id=org_ids[o])
                for o in a.organisations
            ]
        for model, links in (
            (Article.cities.through, city_links),
            (Article.organisations.through, org_links),
        ):
            if copy:
                copy_rows(connection, model, links)
            else:
                model.objects.bulk_create(links)
    return len(rows)


def _workers(count: int, asked: int | None) -> int:
    """Several inserting connections only where they can help and see each other's rows:
    PostgreSQL, a large load (unless asked), and no open transaction (a test's would hide
    their rows from the other connections)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    if asked is not None:
        return max(1, asked)
    return BULK_WORKERS if count >= BULK_MIN else 1


def archive_reason() -> str | None:
    """Why the database looks like an archive people search, or None for a scratch one.

    Synthetic articles in a real archive rank above real ones, run its dates and facets and
    cannot be told apart by a reader: benchmarks get their own database and index.
    """
    default_db = settings.BASE_DIR / "var" / "db.sqlite3"
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and name == str(default_db):
        return f"{default_db} is the archive `make run` serves"
    real = Article.objects.filter(is_synthetic=False).count()
    if real:
        return f"the database {name} holds {real} real article(s)"
    return None


class Command(BaseCommand):
    help = (
        "Add N deterministic synthetic news-like articles (marked is_synthetic) for benchmarks "
        "and tests, inserted in bulk, then rebuild the search index. The same --seed gives "
        "the same articles; running it again adds nothing new. It refuses the archive a user "
        "runs (the default var/db.sqlite3, or any database with real articles): give the "
        "benchmark its own, e.g. `VAR_DIR=var/bench manage.py migrate` and then "
        "`VAR_DIR=var/bench manage.py generate_corpus N` (bench/ does this itself)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="how many articles to generate")
        parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
        parser.add_argument(
            "--no-index", action="store_true", help="only insert rows; do not rebuild the index"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"inserting connections (PostgreSQL; default {BULK_WORKERS} from {BULK_MIN} "
            "articles on, outside a transaction, else 1)",
        )
        parser.add_argument(
            "--into-archive",
            action="store_true",
            help="add them even to a database that holds real articles or is the default one",
        )

    def handle(self, *args, count: int, seed: int, no_index: bool, verbosity: int, **options):
        reason = archive_reason()
        if reason and not options["into_archive"]:
            raise CommandError(
                f"refusing to add synthetic articles to your archive: {reason}. Give the "
                "benchmark its own database and index, e.g.\n"
                "  VAR_DIR=var/bench .venv/bin/python manage.py migrate\n"
                f"  VAR_DIR=var/bench .venv/bin/python manage.py generate_corpus {count} --seed {seed}\n"
                "or pass --into-archive to mix them in anyway."
            )
        start = time.perf_counter()
        city_ids = _rows(City, list(synthetic.cities()))
        org_ids = _rows(Organisation, list(synthetic.organisations()))
        workers = _workers(count, options.get("workers"))
        batches = [range(first, min(first + BATCH, count)) for first in range(0, count, BATCH)]
        ids = None
        if workers > 1:
            from search.engines.postgres import bulk

            ids = bulk.reserve_ids(connection, Article._meta.db_table, count)
            deferred = bulk.deferred_vector_indexes(connection)
        else:
            deferred = nullcontext()
        synthetic.article(seed, 0)  # the generator's tables, made once before any thread

        def load(numbers: range) -> int:
            items = [synthetic.article(seed, n) for n in numbers]
            chosen = ids[numbers.start : numbers.stop] if ids else None
            return insert_batch(items, city_ids, org_ids, chosen)

        def worker(share: list[range]) -> int:
            try:
                done = 0
                for numbers in share:
                    done += load(numbers)
                    bar.update(len(numbers))
                return done
            finally:
                if workers > 1:
                    connection.close()  # this thread's own connection

        with (
            tqdm(total=count, unit="article", disable=verbosity == 0, file=self.stderr) as bar,
            deferred,
        ):
            if workers > 1:
                with ThreadPoolExecutor(workers) as pool:
                    shares = [batches[i::workers] for i in range(workers)]
                    added = sum(pool.map(worker, shares))
            else:
                added = worker(batches)
        if workers > 1:
            bulk.settle(connection)
        inserted = time.perf_counter() - start
        if verbosity:
            self.stdout.write(f"added {added} synthetic article(s) in {inserted:.1f} s")
        if not no_index:
            from search import indexing

            start = time.perf_counter()
            total = indexing.rebuild()
            if verbosity:
                seconds = time.perf_counter() - start
                self.stdout.write(f"indexed {total} article(s) in {seconds:.1f} s")
