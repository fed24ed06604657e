"""English news paragraphs written for the organisation and city rules (tests/fixtures/
labelled_en, used while tuning) and a set kept aside until the rules were done
(tests/fixtures/labelled_en_heldout). Scored like the real-page benchmark: micro P/R/F1, a
found name matching a labelled one when one is a whole-word part of the other."""

from __future__ import annotations

import json
from pathlib import Path

from bench.realpages import same_name
from search.pipeline.cleaning import Cleaned
from search.pipeline.extraction import extract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TUNING = FIXTURES / "labelled_en"
HELD_OUT = FIXTURES / "labelled_en_heldout"


def score_folder(folder: Path) -> tuple[dict[str, float], list[str]]:
    tp = {"cities": 0, "organisations": 0}
    found_n, want_n = dict(tp), dict(tp)
    misses: list[str] = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        facets = extract(Cleaned(title=data["title"], paragraphs=tuple(data["paragraphs"])))
        for field in tp:
            found, want = list(getattr(facets, field)), data["expected"][field]
            found_n[field] += len(found)
            want_n[field] += len(want)
            tp[field] += sum(any(same_name(w, x) for x in found) for w in want)
            extra = [x for x in found if not any(same_name(w, x) for w in want)]
            missed = [w for w in want if not any(same_name(w, x) for x in found)]
            if extra or missed:
                misses.append(f"{path.stem} {field}: extra {extra} missed {missed}")
    scores = {}
    for field in tp:
        p = tp[field] / found_n[field] if found_n[field] else 1.0
        r = tp[field] / want_n[field] if want_n[field] else 1.0
        scores[f"{field} P"], scores[f"{field} R"] = p, r
        scores[f"{field} F1"] = 2 * p * r / (p + r) if p + r else 0.0
    return scores, misses


if __name__ == "__main__":
    import sys

    folder = HELD_OUT if sys.argv[1:] == ["heldout"] else TUNING
    scores, misses = score_folder(folder)
    print("\n".join(misses))
    print(", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
