"""Search engine benchmark: index rate and size, query latency and peak memory, beside
tantivy (Rust) built from the same corpus in the same run.

For each corpus size in BENCH_SIZES (default "10000,100000"; e.g. BENCH_SIZES=2000 while
developing) a fresh database and index are made (bench/_corpus.py; BENCH_DIR keeps and
reuses them), and each phase runs in its own process so that its peak memory is its own:

  generate   manage.py generate_corpus N --seed 1 --no-index (bulk insert)
  index      the engine's rebuild (both cores): articles/s, CPU s, bytes per article
  contract   the query set (queries()) through the search contract: top 10 with highlights
             and disjunctive counts for year, city and organisation; wall and CPU per query
  tantivy    the same corpus indexed by tantivy (BM25 over title and body, 2 threads) and
             the same query set through its own query parser: top 10 with snippets, counts
             by its terms aggregations. The ratio of the two is the figure to follow: on a
             machine shared with other work, absolute times move with the load.
  groupedby  (BENCH_GROUPEDBY=1) the queries the idiomatic Whoosh way, as a baseline

Each query runs once (cold for its query; the per-searcher arrays are built before timing
and reported as "open"). BENCH_PROFILE=1 prints a cProfile of the contract phase.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import _corpus

SEED = _corpus.SEED
# Words people put around what they ask about (the analyzer drops most as stop words).
_QUESTION_STARTS = ["what are", "how do", "which", "why is", "is there", "where can i find"]
_FILLERS = ["the", "of", "and", "in", "for", "to", "with", "about", "on", "their", "new"]


def queries() -> list[dict]:
    """The 50 mixed queries, then what people type besides (typed_queries)."""
    from search import synthetic

    v = synthetic.vocabulary()
    c = synthetic.cities()
    o = synthetic.organisations()
    h = len(synthetic.HEAD_WORDS)
    words = [v[0], v[3], v[12], v[40], v[90], v[h + 50], v[h + 400], v[h + 2000], v[h + 9000]]
    qs = [{"q": w} for w in words]
    qs += [{"q": "smart city"}, {"q": f"{v[1]} {v[30]}"}, {"q": f"{v[5]} {v[h + 100]}"}]
    qs += [{"q": f"{v[60]} {v[h + 1500]}"}, {"q": f"{v[8]} {v[9]} {v[10]}"}]
    qs += [{"q": f"{v[20]} {v[70]} {v[h + 300]}"}, {"q": f"{v[2]} {v[h + 20]} {v[h + 4000]}"}]
    qs += [{"q": f"{v[15]} OR {v[16]}"}, {"q": f"{v[h + 10]} OR {v[h + 11]} OR {v[h + 12]}"}]
    qs += [{"q": f"({v[4]} OR {v[44]}) {v[h + 60]}"}]
    qs += [{"q": f'"{v[0]} {v[1]}"'}, {"q": f'"{v[6]} {v[7]}"'}, {"q": f'"{v[50]} {v[51]}"'}]
    qs += [{"q": f"{v[3]} -{v[4]}"}, {"q": f"{v[25]} -{v[h + 5]}"}, {"q": f"{v[70]} -{v[2]}"}]
    qs += [{"q": "sma*"}, {"q": "tra*"}, {"q": f"{v[h + 30][:3]}*"}]
    qs += [{"q": "trafic~"}, {"q": "sensr~"}, {"q": "goverment~"}]
    qs += [{"q": f"city:{c[0]}"}, {"q": f'org:"{o[0]}"'}, {"q": "year:2018 energy"}]
    qs += [{"q": f"title:{v[14]}"}]
    qs += [{"q": "data", "city": [c[0], c[1]]}, {"q": "energy", "org": [o[2]]}]
    qs += [{"q": v[18], "year": ["2015", "2016"]}, {"q": "", "city": [c[3]]}]
    qs += [{"q": "smart", "city": [c[2]], "org": [o[1], o[3]], "year": ["2019"]}]
    qs += [{"q": v[11], "year_from": 2012, "year_to": 2014}, {"q": "", "org": [o[4]]}]
    qs += [{"q": "transport", "sort": "newest"}, {"q": "", "sort": "newest"}]
    qs += [{"q": v[h + 200], "sort": "oldest"}, {"q": f"{v[0]} {v[13]}", "city": [c[7]]}]
    qs += [{"q": "smrt citty"}, {"q": '"unclosed phrase'}, {"q": "AND OR"}]
    qs += [{"q": f"{v[h + 25000]} {v[h + 25001]}"}]
    assert len(qs) == 50, len(qs)
    return qs + typed_queries()


def typed_queries() -> list[dict]:
    """What people type besides: questions of 10-20 words (as in the relevance collection),
    phrases of common words, prefixes and misspellings, and browsing by facets alone.
    Deterministic: drawn with a fixed seed from the corpus's own words and names."""
    import random

    from search import synthetic

    v = synthetic.vocabulary()
    c = synthetic.cities()
    o = synthetic.organisations()
    h = len(synthetic.HEAD_WORDS)
    rng = random.Random(SEED)
    qs = []
    for _ in range(12):
        # Mostly the corpus's common words, some of its rarer ones, as questions mix them.
        content = [v[rng.randrange(h)] for _ in range(rng.randint(4, 7))]
        content += [v[h + rng.randrange(5000)] for _ in range(rng.randint(1, 3))]
        rng.shuffle(content)
        words = rng.choice(_QUESTION_STARTS).split()
        for word in content:
            words += [word] + ([rng.choice(_FILLERS)] if rng.random() < 0.6 else [])
        if rng.random() < 0.5:
            words += ["in", rng.choice(c[:40])]
        qs.append({"q": " ".join(words[:20]) + "?", "kind": "question"})
    qs += [{"q": f'"{a} {b}"', "kind": "phrase"} for a, b in [(v[0], v[1]), (v[1], v[0])]]
    qs += [{"q": f'"{v[6]} {v[7]}"', "kind": "phrase"}, {"q": f'"{v[3]} {v[6]}"', "kind": "phrase"}]
    qs += [{"q": f'"{v[1]} {v[0]} {v[11]}"', "kind": "phrase"}]
    qs += [{"q": f'"{v[2]} {v[4]}" {v[14]}', "kind": "phrase"}]
    qs += [{"q": q, "kind": "prefix"} for q in ("gov*", "dat*", "inform*", f"{v[h + 7][:4]}*")]
    qs += [{"q": q, "kind": "fuzzy"} for q in ("platfrom~", "infrastructre~", "energi~")]
    qs += [{"q": "", "kind": "browse"}, {"q": "", "year": ["2020"], "kind": "browse"}]
    qs += [{"q": "", "city": [c[1]], "org": [o[0]], "kind": "browse"}]
    qs += [{"q": "", "year_from": 2016, "year_to": 2019, "sort": "oldest", "kind": "browse"}]
    return qs


