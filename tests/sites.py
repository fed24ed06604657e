"""A throw-away installation of the app (its own database and index) driven through real
manage.py subprocesses, for fault tests: kill -9 at random points, full disks, servers.

Shared by tests/test_faults.py and `python -m bench writes` / `python -m bench kills`.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Site:
    var: Path
    env: dict

    @property
    def index_dir(self) -> Path:
        return Path(self.env["SEARCH_INDEX_DIR"])

    @property
    def db_path(self) -> Path:
        return self.var / "db.sqlite3"

    def manage(self, *args: str, check: bool = True, timeout: float = 600, env=None):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def popen(self, *args: str, env=None, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **kwargs,
        )

    # -- what the database and the index hold --------------------------------------------

    def database_facets(self) -> dict[int, frozenset[str]]:
        """Article id -> its city names, read straight from the SQLite file."""
        with sqlite3.connect(self.db_path, timeout=30) as db:
            ids = [r[0] for r in db.execute("SELECT id FROM search_article")]
            out = {i: set() for i in ids}
            rows = db.execute(
                "SELECT ac.article_id, c.name FROM search_article_cities ac "
                "JOIN search_city c ON c.id = ac.city_id"
            )
            for article_id, name in rows:
                out[article_id].add(name)
        return {k: frozenset(v) for k, v in out.items()}

    def index_facets(self) -> dict[int, frozenset[str]]:
        """Article id -> city names, as the live index build holds them."""
        from whoosh import index

        from search.engines.whoosh.identity import BuildStore
        from search.engines.whoosh.state import SearchState

        live = BuildStore(self.index_dir).current_folder()
        assert live is not None, f"no live index in {self.index_dir}"
        with index.open_dir(str(live[1])).searcher() as searcher:
            state = SearchState(searcher, "check")
            out = {int(state.article_ids[d]): set() for d in state.live.nonzero()[0]}
            city = state.facets["city"]
            for doc, val in zip(city.doc_of.tolist(), city.val_of.tolist(), strict=True):
                out[int(state.article_ids[doc])].add(city.names[val])
        return {k: frozenset(v) for k, v in out.items()}

    def pending(self) -> int:
        with sqlite3.connect(self.db_path, timeout=30) as db:
            return db.execute("SELECT count(*) FROM search_indexjournal").fetchone()[0]


def make_site(var: Path, serve: bool = False, **extra: str) -> Site:
    """A migrated installation under `var` (SQLite + Whoosh, production settings); with
    `serve`, its static files collected for an app server."""
    var.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    keep.pop("DATABASE_URL", None)
    env = {
        **keep,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "SEARCH_BACKEND": "whoosh",
        "SEARCH_INDEX_DIR": str(var / "index"),
        "SEARCH_INDEXER": "worker",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "ERROR",
        **extra,
    }
    site = Site(var, env)
    site.manage("migrate", "--noinput", "-v0")
    if serve:
        site.manage("collectstatic", "--noinput", "-v0")
    return site


def write_articles(folder: Path, seed: int, count: int) -> Path:
    """Synthetic articles as .txt files, as an operator would import them."""
    from search import synthetic

    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"a{n:04d}.txt").write_text(synthetic.article(seed, n).text, encoding="utf-8")
    return folder


def marked_processes(marker: str) -> list[int]:
    """Pids of live processes whose environment carries FAULT_RUN=marker (incl. forks)."""
    found = []
    needle = f"FAULT_RUN={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


@dataclass
class KillOutcome:
    killed: bool  # False when the command finished before the kill
    delay: float
    consistent: bool
    leftover_children: list[int]
    detail: str = ""


def kill_at_random(
    site: Site, args: list[str], rng: random.Random, low: float, high: float, prepare=None
):
    """Start `manage.py ARGS`, SIGKILL it after a random delay, then replay and compare.

    A command that finishes before its kill proves nothing, so it is run again (after
    `prepare()`, which restores the state it changed) with the delay drawn below the time it
    took: the kill lands inside the run on a fast machine as on a loaded one."""
    marker = uuid.uuid4().hex
    for _attempt in range(4):
        if prepare is not None:
            prepare()
        started = time.monotonic()
        proc = site.popen(*args, env={"FAULT_RUN": marker})
        delay = rng.uniform(low, high)
        try:
            proc.wait(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            killed = True
            break
        took = time.monotonic() - started
        low, high = took * 0.3, took * 0.8
    # Children forked by the killed process (the rebuild's segment writers) must die with it.
    deadline = time.monotonic() + 10
    while (children := marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    # "After a restart": the indexer's start replays the journal and removes leftovers.
    site.manage("run_indexer", "--once", check=False)
    db, ix = site.database_facets(), site.index_facets()
    consistent = db == ix
    detail = ""
    if not consistent:
        missing = sorted(set(db) - set(ix))[:10]
        extra = sorted(set(ix) - set(db))[:10]
        differ = sorted(k for k in set(db) & set(ix) if db[k] != ix[k])[:10]
        detail = f"missing {missing} extra {extra} facets differ {differ}"
    return KillOutcome(killed, delay, consistent, children, detail)


# -- talking to a running server as an admin -------------------------------------------------


class AdminSession:
    """A logged-in admin over real HTTP (cookies and CSRF as a browser would send them)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        import http.cookiejar
        import urllib.request

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.get("/admin/login/")
        status, _ = self.post(
            "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
        )
        assert status == 302, f"login failed with {status}"

    def _csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str]:
        return self._open(path, None)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        import urllib.parse

        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}, doseq=True)
        return self._open(path, body.encode())

    def _open(self, path: str, data: bytes | None) -> tuple[int, str]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, data=data)
        request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


def _no_redirect_class():
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return NoRedirect


_NoRedirect = _no_redirect_class()


def change_form_data(article: dict, **overrides) -> dict:
    """The article change form as the admin page posts it."""
    data = {
        "title": article["title"],
        "body": article["body"],
        "published_date": article.get("published_date") or "",
        "year": article.get("year") or "",
        "source_name": article.get("source_name") or "",
        "source_url": article.get("source_url") or "",
        "cities": article.get("cities", []),
        "organisations": article.get("organisations", []),
        "seen_version": article["version"],
        "_save": "Save",
    }
    data.update(overrides)
    return data
