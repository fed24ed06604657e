"""Entity, compare and pair pages: response time of whole requests (URL to rendered HTML).

For each size in BENCH_ENTITY_SIZES (default "10000") a synthetic corpus
(manage.py generate_corpus N --seed 1) is built in a database of its own, never the
configured archive: SQLite in a temp dir for the Whoosh engine, and, when BENCH_POSTGRES_URL
names a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres), a scratch
database bench_entities_<N> on it for the PostgreSQL engine (dropped afterwards; the prefix
from BENCH_ENTITIES_DB_PREFIX, or BENCH_ENTITIES_PG_DB names a database already loaded).
BENCH_DIR keeps and reuses the SQLite corpora; BENCH_ENTITY_ENGINES=postgres skips Whoosh.

Pages, each requested through Django's test client in a process of its own after one warm-up
request (which opens the index):
  entity       /cities/<slug>/ and /organisations/<slug>/ of the 10 busiest of each
  entity-month the same, per month as a share of the archive
  compare      /compare/ with three searches (words, a city, an organisation), 10 variants
  pairs        /pairs/ for the whole archive and 9 searches
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from urllib.parse import urlencode

from bench import _corpus

SEED = _corpus.SEED
ROUNDS = 2


def _urls() -> dict[str, list[str]]:
    from django.db.models import Count

    from search import synthetic
    from search.engines.base import SearchQuery
    from search.entities import querystring
    from search.models import City, Organisation

    cities = list(City.objects.annotate(n=Count("articles")).order_by("-n", "name")[:10])
    orgs = list(Organisation.objects.annotate(n=Count("articles")).order_by("-n", "name")[:10])
    entities = [e.get_absolute_url() for pair in zip(cities, orgs, strict=False) for e in pair]
    words = synthetic.vocabulary()
    h = len(synthetic.HEAD_WORDS)
    compare = []
    for i in range(10):
        searches = [
            SearchQuery(q=words[i * 3]),
            SearchQuery(filters={"city": (cities[i].name,)}),
            SearchQuery(q=words[h + 40 * i], filters={"organisation": (orgs[(i + 1) % 10].name,)}),
        ]
        # Canonical URLs: anything else is answered with a redirect to one.
        compare.append("/compare/?" + urlencode([("s", querystring(s)) for s in searches]))
    pairs = ["/pairs/"] + [
        "/pairs/?" + urlencode(p)
        for p in (
            {"q": words[0]},
            {"q": words[5]},
            {"q": words[h + 100]},
            {"city": cities[0].name},
            {"city": cities[3].name},
            {"org": orgs[0].name},
            {"org": orgs[5].name},
            {"q": "smart city"},
            {"year": "2018"},
        )
    ]
    return {
        "entity": entities,
        "entity-month": [u + "?by=month&scale=share" for u in entities],
        "compare": compare,
        "pairs": pairs,
    }


def phase_pages() -> dict:
    from django.test import Client

    from bench.postgres import server_cpu
    from search.engines.base import get_backend

    # PostgreSQL's own CPU per request (a server on this machine: every postgres process,
    # those that exited included; other databases' work on it counts too).
    server = server_cpu if type(get_backend()).__name__ == "PostgresBackend" else lambda: None
    client = Client(HTTP_HOST="127.0.0.1")
    urls = _urls()
    start = time.perf_counter()
    assert client.get(urls["entity"][0]).status_code == 200  # opens the index
    opened = time.perf_counter() - start
    results, cpu, server_times = {}, {}, {}
    for kind, group in urls.items():
        times, cpu_times, server_cpu_times = [], [], []
        for _ in range(ROUNDS):
            for url in group:
                t, c, s = time.perf_counter(), time.process_time(), server()
                response = client.get(url)
                times.append(time.perf_counter() - t)
                cpu_times.append(time.process_time() - c)
                if s is not None:
                    server_cpu_times.append(server() - s)
                assert response.status_code == 200, (url, response.status_code)
        results[kind], cpu[kind], server_times[kind] = times, cpu_times, server_cpu_times
    return {
        "open": opened,
        "times": results,
        "cpu": cpu,
        "server_cpu": server_times,
        "load": os.getloadavg()[0],
        "engine": type(get_backend()).__name__,
    }


def child() -> None:
    _corpus.child_setup()
    print("RESULT " + json.dumps(phase_pages()), flush=True)


# -- the parent -----------------------------------------------------------------------------


def _ms(times: list[float], p: float) -> float:
    return _corpus.pct(times, p)


def _report(size: int, engine: str, r: dict) -> None:
    # The app process's CPU time is reported beside the wall time: on a shared machine the
    # wall time mostly measures the other processes; PostgreSQL's CPU (its processes on this
    # machine, with a 10 ms clock tick) beside it.
    print(
        f"{size:>7} {engine:<8} first request (opens the index) {r['open'] * 1000:.0f} ms; "
        f"load average {r['load']:.1f} at the end"
    )
    for kind, t in r["times"].items():
        c = r["cpu"][kind]
        print(
            f"{size:>7} {engine:<8} {kind:<13} wall p50 {_ms(t, 50):5.0f} ms  p95 {_ms(t, 95):5.0f}"
            f" ms  max {max(t) * 1000:5.0f} ms | cpu p50 {_ms(c, 50):5.0f} ms  p95 {_ms(c, 95):5.0f}"
            f" ms{_server(r, kind)}  ({len(t)} requests, mean wall {statistics.mean(t) * 1000:.0f} ms)",
            flush=True,
        )


def _server(r: dict, kind: str) -> str:
    s = r.get("server_cpu", {}).get(kind)
    return f" | server cpu p50 {_ms(s, 50):5.0f} ms  p95 {_ms(s, 95):5.0f} ms" if s else ""


def _build(py: str, size: int, env: dict) -> None:
    start = time.perf_counter()
    _corpus.generate(size, env)
    _corpus.run([py, "manage.py", "rebuild_index", "-v0"], env)
    print(f"{size:>7} {env['SEARCH_BACKEND']:<8} corpus built and indexed in {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip


def run_whoosh(size: int) -> None:
    with _corpus.workdir(f"entities-{size}") as work:
        env = _corpus.sqlite_env(work)
        py = sys.executable
        if not (work / "index").exists():
            _build(py, size, env)
        _report(size, "whoosh", _corpus.run([py, "-m", "bench.entities", "pages"], env))


def run_postgres(size: int, server: str) -> None:
    import psycopg

    # BENCH_ENTITIES_PG_DB: a database on that server already holding this corpus (e.g. the
    # one `BENCH_KEEP_DB=1 python -m bench postgres` loaded: same generator, same seed),
    # read and kept; otherwise a scratch one, <BENCH_ENTITIES_DB_PREFIX>_<N>, built and dropped.
    reuse = os.environ.get("BENCH_ENTITIES_PG_DB")
    name = reuse or f"{os.environ.get('BENCH_ENTITIES_DB_PREFIX', 'bench_entities')}_{size}"
    base, _, _ = server.rpartition("/")
    admin = psycopg.connect(server, autocommit=True)
    try:
        if not reuse:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="smartcity.settings",
            DEBUG="1",
            DATABASE_URL=f"{base}/{name}",
            SEARCH_BACKEND="postgres",
        )
        py = sys.executable
        if not reuse:
            _build(py, size, env)
        _report(size, "postgres", _corpus.run([py, "-m", "bench.entities", "pages"], env))
    finally:
        if not reuse:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_ENTITY_SIZES", "10000").split(",") if s]
    server = os.environ.get("BENCH_POSTGRES_URL")
    print(
        f"entities bench: sizes {sizes}, seed {SEED}, {ROUNDS} rounds "
        f"(BENCH_ENTITY_SIZES to change; BENCH_POSTGRES_URL adds PostgreSQL)"
    )
    engines = os.environ.get("BENCH_ENTITY_ENGINES", "whoosh,postgres").split(",")
    for size in sizes:
        if "whoosh" in engines:
            run_whoosh(size)
        if server and "postgres" in engines:
            run_postgres(size, server)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child()
    else:
        main()
