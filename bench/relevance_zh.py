"""Chinese relevance benchmark: judged Chinese and mixed queries, searched as typed, on every
engine, over an archive of Chinese (Simplified and Traditional) and Japanese articles, the
Chinese labelled pages of tests/fixtures/zh/ and the five English seed articles.

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
import re
import sys
import tempfile
import time
from pathlib import Path

from bench import relevance

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "zh_relevance"
SEEDS = ROOT / "seeds"
PAGES = ROOT / "tests" / "fixtures" / "zh"  # the Chinese labelled pages (HTML and text dumps)
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


def load(pages: bool = True) -> dict[int, list[str]]:
    """Ingest the Chinese articles (and the labelled pages, unless pages=False) and the
    English seeds; article id -> collection ids."""
    from django.db import transaction

    from search.ingest import IngestError, ingest

    held: dict[int, list[str]] = {}
    with transaction.atomic():
        for doc_id, doc in docs().items():
            text = f"{doc['title']}\n\n{doc['text']}"
            result = ingest(text.encode("utf-8"), fmt="text")
            held.setdefault(result.article.pk, []).append(doc_id)
        for path in sorted(PAGES.glob("[0-9][0-9]_*")) if pages else []:
            try:
                result = ingest(path.read_bytes())
            except IngestError:  # a page that is not an article
                continue
            held.setdefault(result.article.pk, []).append(f"p{path.name[:2]}")
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


def _texts() -> dict[str, str]:
    """Collection id -> the article's text as the archive stores it (pages cleaned)."""
    from search.pipeline.cleaning import clean

    out = {k: f"{d['title']}\n{d['text']}" for k, d in docs().items()}
    for path in sorted(PAGES.glob("[0-9][0-9]_*")):
        cleaned = clean(path.read_bytes())
        out[f"p{path.name[:2]}"] = f"{cleaned.title}\n{cleaned.body}"
    for path in sorted(SEEDS.glob("00*.txt")):
        cleaned = clean(path.read_bytes(), "text")
        out[f"s{path.name[:3]}"] = f"{cleaned.title}\n{cleaned.body}"
    return out


def bigram_tokens(text: str) -> list[str]:
    """The usual CJK baseline: overlapping character bigrams (a lone character as itself),
    Traditional folded to Simplified; other words lower-cased."""
    from search.engines import analysis

    out: list[str] = []
    for m in re.finditer(rf"({analysis.CJK_CHAR}+)|(\w+)", analysis.fold(text)):
        run = m.group(1)
        if run:
            out += [run[i : i + 2] for i in range(max(1, len(run) - 1))]
        else:
            out.append(m.group(2).lower())
    return out


def baseline() -> dict[str, list[str]]:
    """Plain BM25 (bm25s) over character bigrams: any bigram may match."""
    import bm25s

    texts = _texts()
    ids = list(texts)
    retriever = bm25s.BM25()
    retriever.index([bigram_tokens(t) for t in texts.values()], show_progress=False)
    run = {}
    for qid, v in queries().items():
        tokens = [t for t in bigram_tokens(v["text"]) if t in retriever.vocab_dict]
        if not tokens:
            run[qid] = []
            continue
        results, scores = retriever.retrieve([tokens], k=min(TOP, len(ids)), show_progress=False)
        run[qid] = [ids[i] for i, s in zip(results[0], scores[0], strict=True) if s > 0]
    return run


def _row(name: str, run: dict[str, list[str]], timing: str = "") -> None:
    seen, n_seen, empty_seen = score(run, heldout=False)
    held, n_held, empty_held = score(run, heldout=True)
    empty = empty_seen + empty_held
    print(
        f"{name:24} {seen:8.4f} {held:9.4f} {len(empty):>3}/{n_seen + n_held:<3} {timing}"
        + (f"  nothing for: {', '.join(empty)}" if empty else "")
    )


def main() -> None:
    wanted = os.environ.get("RELEVANCE_ENGINES", "whoosh,postgres").split(",")
    server_url = relevance._postgres_url() if "postgres" in wanted else None
    print(f"{'system':24} {'nDCG@10':>8} {'held-out':>9} {'empty':>6}  timing")
    _row("BM25 on bigrams (bm25s)", baseline())
    for engine in wanted:
        if engine == "postgres" and server_url is None:
            print("postgres: skipped, no server answers (RELEVANCE_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory(prefix=f"relevance-zh-{engine}-") as tmp:
            result = relevance.run_engine(engine, Path(tmp), server_url, "bench.relevance_zh")
        timing = f"load {result['load_s']:.1f} s, {result['query_ms']:.0f} ms/query"
        _row(engine, result["run"], timing)
        if os.environ.get("RELEVANCE_ZH_SHOW"):
            for q, v in queries().items():
                if v.get("heldout"):
                    continue  # not looked at while tuning
                got = result["run"].get(q, [])[:10]
                print(f"  {q} {ndcg_at_10(got, set(v['relevant'])):.2f} {v['text']}: {got}")


if __name__ == "__main__":
    main()
