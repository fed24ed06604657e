"""The child process of bench/postgres.py: runs against DATABASE_URL (a scratch database)."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.postgres import server_cpu  # noqa: E402
from bench.search import queries, to_query  # noqa: E402
from search.engines.base import SearchQuery  # noqa: E402
from search.engines.postgres import schema as pg_schema  # noqa: E402
from search.engines.postgres import sql as pg_sql  # noqa: E402
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


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))  # timed passes over the query set


def _timed(engine, pairs) -> list[tuple[dict, SearchQuery, object, float]]:
    """Each query once: (spec, query, page, seconds)."""
    out = []
    for spec, sq in pairs:
        t = time.perf_counter()
        page = engine.search(sq)
        out.append((spec, sq, page, time.perf_counter() - t))
    return out


def time_queries(engine, rounds: int = ROUNDS, tops: dict | None = None) -> dict:
    """Latency over the query set; `tops` (when given) gets each ranked query's top-10 ids."""
    pairs = query_set()
    # The first pass warms caches (PostgreSQL buffers, each process's facet columns, kept
    # matches and word frequencies; Whoosh's opened segments): timed apart.
    first = _timed(engine, pairs)
    if tops is not None:
        for spec, sq, page, _ in first:
            if sq.q and sq.sort == "relevance":
                tops[json.dumps(spec, ensure_ascii=False)] = [h.id for h in page.hits]
    times, per_query = [], {}
    for _ in range(rounds):
        for spec, _sq, _page, elapsed in _timed(engine, pairs):
            times.append(elapsed)
            key = json.dumps(spec, ensure_ascii=False)
            per_query[key] = max(per_query.get(key, 0.0), elapsed)
    # Then one article written through the engine, and each query once more: what searches
    # cost right after a write (PostgreSQL processes reload their facet columns and find
    # words' matches again; Whoosh opens the new segment).
    written = Article.objects.create(
        title="Bench: one article written between passes",
        body="A smart city data platform, written while the engine serves searches.",
        raw_content="bench",
        content_hash=f"bench-write-{time.time_ns()}",
        year=2020,
        published_date=dt.date(2020, 1, 1),
    )
    engine.update([written.id])
    after_write = [elapsed for *_, elapsed in _timed(engine, pairs)]
    Article.objects.filter(pk=written.id).delete()
    engine.update([written.id])
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:3]
    return {
        **_percentiles("first_pass_", [elapsed for *_, elapsed in first]),
        **_percentiles("after_write_", after_write),
        "slowest": {k: round(v * 1000, 1) for k, v in slowest},
        "queries": len(times),
        **_percentiles("", times),
        "max_ms": round(max(times) * 1000, 1),
    }


def _percentiles(prefix: str, times: list[float]) -> dict:
    times = sorted(times)
    return {
        f"{prefix}p50_ms": round(statistics.median(times) * 1000, 1),
        f"{prefix}p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
    }


