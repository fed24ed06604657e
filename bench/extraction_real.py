"""Metadata and entities of real pages: `parse_article` on the 88 dev pages of the
article-extraction benchmark, scored against its metadata.json and entities.json, with
trafilatura's own metadata (extract_metadata) scored beside it in the same run.

`python -m bench extraction-real`; BENCH_PAGES_DIR points at another copy of the benchmark
(default ../shared/benchmarks/article-extraction); BENCH_VERBOSE=1 lists every miss.
Matching follows the benchmark's score_metadata.py: title equal after NFKC and white-space
collapsing; date equal; source equal after folding case, accents, a leading "The" and
punctuation; URL equal without scheme, "www." and trailing slash; cities and organisations
micro P/R/F1, a found name matching a labelled one when one is a whole-word part of the other.
"""

from __future__ import annotations

import os
import time

from bench.realpages import load_heldout, load_pages, score_predictions, trafilatura_predictions
from search.pipeline.article import parse_article
from search.pipeline.gazetteer import default_gazetteer


def predictions(pages) -> tuple[dict[str, dict], float]:
    gazetteer = default_gazetteer()
    out = {}
    started = time.perf_counter()
    for page in pages:
        fmt = "text" if page.id.endswith(".txt") else "html"
        out[page.id] = parse_article(page.html, fmt, gazetteer)
    return out, (time.perf_counter() - started) / max(1, len(pages))


def main() -> None:
    verbose = os.environ.get("BENCH_VERBOSE") == "1"
    pages = load_pages()
    ours, seconds = predictions(pages)
    theirs = trafilatura_predictions(pages)
    our_score = score_predictions(pages, ours, verbose=verbose)
    their_score = score_predictions(pages, theirs)
    print(
        f"{len(pages)} pages ({sum(p.meta['is_article'] for p in pages)} articles); "
        f"parse_article {seconds * 1000:.0f} ms/page"
    )
    print(f"{'field':<26}{'parse_article':>14}{'trafilatura 2.3.1':>19}")
    for key in our_score:
        a, b = our_score[key], their_score.get(key)
        shown = "—" if b is None else f"{b:.3f}"
        print(f"{key:<26}{a:>14.3f}{shown:>19}")

    held = load_heldout()
    held_ours, _ = predictions(held)
    held_score = score_predictions(held, held_ours, verbose=verbose)
    print(
        f"own held-out pages ({len(held)}, tests/fixtures/heldout_pages): "
        + ", ".join(f"{k} {v:.2f}" for k, v in held_score.items())
    )
