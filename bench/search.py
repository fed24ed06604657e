"""Search engine benchmark: index rate and size, query latency and peak memory, beside
tantivy (Rust) built from the same corpus in the same run.

For each corpus size in BENCH_SIZES (default "10000,100000"; e.g. BENCH_SIZES=2000 while
developing) a fresh database and index are made (bench/_corpus.py; BENCH_DIR keeps and
reuses them), and each phase runs in its own process so that its peak memory is its own:

  generate   manage.py generate_corpus N --seed 1 --no-index (bulk insert)
  index      the engine's rebuild (both cores): articles/s, CPU s, bytes per article, and
             each writer process's peak RSS (BENCH_SEGMENT_MB sets their segment budget)
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
import sys
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


def _cpu_all() -> float:
    """CPU seconds of this process and its (waited-for) children: the index writers."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def phase_index() -> dict:
    from search.engines.base import get_backend
    from search.engines.whoosh import bulk

    if os.environ.get("BENCH_SEGMENT_MB"):  # the writers' segment budget, to compare
        bulk.SEGMENT_BYTES = int(float(os.environ["BENCH_SEGMENT_MB"]) * 2**20)
    start = time.perf_counter()
    count = get_backend().rebuild()
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "count": count,
        "seconds": seconds,
        "cpu": _cpu_all(),
        "peak_mb": _peak_mb(),
        # Each writer process's own ru_maxrss, and the kernel's maximum over the children.
        "writers_mb": list(bulk.LAST_WRITER_PEAKS_MB),
        "children_mb": children,
        "segments": _segment_count(),
    }


def _segment_count() -> int:
    from search.engines.base import get_backend

    with get_backend()._reading() as state:
        return len(state.leaves)


def phase_contract() -> dict:
    from django.urls import get_resolver

    from search.engines.base import get_backend

    backend = get_backend()
    # A serving process has its URL patterns loaded long before a search: without this
    # the first query timed paid for importing every view (the hits' links are reversed).
    get_resolver().reverse_dict  # noqa: B018
    start = time.perf_counter()
    backend.state().wait_for_vocabularies()  # read by a thread of their own, once per commit
    opened = time.perf_counter() - start
    times = []
    specs = queries()
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    cpu = []
    for spec in specs:
        t, c = time.perf_counter(), time.process_time()
        page = backend.search(to_query(spec))
        assert len(page.hits) <= 10 and {"year", "city", "organisation"} <= set(page.facets)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    if profile:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    return {"open": opened, "times": times, "cpu": cpu, "peak_mb": _peak_mb()}


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


# -- tantivy, the reference ------------------------------------------------------------------

# Our query syntax's field names in tantivy's.
_TANTIVY_FIELDS = {"org:": "organisation:", "city:": "city:", "year:": "year:"}
_TANTIVY_FACETS = {"year": "year", "city": "city", "organisation": "organisation"}


def _tantivy_index(path: Path):
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_integer_field("id", stored=True, indexed=True, fast=True)
    # Stored: tantivy makes the shown hits' snippets from its own copy of the text.
    schema.add_text_field("title", stored=True, tokenizer_name="en_words")
    schema.add_text_field("body", stored=True, tokenizer_name="en_words")
    for name in ("city", "organisation", "source"):
        schema.add_text_field(name, tokenizer_name="raw", fast=True)
    schema.add_integer_field("year", indexed=True, fast=True)
    schema.add_integer_field("date", indexed=True, fast=True)
    schema.add_integer_field("copy", indexed=True, fast=True)
    index = tantivy.Index(schema.build(), path=str(path))
    # As our analyzer: words, lower case, English stop words dropped, Porter-style stems.
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    index.register_tokenizer("en_words", analyzer)
    return index


def phase_tantivy_index() -> dict:
    import tantivy

    from search.engines.base import documents

    path = Path(os.environ["BENCH_TANTIVY_DIR"])
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    index = _tantivy_index(path)
    start, c = time.perf_counter(), time.process_time()
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    count = 0
    for doc in documents():
        fields = {
            "id": doc.id,
            "title": doc.title,
            "body": doc.body,
            "copy": 1 + (not doc.is_representative),
        }
        fields["city"], fields["organisation"] = list(doc.cities), list(doc.organisations)
        if doc.source:
            fields["source"] = doc.source
        if doc.year:
            fields["year"] = doc.year
        if doc.date:
            fields["date"] = doc.date.toordinal()
        writer.add_document(tantivy.Document(**fields))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - start
    return {
        "count": count,
        "seconds": seconds,
        "cpu": time.process_time() - c,
        "peak_mb": _peak_mb(),
    }


