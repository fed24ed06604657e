"""Chinese relevance benchmark: judged Chinese and mixed queries, searched as typed, on every
engine, over an archive of Chinese (Simplified and Traditional) and Japanese articles with the
five English seed articles beside them.

The articles and judgments are in bench/data/zh_relevance/ (docs.json, queries.json: written
by reading the articles before any run; queries marked "heldout" were not looked at while
tuning). Loaded through the project's own ingest path into a scratch database and index, as
bench/relevance.py does for CISI. Printed per engine: nDCG@10 over the tuning queries and the
held-out ones, and every query that returned nothing.

    python -m bench relevance_zh
    RELEVANCE_ENGINES=whoosh,postgres  RELEVANCE_POSTGRES_URL=...   as bench/relevance.py
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import relevance

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "zh_relevance"
SEEDS = ROOT / "seeds"
TOP = 100


def _entries(name: str) -> dict:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def docs() -> dict[str, dict]:
    return _entries("docs.json")


def queries() -> dict[str, dict]:
    return _entries("queries.json")


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal if ideal else 0.0


def score(run: dict[str, list[str]], heldout: bool) -> tuple[float, int, list[str]]:
    """(mean nDCG@10, how many queries, the queries that returned nothing) of one split."""
    chosen = {q: v for q, v in queries().items() if bool(v.get("heldout")) == heldout}
    values = [ndcg_at_10(run.get(q, []), set(v["relevant"])) for q, v in chosen.items()]
    empty = [q for q in chosen if not run.get(q)]
    return sum(values) / max(1, len(values)), len(values), empty


# -- inside Django -------------------------------------------------------------------------


def load() -> dict[int, list[str]]:
    """Ingest the Chinese articles and the English seeds; article id -> collection ids."""
    from django.db import transaction

    from search.ingest import ingest

    held: dict[int, list[str]] = {}
    with transaction.atomic():
        for doc_id, doc in docs().items():
            text = f"{doc['title']}\n\n{doc['text']}"
            result = ingest(text.encode("utf-8"), fmt="text")
            held.setdefault(result.article.pk, []).append(doc_id)
        for path in sorted(SEEDS.glob("00*.txt")):
            result = ingest(path.read_bytes(), fmt="text")
            held.setdefault(result.article.pk, []).append(f"s{path.name[:3]}")
    return held


def run_queries(engine, held: dict[int, list[str]]) -> dict[str, list[str]]:
    texts = {q: v["text"] for q, v in queries().items()}
    return relevance.run_queries(engine, texts, held)


def child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from search.engines.base import get_backend

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    held = load()
    engine = get_backend()
    engine.rebuild()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    run = run_queries(engine, held)
    per_query = (time.perf_counter() - started) / max(1, len(run))
    print("RESULT " + json.dumps({"run": run, "load_s": loaded, "query_ms": per_query * 1000}))


def main() -> None:
    wanted = os.environ.get("RELEVANCE_ENGINES", "whoosh,postgres").split(",")
    server_url = relevance._postgres_url() if "postgres" in wanted else None
    print(f"{'engine':10} {'nDCG@10':>8} {'held-out':>9} {'empty':>6}  timing")
    for engine in wanted:
        if engine == "postgres" and server_url is None:
            print("postgres: skipped, no server answers (RELEVANCE_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory(prefix=f"relevance-zh-{engine}-") as tmp:
            result = relevance.run_engine(engine, Path(tmp), server_url, "bench.relevance_zh")
        seen, n_seen, empty_seen = score(result["run"], heldout=False)
        held, n_held, empty_held = score(result["run"], heldout=True)
        empty = empty_seen + empty_held
        print(
            f"{engine:10} {seen:8.4f} {held:9.4f} {len(empty):>3}/{n_seen + n_held:<3} "
            f"load {result['load_s']:.1f} s, {result['query_ms']:.0f} ms/query"
            + (f"  nothing for: {', '.join(empty)}" if empty else "")
        )
        if os.environ.get("RELEVANCE_ZH_SHOW"):
            for q, v in queries().items():
                if v.get("heldout"):
                    continue  # not looked at while tuning
                got = result["run"].get(q, [])[:10]
                print(f"  {q} {ndcg_at_10(got, set(v['relevant'])):.2f} {v['text']}: {got}")


if __name__ == "__main__":
    main()
