"""Re-extraction rate: `manage.py reextract --all` on a generated corpus in a fresh SQLite
database and index (temp dir), articles/s including the index updates it schedules.

`python -m bench reextract`; BENCH_REEXTRACT_N sets the corpus size (default 10000).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(env: dict, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one manage.py command in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def main() -> None:
    n = int(os.environ.get("BENCH_REEXTRACT_N", "10000"))
    with tempfile.TemporaryDirectory(prefix="bench-reextract-") as tmp:
        env = {
            **os.environ,
            "DEBUG": "1",
            "VAR_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "SEARCH_INDEX_DIR": f"{tmp}/index",
            "SEARCH_BACKEND": "whoosh",
        }
        _manage(env, "migrate", "--verbosity", "0")
        _manage(env, "generate_corpus", str(n), "--seed", "1", "--no-index")
        # reextract leaves synthetic articles alone; these stand for real ones here.
        _manage(
            env,
            "shell",
            "-c",
            "from search.models import Article; Article.objects.update(is_synthetic=False)",
        )
        _manage(env, "rebuild_index")
        # The first run after generation finds the built-in gazetteer's facets; the second
        # is the usual case, a re-extraction that changes little.
        for run in ("first", "again"):
            wall, cpu = _manage(env, "reextract", "--all", "--verbosity", "0")
            print(
                f"reextract --all ({run}): {n:,} articles in {wall:.1f} s wall = "
                f"{n / wall:,.0f} articles/s; {cpu:.1f} s CPU = {n / cpu:,.0f} articles/CPU-s "
                "(wall time counts other processes on a shared machine)"
            )
