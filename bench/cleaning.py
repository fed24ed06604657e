"""Cleaning: throughput on the seeds repeated to 1,000 articles, and F1 on real HTML pages.

`python -m bench cleaning` (part of `make bench`). The HTML figures use the metric of the
article-extraction benchmark: text -> \\w+ tokens -> 4-token shingles; precision and recall
per page, each averaged over pages; F1 the harmonic mean of the two averages.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PAGES = ROOT / "tests" / "fixtures" / "article-extraction"
_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> Counter:
    tokens = _WORD.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) <= n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    ms_per_page: float
    pages: int


def load_pages(folder: Path = PAGES) -> list[tuple[str, str, str]]:
    """(page id, HTML, true article text) of every page in a benchmark folder."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = folder / "html" / f"{page_id}.html.gz"
        if path.exists():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            pages.append((page_id, html, truth[page_id].get("articleBody") or ""))
    return pages


def score(extract: Callable[[str], str], pages: list[tuple[str, str, str]]) -> Score:
    precisions, recalls = [], []
    started = time.perf_counter()
    for _, html, truth in pages:
        true, pred = _shingles(truth), _shingles(extract(html))
        hit = sum((true & pred).values())
        if pred:
            precisions.append(hit / sum(pred.values()))
        if true:
            recalls.append(hit / sum(true.values()))
    elapsed = time.perf_counter() - started
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(f1, p, r, 1000 * elapsed / max(1, len(pages)), len(pages))


def throughput(n: int = 1000) -> float:
    """Articles cleaned per second, the five seeds repeated to n articles."""
    from search.pipeline.cleaning import clean
    from search.pipeline.text_rules import words

    seeds = [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]
    batch = (seeds * (n // len(seeds) + 1))[:n]
    started = time.perf_counter()
    for raw in batch:
        words.cache_clear()  # no credit for having seen the same seed before
        clean(raw)
    return n / (time.perf_counter() - started)


def main() -> None:
    from search.pipeline import cleaning

    rate = throughput()
    print(f"text cleaning: {rate:,.0f} articles/s (5 seeds repeated to 1,000)")
    pages = load_pages()
    print(f"HTML benchmark: {len(pages)} pages in {PAGES.relative_to(ROOT)}")
    print(f"{'extractor':<34}{'F1':>7}{'prec':>7}{'recall':>8}{'ms/page':>9}")
    for name, fn in [
        ("clean(html).body (auto)", cleaning.html_to_text),
        ("  our BeautifulSoup extractor", cleaning.html_to_text_own),
        ("  trafilatura behind our rules", cleaning.html_to_text_library),
    ]:
        s = score(fn, pages)
        print(f"{name:<34}{s.f1:>7.3f}{s.precision:>7.3f}{s.recall:>8.3f}{s.ms_per_page:>9.1f}")