def _tantivy_text(q: str) -> tuple[str, bool]:
    """Our query text in tantivy's syntax (its parser does the rest), and whether it holds
    a misspelt word (word~), which tantivy's parser makes fuzzy through fuzzy_fields."""
    for ours, theirs in _TANTIVY_FIELDS.items():
        q = q.replace(ours, theirs)
    words, fuzzy = [], False
    for word in q.split():
        if word.endswith("~"):
            word, fuzzy = word.rstrip("~"), True
        elif word.endswith("*") and word[:-1].isalpha():
            word = f'"{word[:-1]}"*'  # a prefix: tantivy's phrase prefix of one word
        words.append(word)
    return " ".join(words), fuzzy


def _all_of(musts: list, filters: dict, leave_out: str | None = None):
    import tantivy

    parts = musts + [f for name, f in filters.items() if name != leave_out]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, x) for x in parts])


def phase_tantivy() -> dict:
    import tantivy

    index = _tantivy_index(Path(os.environ["BENCH_TANTIVY_DIR"]))
    start = time.perf_counter()
    index.reload()
    searcher = index.searcher()
    schema = index.schema
    opened = time.perf_counter() - start
    boosts = {"title": 3.0}
    times, cpu = [], []
    for spec in queries():
        sq = to_query(spec)
        t, c = time.perf_counter(), time.process_time()
        text, fuzzy = _tantivy_text(sq.q)
        if text.strip():
            # Questions rank partial matches (any word), everything else needs every word.
            query = index.parse_query_lenient(
                text,
                ["title", "body"],
                field_boosts=boosts,
                fuzzy_fields={"title": (False, 1, True), "body": (False, 1, True)}
                if fuzzy
                else None,
                conjunction_by_default=spec.get("kind") != "question",
            )[0]
        else:
            query = tantivy.Query.all_query()
        filters = {}
        for facet, values in sq.filters.items():
            kind = int if facet == "year" else str
            terms = [
                tantivy.Query.term_query(schema, _TANTIVY_FACETS[facet], kind(v)) for v in values
            ]
            filters[facet] = tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in terms])
        musts = [query, tantivy.Query.term_query(schema, "copy", 1)]
        if sq.year_from is not None or sq.year_to is not None:
            lo, hi = sq.year_from or 0, sq.year_to or 10_000
            musts.append(
                tantivy.Query.range_query(schema, "year", tantivy.FieldType.Integer, lo, hi)
            )

        final = _all_of(musts, filters)
        kwargs = {}
        if sq.sort != "relevance" or not sq.q.strip():
            kwargs = {
                "order_by_field": "date",
                "order": tantivy.Order.Asc if sq.sort == "oldest" else tantivy.Order.Desc,
            }
        result = searcher.search(final, limit=10, count=True, **kwargs)
        # Disjunctive counts: each facet with every filter but its own.
        aggs = {}
        for facet, field in _TANTIVY_FACETS.items():
            agg = {facet: {"terms": {"field": field, "size": 1000}}}
            aggs.update(
                searcher.aggregate(
                    _all_of(musts, filters, facet) if facet in filters else final, agg
                )
            )
        snippets = tantivy.SnippetGenerator.create(searcher, final, schema, "body")
        shown = []
        for _, address in result.hits:
            doc = searcher.doc(address)
            shown.append((doc["id"][0], snippets.snippet_from_doc(doc).to_html()))
        assert len(shown) <= 10 and result.count >= len(shown) and len(aggs) == 3
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"open": opened, "times": times, "cpu": cpu, "peak_mb": _peak_mb()}


PHASES = {
    "index": phase_index,
    "contract": phase_contract,
    "groupedby": phase_groupedby,
    "tantivy-index": phase_tantivy_index,
    "tantivy": phase_tantivy,
}


def child(phase: str) -> None:
    _corpus.child_setup()
    print("RESULT " + json.dumps(PHASES[phase]()), flush=True)


