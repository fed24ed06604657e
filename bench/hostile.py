"""Hostile inputs of issue #14: each one's status and time, in a scratch database.

A child process with production settings (DEBUG off) and its own SQLite database and Whoosh
index in a temp dir (HOSTILE_ARTICLES synthetic articles, default 500) sends each input
through Django's request handler and prints status, time and, for the upload, the worker's
resident memory before and after.

    .venv/bin/python -m bench hostile
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartcity.settings",
        "DEBUG": "0",
        "SECRET_KEY": "hostile-bench-only",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "SEARCH_INDEX_DIR": str(work / "index"),
        "VAR_DIR": str(work),
        "STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "CRITICAL",
    }
    try:
        run = [sys.executable, "manage.py"]
        subprocess.run([*run, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*run, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # fmt: skip
        n = os.environ.get("HOSTILE_ARTICLES", "500")
        subprocess.run([*run, "generate_corpus", n, "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "-m", "bench.hostile", "child"], cwd=ROOT, env=env, check=True)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def child() -> None:
    import logging

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    logging.disable(logging.CRITICAL)  # each refused request would log a warning line
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from search.models import Article

    rows = []

    def timed(label, call):
        t = time.perf_counter()
        response = call()
        rows.append((label, response.status_code, time.perf_counter() - t, ""))
        return response

    client = Client()
    client.get("/?q=smart")  # warm: the index is open
    for label, url in [
        ("/?city=%00", "/?city=%00"),
        ("/api/search?org=a%00b", "/api/search?org=a%00b"),
        ("/export/csv/?city=%00", "/export/csv/?city=%00"),
        ("/facets/city/?q=%01", "/facets/city/?q=%01"),
        ("/api/nothing (404)", "/api/nothing"),
    ]:
        response = timed(label, lambda url=url: client.get(url))
        rows[-1] = (*rows[-1][:3], response["Content-Type"].split(";")[0])

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
    rows.append(("upload of 1,000,000 nested tags", response.status_code, seconds, note))
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
    rows.append(
        (
            "login brute force: 100 wrong, then right",
            right.status_code,
            seconds / 100,
            f"wrong attempts answered {counts}; right password afterwards {right.status_code}",
        )
    )

    article = Article.objects.order_by("id").first()
    Article.objects.filter(pk=article.pk).update(source_url="javascript:alert(document.cookie)")
    response = timed("javascript: source URL", lambda: client.get(article.get_absolute_url()))
    linked = 'href="javascript:' in response.content.decode()
    rows[-1] = (*rows[-1][:3], f"rendered as a link: {linked}")

    print(f"{'input':<44}{'status':>7}{'time':>10}  notes")
    for label, status, seconds, note in rows:
        print(f"{label:<44}{status:>7}{seconds * 1000:>8.0f}ms  {note}")


if __name__ == "__main__" and sys.argv[1:] == ["child"]:
    child()
