"""kill -9 at random points of real import_articles, reextract and rebuild_index runs, then
the restart (`run_indexer --once`) and a comparison of every article's id and cities in the
database with the live index. BENCH_KILLS (default 10) kills per command.

Prints, per command, kills survived / kills tried (a run that finished before its kill is
not counted) and whether any child process outlived its killed parent.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.sites import kill_at_random, make_site, write_articles

    kills = int(os.environ.get("BENCH_KILLS", "10"))
    with tempfile.TemporaryDirectory(prefix="bench-kills-") as tmp:
        tmp = Path(tmp)
        site = make_site(tmp / "import")
        tally(
            "import_articles",
            [
                kill_at_random(
                    site,
                    [
                        "import_articles",
                        str(write_articles(tmp / f"in{n}", seed=100 + n, count=80)),
                    ],
                    random.Random(n),
                    3.0,
                    10.0,
                )
                for n in range(kills)
            ],
        )
        site = make_site(tmp / "corpus", SEARCH_INDEX_PROCS="2")
        site.manage("generate_corpus", "400", "--seed", "5", "-v0")
        outcomes = []
        for n in range(kills):
            with sqlite3.connect(site.db_path) as db:
                db.execute("DELETE FROM search_article_cities")
            site.manage("rebuild_index", "-v0")
            outcomes.append(
                kill_at_random(site, ["reextract", "--all", "-v0"], random.Random(n), 4.0, 30.0)
            )
        tally("reextract", outcomes)
        tally(
            "rebuild_index (2 processes)",
            [
                kill_at_random(site, ["rebuild_index", "-v0"], random.Random(n), 3.0, 10.0)
                for n in range(kills)
            ],
        )


def tally(command: str, outcomes) -> None:
    killed = [o for o in outcomes if o.killed]
    survived = [o for o in killed if o.consistent]
    orphans = sum(len(o.leftover_children) for o in killed)
    print(
        f"{command}: {len(survived)}/{len(killed)} kills survived "
        f"({len(outcomes) - len(killed)} runs finished before the kill; "
        f"{orphans} orphaned children)",
        flush=True,
    )
    for o in killed:
        if not o.consistent:
            print(f"  killed after {o.delay:.2f} s: {o.detail}")