def to_query(spec: dict):
    from search.engines.base import SearchQuery

    filters = {
        facet: tuple(spec[param])
        for param, facet in (("year", "year"), ("city", "city"), ("org", "organisation"))
        if spec.get(param)
    }
    return SearchQuery(
        q=spec.get("q", ""),
        filters=filters,
        year_from=spec.get("year_from"),
        year_to=spec.get("year_to"),
        sort=spec.get("sort", "relevance"),
    )


# -- child phases (run in their own processes) --------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_index() -> dict:
    from search.engines.base import get_backend

    start = time.perf_counter()
    count = get_backend().rebuild()
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": seconds, "peak_mb": _peak_mb()}


def phase_contract() -> dict:
    from search.engines.base import get_backend

    backend = get_backend()
    start = time.perf_counter()
    backend.state()
    opened = time.perf_counter() - start
    times = []
    specs = queries()
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    for spec in specs:
        t = time.perf_counter()
        page = backend.search(to_query(spec))
        assert len(page.hits) <= 10 and set(page.facets) == {"year", "city", "organisation"}
        times.append(time.perf_counter() - t)
    if profile:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    return {"open": opened, "times": times, "peak_mb": _peak_mb()}


def phase_groupedby() -> dict:
    """The idiomatic way: one Whoosh search with groupedby FieldFacets, highlights for 10."""
    from whoosh import query as wq
    from whoosh import sorting

    from search.engines import query as qt
    from search.engines.base import get_backend
    from search.engines.whoosh.backend import ANALYZER
    from search.engines.whoosh.query import compile_tree
    from search.engines.whoosh.state import SCORED_FIELDS

    backend = get_backend()
    budget = float(os.environ.get("BENCH_BASELINE_SECONDS", "300"))
    ix = backend._index()
    start = time.perf_counter()
    searcher = ix.searcher()
    opened = time.perf_counter() - start
    facets = {
        "year": sorting.FieldFacet("year"),
        "city": sorting.FieldFacet("city", allow_overlap=True),
        "organisation": sorting.FieldFacet("organisation", allow_overlap=True),
    }
    times = []
    for spec in queries():
        sq = to_query(spec)
        if time.perf_counter() - start > budget:
            break  # the baseline's time budget is spent: report the queries measured
        t = time.perf_counter()
        q = compile_tree(qt.parse(sq.q).tree, ANALYZER)
        parts = []
        for facet, values in sq.filters.items():
            field = facet
            terms = [wq.Term(field, int(v) if facet == "year" else v) for v in values]
            parts.append(wq.Or(terms))
        if sq.year_from or sq.year_to:
            parts.append(wq.NumericRange("year", sq.year_from, sq.year_to))
        sortedby = None
        if sq.sort != "relevance":
            sortedby = sorting.FieldFacet("date", reverse=sq.sort == "newest")
        results = searcher.search(
            q,
            limit=10,
            filter=wq.And(parts) if parts else None,
            groupedby=facets,
            maptype=sorting.Count,
            sortedby=sortedby,
        )
        counts = {name: results.groups(name) for name in facets}
        ranked = [(int(hit["id"]), hit.score or 0.0) for hit in results]
        terms = {t for f, t in q.iter_all_terms() if f in SCORED_FIELDS}
        backend._hits(ranked, {x.decode() if isinstance(x, bytes) else x for x in terms})
        assert len(counts) == 3
        times.append(time.perf_counter() - t)
    return {"open": opened, "times": times, "peak_mb": _peak_mb()}


