"""The labelled copy-detection set (tests/fixtures/copies) and its pairwise scores; shared by
the test and `python -m bench copies`."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from search.pipeline import fingerprint as fpr
from search.pipeline.cleaning import clean

COPIES = Path(__file__).resolve().parent / "fixtures" / "copies"


@dataclass(frozen=True)
class Item:
    file: str
    story: str
    split: str
    kind: str
    published: str
    body: str


def load_items() -> list[Item]:
    labels = json.loads((COPIES / "labels.json").read_text(encoding="utf-8"))["articles"]
    items = []
    for row in labels:
        path = COPIES / "articles" / row["file"]
        cleaned = clean(
            path.read_text(encoding="utf-8"), "html" if path.suffix == ".html" else "text"
        )
        items.append(
            Item(
                row["file"], row["story"], row["split"], row["kind"], row["published"], cleaned.body
            )
        )
    return items


def group(items: list[Item], threshold: float = fpr.CONTAINMENT) -> dict[str, int]:
    """file -> group number, assigned as ingest does: in publication order, each article
    joins the group of the earlier article it is the best copy of."""
    index = fpr.MemoryIndex()
    groups: dict[int, int] = {}
    order = sorted(range(len(items)), key=lambda i: (items[i].published, i))
    for i in order:
        fp = fpr.fingerprint(items[i].body)
        best = index.best_copy_of(fp, threshold)
        groups[i] = groups[best] if best is not None else i
        index.add(i, fp)
    return {items[i].file: g for i, g in groups.items()}


@dataclass(frozen=True)
class Scores:
    split: str
    articles: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int
    false_pairs: list[tuple[str, str]]
    missed_pairs: list[tuple[str, str]]

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def line(self) -> str:
        return (
            f"{self.split:8s} {self.articles:4d} articles  {self.true_pairs:4d} copy pairs  "
            f"precision {self.precision:.3f}  recall {self.recall:.3f}"
        )


def score(items: list[Item], groups: dict[str, int], split: str) -> Scores:
    """Pairwise precision and recall over the articles of one split ("all" for every one)."""
    chosen = [it for it in items if split in ("all", it.split)]
    truth = found = correct = 0
    false_pairs, missed = [], []
    for a, b in itertools.combinations(chosen, 2):
        same_story = a.story == b.story
        same_group = groups[a.file] == groups[b.file]
        truth += same_story
        found += same_group
        correct += same_story and same_group
        if same_group and not same_story:
            false_pairs.append((a.file, b.file))
        elif same_story and not same_group:
            missed.append((a.file, b.file))
    return Scores(split, len(chosen), truth, found, correct, false_pairs, missed)
