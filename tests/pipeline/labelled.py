"""Load the labelled articles and score extraction against them (shared by test and bench)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from search.pipeline.cleaning import Cleaned
from search.pipeline.extraction import Facets

LABELLED = Path(__file__).resolve().parent.parent / "fixtures" / "labelled"


@dataclass(frozen=True)
class Labelled:
    name: str
    cleaned: Cleaned
    expected: dict


def load_labelled() -> list[Labelled]:
    items = []
    for path in sorted(LABELLED.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cleaned = Cleaned(
            title=data["title"],
            paragraphs=tuple(data["paragraphs"]),
            meta_lines=tuple(data.get("meta_lines", ())),
            meta=data.get("meta", {}),
        )
        items.append(Labelled(path.stem, cleaned, data["expected"]))
    return items


@dataclass
class Score:
    hits: int = 0
    predicted: int = 0
    relevant: int = 0

    def add(self, predicted: set[str], relevant: set[str]) -> None:
        self.hits += len(predicted & relevant)
        self.predicted += len(predicted)
        self.relevant += len(relevant)

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 1.0


@dataclass
class Report:
    articles: int = 0
    year_right: int = 0
    date_right: int = 0
    source_right: int = 0
    cities: Score = None
    organisations: Score = None
    misses: list[str] = None

    def __post_init__(self) -> None:
        self.cities, self.organisations, self.misses = Score(), Score(), []

    def add(self, item: Labelled, facets: Facets) -> None:
        exp = item.expected
        self.articles += 1
        self.year_right += facets.year == exp["year"]
        self.date_right += (facets.date.isoformat() if facets.date else None) == exp["date"]
        self.source_right += facets.source == exp["source"]
        for field in ("cities", "organisations"):
            got, want = set(getattr(facets, field)), set(exp[field])
            getattr(self, field).add(got, want)
            if got != want:
                self.misses.append(
                    f"{item.name} {field}: missing {sorted(want - got)}, extra {sorted(got - want)}"
                )
        for field in ("year", "source"):
            if getattr(facets, field) != exp[field]:
                self.misses.append(
                    f"{item.name} {field}: {getattr(facets, field)!r} != {exp[field]!r}"
                )

    def lines(self) -> list[str]:
        n = self.articles
        return [
            f"articles {n}",
            f"year accuracy {self.year_right / n:.2f}  date accuracy {self.date_right / n:.2f}  "
            f"source accuracy {self.source_right / n:.2f}",
            f"cities P {self.cities.precision:.2f} R {self.cities.recall:.2f}",
            f"organisations P {self.organisations.precision:.2f} R {self.organisations.recall:.2f}",
        ]
