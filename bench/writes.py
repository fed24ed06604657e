"""Writes under load: a real server (gunicorn, 2 workers), the background indexer, searches
and admin saves at once, on loopback only. BENCH_WRITES_SECONDS (default 60) per mode,
BENCH_WRITES_ARTICLES (default 1000) synthetic articles, BENCH_WRITES_MODES (default
"worker,inline").

Reports, per SEARCH_INDEXER mode:
  reindex-200   the admin's "Re-index" action on 200 articles: the request, and until the
                journal is empty (every one of them committed to the index)
  searches      request latency of /api/search under the save load (p50 / p95 / max)
  saves         request latency of admin change-form saves (p50 / max)
  lock wait     the longest any web request waited for the index lock (from the servers'
                log lines "waited ... for the index lock"; web requests in worker mode
                never take it)
  searchable    from a save's response until a search finds its new word (p50 / max)
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-admin-password-1"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    seconds = float(os.environ.get("BENCH_WRITES_SECONDS", "60"))
    articles = int(os.environ.get("BENCH_WRITES_ARTICLES", "1000"))
    modes = os.environ.get("BENCH_WRITES_MODES", "worker,inline").split(",")
    print(f"{articles} synthetic articles, {seconds:.0f} s of load per mode, 2 search threads")
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
            run_mode(Path(tmp), mode.strip(), seconds, articles)


def _ms(values) -> str:
    return f"{1000 * values:.0f} ms"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _row(db_path: Path, pk: int) -> dict:
    with sqlite3.connect(db_path, timeout=30) as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM search_article WHERE id=?", [pk]).fetchone())
        row["cities"] = [
            r[0]
            for r in db.execute(
                "SELECT city_id FROM search_article_cities WHERE article_id=?", [pk]
            )
        ]
        row["organisations"] = [
            r[0]
            for r in db.execute(
                "SELECT organisation_id FROM search_article_organisations WHERE article_id=?", [pk]
            )
        ]
    return row


def run_mode(tmp: Path, mode: str, seconds: float, articles: int) -> None:
    from search import synthetic
    from tests.postgres.servers import free_port, get_json, gunicorn
    from tests.sites import AdminSession, change_form_data, make_site

    site = make_site(
        tmp / "var",
        serve=True,
        SEARCH_INDEXER=mode,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        GUNICORN_ACCESS_LOG="",
        LOG_LEVEL="INFO",
    )
    site.manage("generate_corpus", str(articles), "--seed", "1", "-v0")
    site.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        "bench",
        "--email",
        "b@example.org",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    with sqlite3.connect(site.db_path) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM search_article ORDER BY id")]
    indexer = site.popen("run_indexer", "-v0")
    port = free_port()
    try:
        with gunicorn(site.env, port) as server:
            admin = AdminSession(server, "bench", PASSWORD)
            # -- the 200-article re-index action
            while site.pending():
                time.sleep(0.05)
            cpu_before = _cpu_seconds(indexer.pid)
            start = time.perf_counter()
            status, _ = admin.post(
                "/admin/search/article/",
                {"action": "reindex_articles", "_selected_action": ids[:200]},
            )
            request = time.perf_counter() - start
            while site.pending():
                time.sleep(0.02)
            done = time.perf_counter() - start
            cpu = _cpu_seconds(indexer.pid) - cpu_before
            print(
                f"[{mode}] reindex-200: request {request:.2f} s (HTTP {status}), "
                f"all 200 committed to the index after {done:.2f} s "
                f"(indexer CPU {cpu:.2f} s; load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} cores)"
            )
            # -- load
            words = synthetic.vocabulary()[:400]
            stop = time.monotonic() + seconds
            search_times: list[float] = []
            errors: list[str] = []

            def searcher(seed: int) -> None:
                rng = random.Random(seed)
                while time.monotonic() < stop:
                    t = time.perf_counter()
                    try:
                        get_json(f"{server}/api/search", q=rng.choice(words))
                    except OSError as exc:
                        errors.append(f"search: {exc}")
                    search_times.append(time.perf_counter() - t)

            threads = [threading.Thread(target=searcher, args=(n,)) for n in range(2)]
            for t in threads:
                t.start()
            save_times, searchable_times = [], []
            rng = random.Random(7)
            k = 0
            while time.monotonic() < stop:
                k += 1
                pk = rng.choice(ids)
                token = f"benchtoken{mode}{k}x"
                row = _row(site.db_path, pk)
                data = change_form_data(row, body=row["body"] + " " + token)
                t = time.perf_counter()
                status, body = admin.post(f"/admin/search/article/{pk}/change/", data)
                saved = time.perf_counter()
                save_times.append(saved - t)
                if status != 302:
                    errors.append(f"save {pk}: HTTP {status}")
                    continue
                while get_json(f"{server}/api/search", q=token)["total"] < 1:
                    if time.perf_counter() - saved > 60:
                        errors.append(f"save {pk}: not searchable after 60 s")
                        break
                    time.sleep(0.02)
                else:
                    searchable_times.append(time.perf_counter() - saved)
            for t in threads:
                t.join()
    finally:
        indexer.terminate()
        indexer.wait(30)
    log = "".join(p.read_text() for p in site.var.glob("gunicorn-*.log"))
    waits = [float(w) for w in re.findall(r"waited ([0-9.]+) s for the index lock", log)]
    q = statistics.quantiles(search_times, n=20) if len(search_times) > 1 else [0] * 19
    print(
        f"[{mode}] searches: {len(search_times)}, p50 {_ms(statistics.median(search_times))}, "
        f"p95 {_ms(q[18])}, max {_ms(max(search_times))}"
    )
    print(
        f"[{mode}] saves: {len(save_times)}, p50 {_ms(statistics.median(save_times))}, "
        f"max {_ms(max(save_times))}"
    )
    print(
        f"[{mode}] lock wait in web requests: max {_ms(max(waits, default=0.0))} "
        f"({len(waits)} waits over 10 ms)"
    )
    if searchable_times:
        print(
            f"[{mode}] save -> searchable: p50 {_ms(statistics.median(searchable_times))}, "
            f"max {_ms(max(searchable_times))}"
        )
    if errors:
        print(f"[{mode}] errors: {len(errors)}; first: {errors[:3]}")
        tracebacks = log.split("Traceback (most recent call last):")[1:]
        if tracebacks:
            print(f"[{mode}] last server traceback:\nTraceback{tracebacks[-1][-3000:]}")
