"""Bad input to the pure pipeline: how long cleaning and extraction take on inputs built to
be slow (tests/pipeline/hostile_inputs.py), beside an ordinary seed article in the same run
as the baseline. (The tests check what comes out of them; times belong here.)

`python -m bench bad_input`
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from search.pipeline.cleaning import clean
from search.pipeline.extraction import extract
from search.pipeline.gazetteer import default_gazetteer
from tests.pipeline import hostile_inputs as hostile

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _seconds(work, *args) -> float:
    """CPU seconds of one call (the wall clock counts waits for a shared CPU)."""
    started = time.process_time()
    work(*args)
    return time.process_time() - started


def main() -> None:
    gazetteer = default_gazetteer()
    gazetteer.city_index, gazetteer.organisation_index  # noqa: B018 - loading is not timed
    seed = sorted(SEEDS.glob("*.txt"))[0].read_bytes()
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds per call")
    base_clean = min(_seconds(clean, seed) for _ in range(20))
    print(f"  baseline: clean one seed article ({len(seed):,} bytes)  {base_clean * 1000:.1f} ms")
    for label, make, fmt in [
        ("clean 20 MB of text", hostile.twenty_megabytes_of_text, None),
        ("clean 20 MB of HTML", hostile.twenty_megabytes_of_html, None),
        ("clean half a million lines", hostile.half_a_million_lines, "text"),
    ]:
        raw = make()
        print(f"  {label:<38}{_seconds(clean, raw, fmt):8.2f} s", flush=True)
    cleaned = clean(seed)
    base = min(_seconds(extract, cleaned) for _ in range(20))
    print(f"  baseline: extract one seed article  {base * 1000:.1f} ms")
    for label, cleaned in hostile.BAD_FOR_EXTRACTION.items():
        print(f"  extract {label:<30}{_seconds(extract, cleaned) * 1000:8.1f} ms", flush=True)
