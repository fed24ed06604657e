"""Hostile inputs of issue #14, on each engine: status, time and what came back.

For each engine (HOSTILE_ENGINES, default "whoosh,postgres"; PostgreSQL only when a server
answers at TEST_POSTGRES_URL) a child process with production settings (DEBUG off) gets its
own scratch archive of HOSTILE_ARTICLES synthetic articles (default 10,000, the size the
issue measured at): SQLite and a Whoosh index in a temp dir, or the PostgreSQL database
<name>_hostile (dropped afterwards). The child sends each input through Django's request
handler and prints its status, time (to the last byte; for a streamed export also to the
first) and content type. Then, for PostgreSQL, a child whose database does not answer shows
what the API and the page say during an outage. The upload, login and link rows do not
depend on the engine and run once.

    .venv/bin/python -m bench hostile
    HOSTILE_ARTICLES=500 HOSTILE_ENGINES=whoosh .venv/bin/python -m bench hostile   # quick
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/smartcity"

PREFIXES_22 = " ".join(f"{c}*" for c in "abcdefghijklmnoprstuvw")
# The inputs of the issue that cost the engines (both of them), as (label, URL).
QUERIES = [
    ("/?city=%00", "/?city=%00"),
    ("/api/search?org=a%00b", "/api/search?org=a%00b"),
    ("/export/csv/?city=%00", "/export/csv/?city=%00"),
    ("/facets/city/?q=%01", "/facets/city/?q=%01"),
    ("/api/nothing (404)", "/api/nothing"),
    ("22 prefixes, API", f"/api/search?q={quote(PREFIXES_22)}"),
    ("22 prefixes, page", f"/?q={quote(PREFIXES_22)}"),
    ("22 prefixes, /export/json/", f"/export/json/?q={quote(PREFIXES_22)}"),
    ("'*' x 24, /export/csv/", f"/export/csv/?q={quote(' '.join(['*'] * 24))}"),
    ("a* b* c* d*, page", f"/?q={quote('a* b* c* d*')}"),
    ("s*, page", "/?q=s%2A"),
    ("33 dashes, API", f"/api/search?q={quote('-' * 33)}"),
    ("NOT x 120, API", f"/api/search?q={quote('NOT ' * 120 + 'city')}"),
    ("per_page=100, page", "/?q=smart&per_page=100"),
]
FORMULAS = ("=", "+", "-", "@", "\t", "\r")


def _pg_server() -> tuple[str, str] | None:
    import psycopg

    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG
    server_url = url.rsplit("/", 1)[0]
    try:
        psycopg.connect(f"{server_url}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        print(f"\npostgres: skipped, no server answers at {server_url} ({exc})")
        return None
    return server_url, url.rsplit("/", 1)[1].split("?")[0] + "_hostile"


def _pg_admin(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(sql)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    engines = (os.environ.get("HOSTILE_ENGINES") or "whoosh,postgres").split(",")
    articles = os.environ.get("HOSTILE_ARTICLES", "10000")
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartcity.settings",
        "DEBUG": "0",
        "SECRET_KEY": "hostile-bench-only",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "VAR_DIR": str(work),
        "STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "CRITICAL",
    }
    try:
        if "whoosh" in engines:
            env = {
                **base,
                "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
                "SEARCH_BACKEND": "whoosh",
                "SEARCH_INDEX_DIR": str(work / "index"),
            }
            _run(env, articles, "whoosh", "all")
        if "postgres" in engines and (pg := _pg_server()):
            server_url, name = pg
            _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_admin(server_url, f'CREATE DATABASE "{name}"')
            env = {**base, "DATABASE_URL": f"{server_url}/{name}", "SEARCH_BACKEND": "postgres"}
            try:
                _run(env, articles, "postgres", "queries")
            finally:
                _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # Nothing listens on this port: every connection is refused, as in an outage.
            down = {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_free_port()}/x"}
            print("\npostgres, database down")
            _child(down, "outage")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(env: dict, articles: str, label: str, part: str) -> None:
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*run, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # fmt: skip
    subprocess.run([*run, "generate_corpus", articles, "-v", "0"], cwd=ROOT, env=env, check=True)
    print(f"\n{label}, {int(articles):,} articles")
    _child(env, part)


def _child(env: dict, part: str) -> None:
    subprocess.run([sys.executable, "-m", "bench.hostile", "child", part], cwd=ROOT, env=env, check=True)  # fmt: skip


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, float, str]] = []

    def get(self, client, label: str, url: str) -> None:
        """One request, read to its last byte; a streamed answer's first byte is noted."""
        t = time.perf_counter()
        response = client.get(url)
        note = response["Content-Type"].split(";")[0]
        if response.streaming:
            chunks = iter(response.streaming_content)
            size = len(next(chunks, b""))
            first = time.perf_counter() - t
            size += sum(len(c) for c in chunks)
            note += f", streamed, first byte {first * 1000:.0f} ms, {size / 1024:.0f} kB"
        else:
            note += f", {len(response.content) / 1024:.0f} kB"
            if b"took longer than the" in response.content:
                note += ", stopped at the time limit"
            if b"limited to" in response.content or b"expanded" in response.content:
                note += ", budget note"
        self.add(label, response.status_code, time.perf_counter() - t, note)

    def add(self, label: str, status: int, seconds: float, note: str) -> None:
        self.rows.append((label, status, seconds, note))

    def print(self) -> None:
        print(f"  {'input':<42}{'status':>7}{'time':>10}  notes")
        for label, status, seconds, note in self.rows:
            print(f"  {label:<42}{status:>7}{seconds * 1000:>8.0f}ms  {note}")
        worst = max((r[2] for r in self.rows), default=0.0)
        fives = sum(1 for r in self.rows if r[1] >= 500 and "outage" not in r[0])
        print(f"  slowest {worst * 1000:.0f} ms; 5xx answers (outage rows aside): {fives}")


