"""PostgreSQL vs Whoosh on the same synthetic corpus, in one run.

Loads BENCH_ARTICLES (default 100,000) synthetic articles into a scratch PostgreSQL database
(<name>_bench on TEST_POSTGRES_URL's server, dropped afterwards), then measures for each
engine: indexing rate, and p50/p95 of a full search (query + facet counts + highlights) over
the shared query set. The work runs in a child process so that it has its own settings
(DATABASE_URL) whatever the rest of `make bench` uses.

    BENCH_ARTICLES=5000 .venv/bin/python -m bench postgres     # a quick look
    BENCH_KEEP_DB=1 BENCH_ENGINES=postgres ...   # keep (and reuse) the loaded database
    BENCH_PG_DB=sc_bench100k ...   # the scratch database's name (default <name>_bench)
    BENCH_RANKINGS=rum (or gin, or none: load only)  BENCH_ROUNDS=1 (timed passes, default 2)

The load is generate_corpus's bulk path (search/engines/postgres/bulk.py): rows COPYed from
two connections with the search vector's indexes dropped, GIN and RUM built once afterwards
side by side, the vocabulary counted by a parallel query, then VACUUM ANALYZE of the article
and link tables (what autovacuum does soon after). An operator's `manage.py import_articles`
instead inserts article by article with both indexes maintained (RUM ~5 x the GIN's cost
per insert).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/smartcity"


def server_cpu() -> float | None:
    """CPU seconds of this machine's PostgreSQL processes, those that exited included (the
    postmaster collects its children's), when the server runs here; else None. Other
    databases' work on the same server counts too: compare runs on a quiet server."""
    total, found = 0.0, False
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        if name not in ("postgres", "postmaster"):
            continue
        fields = rest.split()
        total += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        found = True
    return total if found else None


def _server(url: str) -> str:
    return url.rsplit("/", 1)[0]


def main() -> None:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL)
    # BENCH_PG_DB names the scratch database (e.g. to keep a 100k one beside a 10k one).
    bench_db = os.environ.get("BENCH_PG_DB") or url.rsplit("/", 1)[1].split("?")[0] + "_bench"
    try:
        admin = psycopg.connect(f"{_server(url)}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"skipped: no PostgreSQL server answers at {_server(url)} ({exc})")
        return
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_db]
        ).fetchone()
        if not (keep and exists):
            admin.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
            admin.execute(f'CREATE DATABASE "{bench_db}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{_server(url)}/{bench_db}",
        "DJANGO_SETTINGS_MODULE": "smartcity.settings",
        "DEBUG": "1",
        "SEARCH_BACKEND": "postgres",
    }
    try:
        subprocess.run([sys.executable, "-m", "bench._pgbench"], cwd=ROOT, env=env, check=True)
    finally:
        if not keep:
            with psycopg.connect(f"{_server(url)}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
