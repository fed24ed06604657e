"""Cities and organisations on the Chinese labelled pages: `parse_article` on
tests/fixtures/zh (tuned on) and tests/fixtures/zh_heldout (kept out of tuning), micro P/R/F1
over the article pages as `extraction-real` scores the English ones.

`python -m bench zh-entities`; BENCH_VERBOSE=1 lists every miss. A found name matches a
labelled one when one is a whole-word part of the other (Latin script, the benchmark's rule)
or when both are equal after NFKC and white space (Chinese names kept as written).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

from bench.realpages import same_name
from search.pipeline.article import parse_article
from search.pipeline.gazetteer import default_gazetteer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "zh"
HELDOUT = ROOT / "tests" / "fixtures" / "zh_heldout"
FIELDS = ("cities", "organisations")


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name)).strip().casefold()


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b) or (a.isascii() and b.isascii() and same_name(a, b))


def score(folder: Path, verbose: bool = False) -> dict[str, float]:
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    gazetteer = default_gazetteer()
    tp, found_n, want_n = (dict.fromkeys(FIELDS, 0) for _ in range(3))
    for name, label in sorted(labels.items()):
        if not label.get("is_article", True):
            continue
        fmt = "html" if name.endswith((".html", ".htm")) else "text"
        got = parse_article((folder / name).read_bytes(), fmt, gazetteer)
        for field in FIELDS:
            found, want = got.get(field) or [], label.get(field) or []
            found_n[field] += len(found)
            want_n[field] += len(want)
            tp[field] += sum(1 for w in want if any(_same(w, x) for x in found))
            if verbose:
                extra = [x for x in found if not any(_same(w, x) for w in want)]
                missed = [w for w in want if not any(_same(w, x) for x in found)]
                if extra or missed:
                    print(f"{name}: {field} not labelled {extra} missed {missed}")
    out: dict[str, float] = {}
    for field in FIELDS:
        p = tp[field] / found_n[field] if found_n[field] else 0.0
        r = tp[field] / want_n[field] if want_n[field] else 0.0
        out[f"{field} P"], out[f"{field} R"] = p, r
        out[f"{field} F1"] = 2 * p * r / (p + r) if p + r else 0.0
    return out


def main() -> None:
    verbose = os.environ.get("BENCH_VERBOSE") == "1"
    for label, folder in (("tuned on", FIXTURES), ("held out", HELDOUT)):
        if not (folder / "labels.json").is_file():
            print(f"{folder.name}: no labels.json")
            continue
        figures = score(folder, verbose)
        n = len(json.loads((folder / "labels.json").read_text(encoding="utf-8")))
        print(
            f"{folder.name} ({n} pages, {label}): "
            + ", ".join(f"{k} {v:.2f}" for k, v in figures.items())
        )
