"""The child process of bench/postgres.py: runs against DATABASE_URL (a scratch database)."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.search import queries, to_query  # noqa: E402
from search.engines.base import SearchQuery  # noqa: E402
from search.engines.postgres.backend import PostgresBackend  # noqa: E402
from search.engines.whoosh.backend import WhooshBackend  # noqa: E402
from search.models import Article  # noqa: E402

RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


def query_set() -> list[tuple[dict, SearchQuery]]:
    return [(spec, to_query(spec)) for spec in queries()]


def load_shared(n: int) -> float:
    """The engine benchmark's corpus (manage.py generate_corpus N --seed 1, bulk inserts)."""
    started = time.perf_counter()
    call_command("generate_corpus", n, seed=1, no_index=True, verbosity=0)
    return time.perf_counter() - started


def time_queries(engine, rounds: int = 2) -> dict:
    pairs = query_set()
    specs = [sq for _, sq in pairs]
    for sq in specs:  # warm caches (PostgreSQL buffers; Whoosh's opened segments)
        engine.search(sq)
    times, per_query = [], {}
    for _ in range(rounds):
        for spec, sq in pairs:
            t = time.perf_counter()
            engine.search(sq)
            elapsed = time.perf_counter() - t
            times.append(elapsed)
            key = json.dumps(spec, ensure_ascii=False)
            per_query[key] = max(per_query.get(key, 0.0), elapsed)
    times.sort()
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:3]
    return {
        "slowest": {k: round(v * 1000, 1) for k, v in slowest},
        "queries": len(times),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(times[-1] * 1000, 1),
    }


def main() -> None:
    n = int(os.environ.get("BENCH_ARTICLES", "100000"))
    call_command("migrate", verbosity=0)
    pg = PostgresBackend(None)
    results: dict = {"articles": n}

    engines = os.environ.get("BENCH_ENGINES", "postgres,whoosh").split(",")
    if Article.objects.count() == n:
        print(f"reusing the {n:,} articles already loaded (BENCH_KEEP_DB)", flush=True)
        load_s = float("nan")
    else:
        Article.objects.all().delete()
        load_s = load_shared(n)
    t = time.perf_counter()
    pg.rebuild()  # the spelling vocabulary (ts_stat) and ANALYZE
    # What autovacuum does soon after a bulk load anyway: visibility map and hint bits set,
    # so searches do not pay for them. Counted as indexing time.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE search_article")
    vocab_s = time.perf_counter() - t
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('search_article_search_vector_gin'))"
        )
        gin_size = cursor.fetchone()[0]
    results["postgres"] = {
        "insert_with_tsvector_s": round(load_s, 1),
        "vocabulary_and_vacuum_s": round(vocab_s, 1),
        "articles_per_s": round(n / (load_s + vocab_s)),
        "gin_index": gin_size,
        **time_queries(pg),
    }
    print(f"postgres: {json.dumps(results['postgres'])}", flush=True)

    if "whoosh" not in engines:
        return
    with tempfile.TemporaryDirectory(prefix="bench-whoosh-") as tmp:
        whoosh = WhooshBackend(tmp)
        t = time.perf_counter()
        whoosh.rebuild()
        index_s = time.perf_counter() - t
        results["whoosh"] = {
            "index_s": round(index_s, 1),
            "articles_per_s": round(n / index_s),
            **time_queries(whoosh),
        }
    print(f"whoosh:   {json.dumps(results['whoosh'])}", flush=True)

    print(
        f"\n{n:,} articles (bench/search.py's corpus and queries), {len(query_set())} queries x 2 rounds"
    )
    print("each: query + facet counts + highlights of the top 10")
    print(f"{'engine':10} {'index art/s':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name in ("postgres", "whoosh"):
        r = results[name]
        print(
            f"{name:10} {r['articles_per_s']:>12,} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "postgres.json").write_text(json.dumps(results, indent=2) + "\n")


main()