def child(part: str) -> None:
    import logging

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    logging.disable(logging.CRITICAL)  # each refused request would log a warning line
    from django.test import Client

    table = Table()
    # An error is an answer to report (its status), not an exception to stop at.
    client = Client(raise_request_exception=False)
    if part == "outage":
        for label, url in [("outage: /api/search?q=city", "/api/search?q=city"), ("outage: /?q=city", "/?q=city")]:  # fmt: skip
            table.get(client, label, url)
        table.print()
        return
    client.get("/?q=smart")  # warm: the index is open
    for label, url in QUERIES:
        table.get(client, label, url)
    _formula_cells(client, table)
    if part == "all":
        _upload_login_link(table)
    table.print()


def _formula_cells(client, table: Table) -> None:
    """Formula-looking values in every column a CSV export writes: none may start a cell."""
    from search.indexing import enqueue, index_pending
    from search.models import Article, City, Organisation

    article = Article.objects.order_by("id").first()
    Article.objects.filter(pk=article.pk).update(
        title="=1+1 title", source_name="+source", source_url='=HYPERLINK("http://x")'
    )
    city = City.objects.create(name="@SUM(A1)", slug="hostile-sum")
    org = Organisation.objects.create(name="-2+3 Corp", slug="hostile-corp")
    article.cities.add(city)
    article.organisations.add(org)
    enqueue([article.pk])
    index_pending()
    t = time.perf_counter()
    response = client.get(f"/export/csv/?city={quote(city.name)}")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    seconds = time.perf_counter() - t
    rows = list(csv.reader(io.StringIO(body)))[1:]
    cells = [cell for row in rows for cell in row]
    bad = [cell for cell in cells if cell.startswith(FORMULAS)]
    note = f"{len(rows)} row(s), {len(cells)} cells, formula-looking cells left: {len(bad)}"
    table.add("CSV with formulas in every column", response.status_code, seconds, note)


def _upload_login_link(table: Table) -> None:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from search.models import Article

    User.objects.create_superuser("admin", "a@example.org", "right-pass-word-1")
    admin = Client()
    admin.post("/admin/login/?next=/admin/", {"username": "admin", "password": "right-pass-word-1"})
    html = ("<html><body><p>A sentence.</p>" + "<div>" * 1_000_000).encode()
    before = rss_mb()
    t = time.perf_counter()
    response = admin.post(
        "/admin/search/article/add/",
        {"files": SimpleUploadedFile("deep.html", html), "_save": "Save"},
        follow=True,
    )
    seconds = time.perf_counter() - t
    del html
    after = rss_mb()
    refused = "Refused deep.html" in response.content.decode()
    note = f"refused={refused}; worker RSS {before:.0f} -> {after:.0f} MB"
    table.add("upload of 1,000,000 nested tags", response.status_code, seconds, note)
    admin.post("/admin/logout/")

    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = []
    t = time.perf_counter()
    for _ in range(100):
        r = attacker.post("/admin/login/", {"username": "admin", "password": "wrong"})
        statuses.append(r.status_code)
    seconds = time.perf_counter() - t
    right = attacker.post("/admin/login/", {"username": "admin", "password": "right-pass-word-1"})
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    note = f"wrong attempts answered {counts}; right password afterwards {right.status_code}"
    table.add("login brute force: 100 wrong, then right", right.status_code, seconds / 100, note)

    article = Article.objects.order_by("id").first()
    Article.objects.filter(pk=article.pk).update(source_url="javascript:alert(document.cookie)")
    t = time.perf_counter()
    response = Client().get(article.get_absolute_url())
    linked = 'href="javascript:' in response.content.decode()
    table.add("javascript: source URL", response.status_code, time.perf_counter() - t, f"rendered as a link: {linked}")  # fmt: skip


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    child(sys.argv[2])
