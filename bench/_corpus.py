"""The synthetic corpora the search and entity benches build, and how they run a phase.

A corpus of N articles (manage.py generate_corpus N --seed 1) lives in a folder of its own:
an SQLite database and a Whoosh index under it, never the configured archive. BENCH_DIR
keeps and reuses the folders (BENCH_DIR/<name>); without it they are temporary. Each phase
runs in a child process (so that its peak memory is its own) and prints one `RESULT {json}`
line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 1


@contextmanager
def workdir(name: str):
    """BENCH_DIR/<name> (kept), or a temporary folder removed afterwards."""
    keep = os.environ.get("BENCH_DIR")
    work = Path(keep) / name if keep else Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def sqlite_env(work: Path) -> dict:
    """The environment of a child reading the corpus in `work` through the Whoosh engine."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="smartcity.settings",
        DEBUG="1",
        VAR_DIR=str(work),
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        ENV_FILE="",
        SEARCH_INDEX_DIR=str(work / "index"),
        SEARCH_BACKEND="whoosh",
    )


def generate(size: int, env: dict) -> float | None:
    """Migrate and, unless the database has it already, add the corpus (seconds taken).

    For SQLite corpora the database file tells; other databases are always filled."""
    py = sys.executable
    database = env["DATABASE_URL"]
    fresh = not database.startswith("sqlite:///") or not Path(database[10:]).exists()
    run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    if not fresh:
        return None
    start = time.perf_counter()
    run([py, "manage.py", "generate_corpus", str(size), f"--seed={SEED}", "--no-index", "-v0"], env)  # fmt: skip
    return time.perf_counter() - start


def run(args: list[str], env: dict, show_stderr: bool = False) -> dict | None:
    """Run a child; its RESULT line as a dict (a failed child stops the bench)."""
    out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-3000:])
        raise SystemExit(f"bench step failed: {' '.join(args)}")
    if show_stderr:
        sys.stderr.write(out.stderr[-12000:])
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return None


def child_setup() -> None:
    """Django, in a child process started by run()."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def pct(times: list[float], p: float) -> float:
    """The p-th percentile of times in seconds, in milliseconds (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000