PHASES = {"index": phase_index, "contract": phase_contract, "groupedby": phase_groupedby}


def child(phase: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print("RESULT " + json.dumps(PHASES[phase]()), flush=True)


# -- the parent -----------------------------------------------------------------------------


def _run(args: list[str], env: dict) -> dict | None:
    out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-3000:])
        raise SystemExit(f"bench step failed: {' '.join(args)}")
    if os.environ.get("BENCH_PROFILE"):
        sys.stderr.write(out.stderr[-12000:])
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return None


def _dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_048_576


def _pct(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run_size(size: int) -> None:
    keep = os.environ.get("BENCH_DIR")
    work = Path(keep) / str(size) if keep else Path(tempfile.mkdtemp(prefix=f"bench-{size}-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="smartcity.settings",
        DEBUG="1",
        VAR_DIR=str(work),
        # The benchmark's own database and index, whatever DATABASE_URL the archive uses.
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        ENV_FILE="",
        SEARCH_INDEX_DIR=str(work / "index"),
        SEARCH_BACKEND="whoosh",
    )
    py = sys.executable
    try:
        fresh = not (work / "db.sqlite3").exists()
        _run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
        if fresh:
            start = time.perf_counter()
            _run([py, "manage.py", "generate_corpus", str(size), f"--seed={SEED}", "--no-index", "-v0"], env)  # fmt: skip
            print(f"{size:>7} articles: generated and bulk-inserted in {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        if fresh or not (work / "index").exists() or os.environ.get("BENCH_REINDEX"):
            r = _run([py, "-m", "bench.search", "index"], env)
            print(
                f"{size:>7} articles: indexed at {r['count'] / r['seconds']:.0f} articles/s "
                f"({r['seconds']:.0f} s), index {_dir_mb(work / 'index'):.0f} MB",
                flush=True,
            )
        for phase, label in (("contract", "contract (numpy)"), ("groupedby", "whoosh groupedby")):
            r = _run([py, "-m", "bench.search", phase], env)
            t = r["times"]
            slow = sorted(range(len(t)), key=lambda i: -t[i])[:3]
            print(
                f"{size:>7} {label:<17} p50 {_pct(t, 50):6.0f} ms  p95 {_pct(t, 95):6.0f} ms  "
                f"max {max(t) * 1000:6.0f} ms  mean {statistics.mean(t) * 1000:5.0f} ms  "
                f"open {r['open'] * 1000:5.0f} ms  peak RSS {r['peak_mb']:5.0f} MB"
                + (f"  ({len(t)} of 50 queries in the time budget)" if len(t) < 50 else ""),
                flush=True,
            )
            specs = queries()
            print("        slowest: " + "; ".join(f"{specs[i]} {t[i] * 1000:.0f} ms" for i in slow))
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s]
    print(f"search bench: sizes {sizes}, 50 queries, seed {SEED} (BENCH_SIZES to change)")
    for size in sizes:
        run_size(size)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        main()
