"""Extraction throughput (articles/s) on the seeds and the labelled articles, plus their scores.

`python -m bench extraction`; BENCH_SECONDS (default 2) sets how long each timing runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from search.pipeline.cleaning import clean
from search.pipeline.extraction import extract
from search.pipeline.gazetteer import default_gazetteer

ROOT = Path(__file__).resolve().parent.parent


def _rate(work, items, seconds: float) -> tuple[float, int]:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for item in items:
            work(item)
        done += len(items)
    return done / (time.perf_counter() - started), done


def main() -> None:
    from tests.pipeline.labelled import Report, load_labelled

    seconds = float(os.environ.get("BENCH_SECONDS", "2"))
    started = time.perf_counter()
    gazetteer = default_gazetteer()
    gazetteer.city_index, gazetteer.organisation_index  # noqa: B018 - build both indexes
    print(
        f"gazetteer load: {time.perf_counter() - started:.2f} s "
        f"({len(gazetteer.cities)} city spellings, {len(gazetteer.organisations)} organisations)"
    )

    raws = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    cleaned = [clean(raw, "text") for raw in raws] + [item.cleaned for item in load_labelled()]
    rate, n = _rate(extract, cleaned, seconds)
    print(f"extract: {rate:,.0f} articles/s ({n} extractions of {len(cleaned)} articles)")
    rate, n = _rate(lambda raw: extract(clean(raw, "text")), raws, seconds)
    print(f"clean + extract (seeds): {rate:,.0f} articles/s")

    report = Report()
    for item in load_labelled():
        report.add(item, extract(item.cleaned))
    print("labelled scores: " + "; ".join(report.lines()))
