"""Load test: gunicorn with production settings on a loopback port, many clients at once.

For each engine (LOAD_ENGINES, default "whoosh,postgres"; PostgreSQL only when a server answers
at TEST_POSTGRES_URL) a bench database of LOAD_ARTICLES (default 10,000) synthetic articles is
made (SQLite + Whoosh index in a temp dir, or the scratch PostgreSQL database <name>_load;
never the user's archive), gunicorn is started from gunicorn.conf.py with DEBUG off on a free
127.0.0.1 port, and LOAD_CLIENTS (default 50) clients send a fixed URL mix for LOAD_SECONDS
(default 60): search pages, htmx fragments (facet clicks), "show more" facet values, the JSON
API and article pages, plus one CSV export every 3 s. Printed: requests/s, client p50/p95,
server p95 by kind (from gunicorn's access log) and errors, with the load average.

The machine is often shared, and then requests/s measures the neighbours as much as the app.
So the server's CPU time is measured too (gunicorn's master and workers, and for PostgreSQL
the database backends serving the bench database, from /proc): for the whole load phase, and
then per request kind, both for URLs of the mix asked again ("warm": what a popular search
costs) and for URLs asked for the first time ("cold": nothing searched or rendered before).
CPU-seconds per request turn into the requests/s the same server could answer on idle cores.

    LOAD_SECONDS=10 LOAD_ENGINES=whoosh .venv/bin/python -m bench load    # a quick look
    LOAD_DIR=/tmp/load   keep and reuse the SQLite database and Whoosh index there
    LOAD_KEEP_DB=1       keep (and reuse) the PostgreSQL bench database
    LOAD_CACHE=0         switch the search-answer cache off (SEARCH_CACHE_SECONDS=0)
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/smartcity"
EXPORT_EVERY = 3.0
# gunicorn's access log: path, query, status, microseconds, HX-Request header.
LOG_FORMAT = '%(U)s "%(q)s" %(s)s %(D)s "%({hx-request}i)s"'
LOG_LINE = re.compile(r'^(\S+) "(.*)" (\d{3}) (\d+) "(.*)"$')


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kind_of(path: str, query: str, hx: bool) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/export/"):
        return "export"
    if path.startswith("/facets/"):
        return "facet values"
    if path.startswith("/articles/"):
        return "article"
    if path == "/":
        return "fragment" if hx else "search page"
    return "other"


# -- the URL mix ----------------------------------------------------------------------------


def url_mix(article_urls: list[str]) -> list[tuple[str, bool | str]]:
    """(url, htmx) pairs: a fixed, seeded mix of what researchers do. `htmx` is False for a
    plain request, True for an htmx one, or, for a facet click, the page it is made on (htmx
    sends it as HX-Current-URL, with the form as HX-Trigger)."""
    sys.path.insert(0, str(ROOT))
    from search import synthetic

    rng = random.Random(14)
    v, c, o = synthetic.vocabulary(), synthetic.cities(), synthetic.organisations()
    h = len(synthetic.HEAD_WORDS)
    words = [v[i] for i in (0, 1, 3, 5, 8, 12, 20, 40, 60, 90)] + [v[h + i] for i in (5, 50, 400)]
    searches = [{}, {"q": "smart city"}, {"sort": "newest"}]
    searches += [{"q": w} for w in words]
    searches += [{"q": f"{a} {b}"} for a, b in zip(words, words[3:], strict=False)]
    searches += [{"q": rng.choice(words), "city": rng.choice(c[:40])} for _ in range(8)]
    searches += [{"q": rng.choice(words), "org": rng.choice(o[:60])} for _ in range(8)]
    searches += [
        {"city": rng.choice(c[:40]), "year": str(rng.randint(2012, 2022))} for _ in range(6)
    ]
    searches += [{"q": rng.choice(words), "year_from": 2014, "year_to": 2018} for _ in range(4)]
    searches += [{"q": rng.choice(words), "page": 2} for _ in range(4)]
    mix: list[tuple[str, bool]] = []
    for spec in searches:
        qs = urlencode(spec)
        suffix = f"?{qs}" if qs else ""
        mix.append((f"/{suffix}", False))  # the page
        mix.append((f"/api/search{suffix}", False))
        # A facet click: the same search with one more value, as htmx asks for it from the
        # page without it.
        if "city" not in spec:
            mix.append((f"/?{urlencode(dict(spec, city=rng.choice(c[:60])))}", f"/{suffix}"))
        else:
            unticked = urlencode({k: v for k, v in spec.items() if k != "city"})
            mix.append((f"/{suffix}", f"/?{unticked}" if unticked else "/"))
        mix.append((f"/?{urlencode(dict(spec, org=rng.choice(o[:80])))}", f"/{suffix}"))
    for spec in searches[:10]:
        qs = urlencode(spec)
        mix.append((f"/facets/org/{'?' + qs if qs else ''}", True))  # "show more"
    mix += [(url, False) for url in article_urls[:40]]
    rng.shuffle(mix)
    return mix


def fresh_urls(article_urls: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """For each kind, URLs the mix never asks for, with words of their own per kind (so one
    kind's searches do not warm another's): the cost of a request nothing was kept for."""
    from search import synthetic

    v, c, o = synthetic.vocabulary(), synthetic.cities(), synthetic.organisations()
    # The mix's words are among the first 100 and past the head words: these are not.
    words = iter(v[100 : len(synthetic.HEAD_WORDS)])
    fresh: dict[str, list[tuple[str, bool]]] = {
        "search page": [(f"/?{urlencode({'q': next(words)})}", False) for _ in range(30)],
        "fragment": [
            (f"/?{urlencode({'q': w, 'city': c[n % 60]})}", f"/?{urlencode({'q': w})}")
            for n, w in zip(range(30), words, strict=False)
        ],
        "api": [(f"/api/search?{urlencode({'q': next(words)})}", False) for _ in range(30)],
        "facet values": [
            (f"/facets/org/?{urlencode({'q': next(words), 'org': o[n]})}", True) for n in range(12)
        ],
        "article": [(url, False) for url in article_urls[40:70]],
    }
    return fresh


# -- server CPU time ------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (all its threads), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ValueError):
            continue
    return found


class ServerCpu:
    """CPU seconds used by the server: gunicorn's master and workers, plus (PostgreSQL) the
    database's backends connected to the bench database. A process that appears between two
    readings counts whole; one that ends between them is lost (workers are not recycled here
    and connections are persistent, so neither happens in a run)."""

    def __init__(self, master: int, database: str | None, server_url: str | None) -> None:
        self.master, self.database, self.server_url = master, database, server_url

    def pids(self) -> list[int]:
        pids = [self.master, *_children(self.master)]
        if self.database:
            import psycopg

            with psycopg.connect(f"{self.server_url}/postgres", autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchall()
            pids += [r[0] for r in rows]
        return pids

    def read(self) -> dict[int, float]:
        return {pid: cpu for pid in self.pids() if (cpu := _proc_cpu(pid)) is not None}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# -- clients --------------------------------------------------------------------------------


# An answer the engine stopped at the time limit (SEARCH_TIMEOUT_MS) says so in its notes: on
# a loaded machine some are, and they are counted apart (they cost little and find nothing).
STOPPED = "stopped"
STOPPED_TEXT = b"took longer than the"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.stopped: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []

    def add(self, kind: str, seconds: float, status: int | None, note: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if note == STOPPED:
                self.stopped[kind] += 1
            if status is None or status >= 400:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind}: {status} {note}"[:200])


def hx_headers(port: int, hx: bool | str) -> dict[str, str]:
    """What htmx sends: HX-Request, and for a facet click the page it is made on and the form
    that sent it (the server leaves out the facet group the page already has)."""
    if not hx:
        return {}
    headers = {"HX-Request": "true"}
    if isinstance(hx, str):
        headers["HX-Current-URL"] = f"http://127.0.0.1:{port}{hx}"
        headers["HX-Trigger"] = "search-form"
    return headers


def fetch(conn_box: list, port: int, url: str, hx: bool | str) -> tuple[int | None, str]:
    headers = {"Accept-Encoding": "gzip", "Host": "127.0.0.1", **hx_headers(port, hx)}
    for attempt in (1, 2):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn_box[0].request("GET", url, headers=headers)
            response = conn_box[0].getresponse()
            body = response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn_box[0].close()
                conn_box[0] = None
            if response.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, STOPPED if STOPPED_TEXT in body else ""
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            conn_box[0].close()
            conn_box[0] = None
            # A kept-alive connection the server closed between requests: one retry.
            if attempt == 2 or isinstance(exc, TimeoutError):
                return None, repr(exc)
    return None, "unreachable"


def client(port: int, mix, start: int, stop_at: float, tally: Tally) -> None:
    conn_box = [None]
    i = start
    while time.perf_counter() < stop_at:
        url, hx = mix[i % len(mix)]
        i += 1
        t = time.perf_counter()
        status, note = fetch(conn_box, port, url, hx)
        path, _, query = url.partition("?")
        tally.add(kind_of(path, query, hx), time.perf_counter() - t, status, note or url)


def exporter(port: int, stop_at: float, tally: Tally, words: list[str]) -> None:
    conn_box = [None]
    n = 0
    while time.perf_counter() < stop_at:
        t = time.perf_counter()
        url = f"/export/csv/?{urlencode({'q': words[n % len(words)]})}"
        n += 1
        status, note = fetch(conn_box, port, url, False)
        tally.add("export", time.perf_counter() - t, status, note or url)
        time.sleep(max(0.0, EXPORT_EVERY - (time.perf_counter() - t)))


# -- the server -----------------------------------------------------------------------------


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def production_env(base: dict, work: Path) -> dict:
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "smartcity.settings",
        "DEBUG": "0",
        "SECRET_KEY": "load-bench-only-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no redirect to https.
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "ERROR",
    }


def serve_and_load(env: dict, work: Path, label: str, database: str | None = None) -> None:
    port = free_port()
    log = work / f"access-{port}.log"
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",
    }
    if _env("LOAD_CACHE", "1") == "0":
        server_env["SEARCH_CACHE_SECONDS"] = "0"
    # Renderings kept by an earlier run on the same index would make "cold" URLs warm.
    shutil.rmtree(Path(env["VAR_DIR"]) / "cache", ignore_errors=True)
    args = [
        sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
        "--access-logfile", str(log), "--access-logformat", LOG_FORMAT,
    ]  # fmt: skip
    server = subprocess.Popen(args, cwd=ROOT, env=server_env, stderr=subprocess.PIPE, text=True)
    server_url = env["DATABASE_URL"].rsplit("/", 1)[0] if database else None
    cpu = ServerCpu(server.pid, database, server_url)
    try:
        _wait_for(port, server)
        articles = _article_urls(port)
        mix = url_mix(articles)
        for url, hx in mix:  # warm-up: each URL once (opens indexes, fills caches)
            fetch([None], port, url, hx)
        log.write_text("")
        seconds = float(_env("LOAD_SECONDS", "60"))
        clients = int(_env("LOAD_CLIENTS", "50"))
        tally = Tally()
        load_before = os.getloadavg()
        cpu_before = cpu.read()
        started = time.perf_counter()
        stop_at = started + seconds
        threads = [
            threading.Thread(target=client, args=(port, mix, n * 7, stop_at, tally))
            for n in range(clients)
        ]
        from search import synthetic

        words = list(synthetic.vocabulary()[:30])
        threads.append(threading.Thread(target=exporter, args=(port, stop_at, tally, words)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        load_cpu = ServerCpu.spent(cpu_before, cpu.read())
        load_after = os.getloadavg()
        per_kind = cpu_per_kind(port, mix, fresh_urls(articles), cpu, words)
        weights = page_weights(port, mix)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    _report(label, tally, elapsed, clients, len(mix), log, load_before, load_after, per_kind)
    print(
        f"  page weight before compression (#14: search page <= 60 kB, facet click <= 40 kB): {weights}"
    )
    total = sum(len(t) for t in tally.times.values())
    cores = os.cpu_count() or 1
    print(
        f"  server CPU in the load phase: {load_cpu:.1f} s for {total} requests = "
        f"{load_cpu / total * 1000:.1f} ms/request"
        + (" (app and database)" if database else "")
        + f", i.e. about {total / load_cpu * cores:.0f} requests/s of this mix on {cores} idle "
        "cores"
    )


# Requests per kind in the CPU phase: enough for a steady figure, few enough for a loaded
# machine (exports are few: each streams a thousand rows and more).
CPU_SAMPLE = {"export": 3}
CPU_REQUESTS = 120
CPU_CLIENTS = 4


def cpu_per_kind(port, mix, fresh, cpu: ServerCpu, words) -> dict[str, tuple[float, float]]:
    """Server CPU ms per request of each kind: (warm, cold). Warm: the mix's URLs of that kind
    asked again; cold: URLs nothing was kept for, each asked once."""
    by_kind: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for url, hx in mix:
        path, _, query = url.partition("?")
        by_kind[kind_of(path, query, hx)].append((url, hx))
    by_kind["export"] = [
        (f"/export/csv/?{urlencode({'q': w})}", False) for w in words[: CPU_SAMPLE["export"]]
    ]
    fresh = {
        **fresh,
        "export": [(f"/export/csv/?{urlencode({'q': w})}", False) for w in words[-3:]],
    }
    out = {}
    for kind, urls in sorted(by_kind.items()):
        n = CPU_SAMPLE.get(kind, CPU_REQUESTS)
        warm = _cpu_of(port, [urls[i % len(urls)] for i in range(n)], cpu)
        cold = _cpu_of(port, fresh.get(kind, []), cpu)
        out[kind] = (warm, cold)
    return out


def page_weights(port: int, mix) -> str:
    """The largest uncompressed answer of each HTML kind in the mix, and a 100-result page.
    "fragment, whole" is a facet click's answer when the page it lands on is not named (as
    from a client other than htmx): every facet group drawn."""
    largest: dict[str, int] = defaultdict(int)
    urls = [*mix, ("/?q=smart+city&per_page=100", False)]
    urls += [(url, True) for url, hx in mix if isinstance(hx, str)]
    for url, hx in urls:
        path, _, query = url.partition("?")
        kind = "per_page=100" if "per_page=100" in query else kind_of(path, query, hx)
        if kind not in ("search page", "fragment", "facet values", "per_page=100"):
            continue
        if kind == "fragment" and hx is True:
            kind = "fragment, whole"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", url, headers={"Host": "127.0.0.1", **hx_headers(port, hx)})
        largest[kind] = max(largest[kind], len(conn.getresponse().read()))
        conn.close()
    return ", ".join(f"{kind} {size / 1000:.0f} kB" for kind, size in sorted(largest.items()))


def _cpu_of(port: int, urls: list[tuple[str, bool]], cpu: ServerCpu) -> float:
    """Server CPU milliseconds per request for these URLs, sent by a few clients at once."""
    if not urls:
        return float("nan")
    todo = list(urls)
    lock = threading.Lock()

    def work() -> None:
        box = [None]
        while True:
            with lock:
                if not todo:
                    return
                url, hx = todo.pop()
            fetch(box, port, url, hx)

    before = cpu.read()
    threads = [threading.Thread(target=work) for _ in range(CPU_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ServerCpu.spent(before, cpu.read()) / len(urls) * 1000


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: {server.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 60 s")


def _article_urls(port: int) -> list[str]:
    # A worker's first search opens the index; on a loaded machine it can pass the time
    # limit and come back empty (not kept), so ask again.
    for _ in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/search?per_page=100&sort=newest", headers={"Host": "127.0.0.1"})
        data = json.loads(conn.getresponse().read())
        conn.close()
        if data["results"]:
            break
    return [r["url"] for r in data["results"]]


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _report(label, tally, elapsed, clients, distinct, log: Path, before, after, cpu) -> None:
    every = [t for ts in tally.times.values() for t in ts]
    total = len(every)
    errors = sum(tally.errors.values())
    print(f"\n{label}: {clients} clients, {elapsed:.0f} s, {distinct} distinct URLs")
    print(f"  load average before/after: {before[0]:.1f} / {after[0]:.1f} (1 min)")
    print(
        f"  requests/s {total / elapsed:.1f}   requests {total}   errors {errors}   "
        f"client p50 {statistics.median(every) * 1000:.0f} ms  p95 {_pct(every, 95) * 1000:.0f} ms"
    )
    server: dict[str, list[float]] = defaultdict(list)
    statuses: dict[int, int] = defaultdict(int)
    for line in log.read_text().splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        path, query, status, micros, hx = m.groups()
        statuses[int(status)] += 1
        server[kind_of(path, query, hx == "true")].append(int(micros) / 1e6)
    cores = os.cpu_count() or 1
    print(
        f"  {'kind':<14}{'requests':>9}{'client p95':>12}{'server p50':>12}{'server p95':>12}"
        f"{'errors':>8}{'stopped':>8}   CPU ms/request warm, cold -> requests/s on {cores} idle cores"
    )
    for kind in sorted(tally.times):
        c = tally.times[kind]
        s = server.get(kind, [])
        warm, cold = cpu.get(kind, (float("nan"), float("nan")))
        print(
            f"  {kind:<14}{len(c):>9}{_pct(c, 95) * 1000:>10.0f}ms"
            f"{(statistics.median(s) if s else 0) * 1000:>10.0f}ms{_pct(s, 95) * 1000:>10.0f}ms"
            f"{tally.errors.get(kind, 0):>8}{tally.stopped.get(kind, 0):>8}   {warm:6.1f}, {cold:6.1f} -> "
            f"{_rate(warm, cores)}, {_rate(cold, cores)}"
        )
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    for sample in tally.error_samples:
        print(f"  error: {sample}")


def _rate(ms: float, cores: int) -> str:
    return "-" if not ms or ms != ms else f"{cores * 1000 / ms:.0f}"


# -- engines --------------------------------------------------------------------------------


def run_whoosh(articles: int) -> None:
    keep = os.environ.get("LOAD_DIR")
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="load-whoosh-"))
    work.mkdir(parents=True, exist_ok=True)
    env = production_env(
        {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "SEARCH_BACKEND": "whoosh",
            "SEARCH_INDEX_DIR": str(work / "index"),
            "VAR_DIR": str(work),
        },
        work,
    )
    try:
        _prepare(env, articles)
        serve_and_load(env, work, f"whoosh, {articles:,} articles")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def run_postgres(articles: int) -> None:
    import psycopg

    url = _env("TEST_POSTGRES_URL", DEFAULT_PG)
    server_url = url.rsplit("/", 1)[0]
    name = url.rsplit("/", 1)[1].split("?")[0] + "_load"
    try:
        admin = psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"\npostgres: skipped, no server answers at {server_url} ({exc})")
        return
    keep = os.environ.get("LOAD_KEEP_DB") == "1"
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (keep and exists):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="load-pg-"))
    env = production_env(
        {
            **os.environ,
            "DATABASE_URL": f"{server_url}/{name}",
            "DB_PERSISTENT": "1",
            "SEARCH_BACKEND": "postgres",
            "VAR_DIR": str(work),
        },
        work,
    )
    try:
        _prepare(env, articles)
        serve_and_load(env, work, f"postgres, {articles:,} articles", database=name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(env: dict, articles: int) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    # Adds only what a kept database lacks; the index is built once (Whoosh) or its
    # vocabulary refreshed (PostgreSQL, seconds).
    manage(env, "generate_corpus", str(articles), "--seed", "1", "--no-index", "-v", "0")
    if env["SEARCH_BACKEND"] == "whoosh":
        manage(env, "rebuild_index", "--if-missing", "-v", "0")
    else:
        manage(env, "rebuild_index", "-v", "0")


def main() -> None:
    articles = int(_env("LOAD_ARTICLES", "10000"))
    engines = _env("LOAD_ENGINES", "whoosh,postgres").split(",")
    print(f"load: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if "whoosh" in engines:
        run_whoosh(articles)
    if "postgres" in engines:
        run_postgres(articles)