def _sizes() -> dict:
    """On-disk sizes: the table with its TOAST (bodies) and each search index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('search_article')),"
            " pg_size_pretty(pg_relation_size('search_article_search_vector_gin')),"
            " pg_size_pretty(coalesce(pg_relation_size(to_regclass(%s)), 0)),"
            " pg_size_pretty(pg_database_size(current_database())),"
            " pg_size_pretty(coalesce(pg_total_relation_size(to_regclass(%s)), 0)),"
            " pg_size_pretty(coalesce(pg_relation_size(to_regclass(%s)), 0))",
            [pg_schema.RUM_INDEX, pg_schema.CHAMPIONS, pg_schema.TITLE_INDEX],
        )
        table, gin, rum, database, champions, titles = cursor.fetchone()
    return {
        "table_with_indexes": table,
        "gin_index": gin,
        "rum_index": rum,
        "title_index": titles,
        "champion_lists": champions,
        "database": database,
    }


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 1)


def _server_cpu() -> float | None:
    cpu = server_cpu()
    return None if cpu is None else round(cpu, 1)


def _has_rum() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [pg_schema.RUM_INDEX])
        return cursor.fetchone() is not None


def _agreement(a: dict, b: dict) -> float:
    """Share of the top-10 ids the two rankings have in common, over the ranked queries."""
    shared = [len(set(a[k]) & set(b[k])) / len(b[k]) for k in b if b[k]]
    return round(sum(shared) / max(len(shared), 1), 3)


def main() -> None:
    n = int(os.environ.get("BENCH_ARTICLES", "100000"))
    call_command("migrate", verbosity=0)
    pg = PostgresBackend(None)
    results: dict = {"articles": n}

    engines = os.environ.get("BENCH_ENGINES", "postgres,whoosh").split(",")
    rum = False
    if Article.objects.count() == n:
        print(f"reusing the {n:,} articles already loaded (BENCH_KEEP_DB)", flush=True)
        load_s = float("nan")
        server_cpu = None
        rum = _has_rum()
    else:
        # generate_corpus's bulk path: the vector's indexes (GIN, and RUM where the server
        # has it) dropped for the load and built once after it, side by side.
        rum = _has_rum()
        Article.objects.all().delete()
        server_cpu = _server_cpu()
        load_s = load_shared(n)
    t = time.perf_counter()
    if load_s == load_s:  # loaded now (a reused database was prepared by the run that loaded it)
        pg.rebuild()  # the spelling vocabulary (ts_stat) and ANALYZE
        # What autovacuum does soon after a bulk load anyway: visibility map and hint bits
        # set, so searches do not pay for them. Counted as indexing time.
        with connection.cursor() as cursor:
            for table in ("search_article", *pg_sql.JOINED_TABLES):
                cursor.execute(f"VACUUM ANALYZE {table}")
    vocab_s = time.perf_counter() - t
    if load_s == load_s and server_cpu is not None:
        server_cpu = round(_server_cpu() - server_cpu, 1)
    results["postgres"] = {
        "insert_vectors_and_index_builds_s": round(load_s, 1),
        "vocabulary_and_vacuum_s": round(vocab_s, 1),
        # None when the articles were reused (BENCH_KEEP_DB): nothing was loaded.
        "articles_per_s": None if load_s != load_s else round(n / (load_s + vocab_s)),
        # This process's CPU (the server's is not counted) and the machine's load.
        "client_cpu_s": _client_cpu(),
        "server_cpu_s": server_cpu if load_s == load_s else None,
        "load_average": os.getloadavg()[0],
        **_sizes(),
    }
    print(f"postgres load: {json.dumps(results['postgres'])}", flush=True)
    # Both rankings over the same database in one run: GIN (every match scored exactly) and,
    # where the index exists, RUM (the exact score of the index's best candidates).
    tops: dict[str, dict] = {}
    rankings = os.environ.get("BENCH_RANKINGS", "gin,rum").split(",")  # e.g. "rum" alone
    for ranking in [r for r in ("gin", "rum") if r in rankings and (rum or r == "gin")]:
        settings.SEARCH_POSTGRES_RUM = "auto" if ranking == "rum" else "off"
        engine = PostgresBackend(None)
        tops[ranking] = {}
        results[f"postgres-{ranking}"] = {
            "articles_per_s": results["postgres"]["articles_per_s"],
            **time_queries(engine, tops=tops[ranking]),
        }
        print(f"postgres-{ranking}: {json.dumps(results[f'postgres-{ranking}'])}", flush=True)
    choice = "rum" if rum else "gin"
    results["ranking"] = choice
    if len(tops) == 2:
        results["rum_top10_agreement_with_gin"] = _agreement(tops["rum"], tops["gin"])
    if not rum:
        why = "no RUM index on this server: GIN, every match scored"
    elif len(tops) == 2:
        why = (
            "RUM index present: exact score of its 300 best matches; top-10 agreement with "
            f"the exact GIN ranking {results['rum_top10_agreement_with_gin']:.1%}"
        )
    else:
        why = "RUM index present: exact score of its 300 best matches"
    print(f"ranking: {choice.upper()} ({why})", flush=True)

    names = [f"postgres-{r}" for r in tops]
    if "whoosh" in engines:
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
        names.append("whoosh")

    print(
        f"\n{n:,} articles (bench/search.py's corpus and queries), {len(query_set())} queries x {ROUNDS} rounds"
    )
    print("each: query + facet counts + highlights of the top 10")
    print("first: each query once in a new process, before the timed passes (nothing kept)")
    print("after write: each query once after one article is written through the engine")
    print(
        f"{'engine':14} {'index art/s':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'first p50/p95':>14} {'after write p50/p95':>20}"
    )
    for name in names:
        r = results[name]
        rate = "reused" if r["articles_per_s"] is None else f"{r['articles_per_s']:,}"
        first = f"{r['first_pass_p50_ms']}/{r['first_pass_p95_ms']}"
        after = f"{r['after_write_p50_ms']}/{r['after_write_p95_ms']}"
        print(
            f"{name:14} {rate:>12} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}"
            f" {first:>14} {after:>20}"
        )
    sizes = results["postgres"]
    print(
        f"PostgreSQL sizes: table+indexes {sizes['table_with_indexes']}, GIN {sizes['gin_index']},"
        f" RUM {sizes['rum_index']}, titles {sizes['title_index']},"
        f" champion lists {sizes['champion_lists']}, database {sizes['database']}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "postgres.json").write_text(json.dumps(results, indent=2) + "\n")


main()