# -- the parent -----------------------------------------------------------------------------


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _latency(size: int, label: str, r: dict, n: int) -> None:
    t, c = r["times"], r["cpu"]
    print(
        f"{size:>7} {label:<17} wall p50 {_pct(t, 50):5.0f} ms  p95 {_pct(t, 95):5.0f} ms  "
        f"max {max(t) * 1000:5.0f} ms | cpu p50 {_pct(c, 50):5.0f} ms  p95 {_pct(c, 95):5.0f} ms  "
        f"max {max(c) * 1000:5.0f} ms | open {r['open'] * 1000:5.0f} ms  peak RSS "
        f"{r['peak_mb']:4.0f} MB"
        + (f"  ({len(t)} of {n} queries in the budget)" if len(t) < n else ""),
        flush=True,
    )
    specs = queries()
    slow = sorted(range(len(t)), key=lambda i: -t[i])[:3]
    print("        slowest: " + "; ".join(f"{specs[i]['q']!r} {t[i] * 1000:.0f} ms" for i in slow))


def _indexed(size: int, label: str, r: dict, folder: Path) -> None:
    size_bytes = _dir_bytes(folder)
    print(
        f"{size:>7} {label:<17} indexed {r['count']} at {r['count'] / r['seconds']:.0f} articles/s "
        f"({r['seconds']:.0f} s wall, {r['cpu']:.0f} s CPU), index {size_bytes / 1_048_576:.0f} MB "
        f"= {size_bytes / max(r['count'], 1):,.0f} bytes/article, peak RSS {r['peak_mb']:.0f} MB"
        + _writers(r),
        flush=True,
    )


def _writers(r: dict) -> str:
    """The writer processes' peak memory, which the parent's figure does not include."""
    peaks = r.get("writers_mb")
    if not peaks:
        return ""
    each = " + ".join(f"{p:.0f}" for p in peaks)
    return (
        f"; writer processes' peak RSS {each} = {sum(peaks):.0f} MB (max of the children "
        f"{r['children_mb']:.0f} MB), {r['segments']} segments"
    )


def _pct(times: list[float], p: float) -> float:
    return _corpus.pct(times, p)


def run_size(size: int) -> None:
    py = sys.executable
    with _corpus.workdir(str(size)) as work:
        env = _corpus.sqlite_env(work)
        env["BENCH_TANTIVY_DIR"] = str(work / "tantivy")
        took = _corpus.generate(size, env)
        if took is not None:
            print(f"{size:>7} articles: generated and bulk-inserted in {took:.0f} s", flush=True)
        reindex = took is not None or os.environ.get("BENCH_REINDEX")
        if reindex or not (work / "index").exists():
            r = _corpus.run([py, "-m", "bench.search", "index"], env)
            _indexed(size, "whoosh", r, work / "index")
        if reindex or not (work / "tantivy").exists():
            r = _corpus.run([py, "-m", "bench.search", "tantivy-index"], env)
            _indexed(size, "tantivy", r, work / "tantivy")
        n = len(queries())
        phases = [("contract", "whoosh (contract)"), ("tantivy", "tantivy")]
        if os.environ.get("BENCH_GROUPEDBY"):
            phases.append(("groupedby", "whoosh groupedby"))
        results = {}
        for phase, label in phases:
            profile = phase == "contract" and bool(os.environ.get("BENCH_PROFILE"))
            results[phase] = r = _corpus.run([py, "-m", "bench.search", phase], env, profile)
            _latency(size, label, r, n)
        ours, ref = results["contract"], results["tantivy"]
        ratios = "  ".join(
            f"{name} {_pct(ours[key], p) / max(_pct(ref[key], p), 1e-3):.1f}x"
            for key in ("times", "cpu")
            for name, p in ((f"{key} p50", 50), (f"{key} p95", 95))
        )
        print(f"{size:>7} whoosh / tantivy, same run: {ratios}", flush=True)


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s]
    print(
        f"search bench: sizes {sizes}, {len(queries())} queries, seed {SEED} "
        f"(BENCH_SIZES to change); load average {os.getloadavg()[0]:.1f} at the start"
    )
    for size in sizes:
        run_size(size)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        main()
