"""Relevance benchmark: the judged CISI collection, searched as typed, on every engine.

The 1,460 CISI documents are loaded through the project's own ingest path (clean -> extract
-> save, index after commit) into a scratch database and index in a temp dir (PostgreSQL: a
scratch database created and dropped here; never the user's archive). The 76 judged queries
run as typed through the search contract (top 100). Beside them, a plain BM25 baseline
(bm25s: any word may match, English stop words) is computed in the same run. Printed:
nDCG@10, MAP@100, recall@100 and the number of queries that returned nothing, scored by
../shared/benchmarks/relevance/score.py.

    python -m bench relevance
    RELEVANCE_DIR=/path/to/collection-with-score.py   another collection in the same layout
    RELEVANCE_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres   the server to use
    RELEVANCE_ENGINES=whoosh,postgres   which engines (PostgreSQL skipped when none answers)
    RELEVANCE_RUNS=dir   also write each run as dir/ENGINE.tsv, for `score.py dir/ENGINE.tsv`
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent.parent / "shared" / "benchmarks" / "relevance"
TOP = 100


def collection_dir() -> Path:
    configured = os.environ.get("RELEVANCE_DIR")
    if configured:
        return Path(configured)
    for candidate in (DEFAULT_DIR, Path("/work/shared/benchmarks/relevance")):
        if (candidate / "score.py").exists():
            return candidate
    raise SystemExit("relevance collection not found; set RELEVANCE_DIR")


def scorer(directory: Path | None = None):
    """The collection's own score.py, as a module (docs(), queries(), qrels(), score())."""
    path = (directory or collection_dir()) / "score.py"
    spec = importlib.util.spec_from_file_location("relevance_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def document_text(doc: dict) -> str:
    """A collection document as an article file: the title line, a blank line, the text."""
    return f"{doc['title'].strip() or 'Untitled'}\n\n{doc['text'].strip() or doc['title']}"


# -- inside Django (the child process, and the regression test) -----------------------------


def load(docs: dict[str, dict]) -> dict[int, list[str]]:
    """Ingest the documents; article id -> the collection ids it holds (duplicates merge)."""
    from django.db import transaction

    from search.ingest import IngestError, ingest

    held: dict[int, list[str]] = {}
    with transaction.atomic():  # one index update after the commit, as an import would do
        for doc_id, doc in docs.items():
            try:
                result = ingest(document_text(doc).encode("utf-8"), fmt="text")
            except IngestError:
                continue
            held.setdefault(result.article.pk, []).append(doc_id)
    return held


def run_queries(engine, queries: dict[str, str], held: dict[int, list[str]]) -> dict:
    """Query id -> collection ids, best first (at most TOP), searched as typed."""
    from search.engines.base import SearchQuery

    run: dict[str, list[str]] = {}
    for qid, text in queries.items():
        page = engine.search(SearchQuery(q=text, per_page=TOP))
        ranked: list[str] = []
        for hit in page.hits:
            ranked += held.get(hit.id, [])
        run[qid] = ranked[:TOP]
    return run


def child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from search.engines.base import get_backend

    module = scorer()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    held = load(module.docs())
    engine = get_backend()
    engine.rebuild()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    run = run_queries(engine, module.queries(), held)
    per_query = (time.perf_counter() - started) / max(1, len(run))
    print("RESULT " + json.dumps({"run": run, "load_s": loaded, "query_ms": per_query * 1000}))


# -- the parent -----------------------------------------------------------------------------


def baseline(module) -> dict[str, list[str]]:
    """Plain BM25 (bm25s, English stop words, Snowball stemmer): any word may match. This is
    the reference row of the collection's README (0.386 on CISI)."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    docs = module.docs()
    ids = list(docs)
    corpus = [f"{d['title']} {d['text']}" for d in docs.values()]
    tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    run = {}
    for qid, text in module.queries().items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        results, _ = retriever.retrieve(tokens, k=TOP, show_progress=False)
        run[qid] = [ids[i] for i in results[0]]
    return run


def _postgres_url() -> str | None:
    url = os.environ.get("RELEVANCE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - any failure: no server to use
        return None
    return url


def _scratch_database(server_url: str, name: str, create: bool) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def run_engine(
    engine: str, work: Path, server_url: str | None, module: str = "bench.relevance"
) -> dict:
    """One engine's run in a child process (scratch database and index); `module` holds the
    child() that loads the collection and runs its queries."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="smartcity.settings",
        DEBUG="1",
        VAR_DIR=str(work),
        SEARCH_BACKEND=engine,
        SEARCH_INDEX_DIR=str(work / "index"),
        SEARCH_INDEX_PROCS="1",
        DATABASE_URL=f"sqlite:///{work / 'relevance.sqlite3'}",
    )
    scratch = None
    if engine == "postgres":
        scratch = f"sc_relevance_{os.getpid()}"
        env["DATABASE_URL"] = _scratch_database(server_url, scratch, create=True)
    try:
        out = subprocess.run(
            [sys.executable, "-c", f"from {module} import child; child()"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        if scratch:
            _scratch_database(server_url, scratch, create=False)
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-3000:])
        raise SystemExit(f"relevance run failed on {engine}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    module = scorer()
    wanted = os.environ.get("RELEVANCE_ENGINES", "whoosh,postgres").split(",")
    server_url = _postgres_url() if "postgres" in wanted else None
    rows = [("BM25 baseline (bm25s)", module.score(baseline(module)), None)]
    for engine in wanted:
        if engine == "postgres" and server_url is None:
            print("postgres: skipped, no server answers (RELEVANCE_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory(prefix=f"relevance-{engine}-") as tmp:
            result = run_engine(engine, Path(tmp), server_url)
        rows.append((engine, module.score(result["run"]), result))
        if os.environ.get("RELEVANCE_RUNS"):
            out = Path(os.environ["RELEVANCE_RUNS"])
            out.mkdir(parents=True, exist_ok=True)
            lines = [f"{q}\t{d}" for q, ranked in result["run"].items() for d in ranked]
            (out / f"{engine}.tsv").write_text("\n".join(lines) + "\n")
    print(f"{'system':24} {'nDCG@10':>8} {'MAP@100':>8} {'R@100':>8} {'empty':>6}  timing")
    for name, s, result in rows:
        timing = (
            f"load {result['load_s']:.0f} s, {result['query_ms']:.0f} ms/query" if result else ""
        )
        print(
            f"{name:24} {s['ndcg@10']:8.4f} {s['map@100']:8.4f} {s['recall@100']:8.4f} "
            f"{s['empty']:>3}/{s['queries']:<3} {timing}"
        )


if __name__ == "__main__":
    main()
