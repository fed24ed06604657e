"""Cities and organisations of the Chinese labelled pages (tests/fixtures/zh, labels written
before tuning), scored as micro P/R/F1 the way the English real pages are: a found name
matches a labelled one when one is a whole-word part of the other (Latin script), or when
they are equal after NFKC (Chinese names kept as written).

The figures are printed (pytest -s) and guarded 2 points under what was reached. The held-out
pages (tests/fixtures/zh_heldout) are scored by `python -m bench zh-entities`, not here.
"""

from pathlib import Path

import pytest

from bench.zh_entities import FIXTURES, score

# Reached on tests/fixtures/zh when this test was written; the targets are 0.90 and
# 0.80.
FLOORS = {"cities F1": 0.96, "organisations F1": 0.94}


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return score(Path(FIXTURES))


def test_chinese_labelled_pages_entities(figures):
    print(", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
    for key, floor in FLOORS.items():
        assert figures[key] >= floor, (key, figures[key])
