"""Chinese pages of our own (tests/fixtures/zh, and the held-out tests/fixtures/zh_heldout):
`parse_article` scored per field against their labels.

`python -m bench extraction-zh`; BENCH_VERBOSE=1 lists every miss. Title equal after NFKC
and white-space collapsing; date equal; source equal after NFKC and case folding (the
benchmark's ASCII folding would make every Chinese name equal to every other); boilerplate:
each must-contain string present and each must-not-contain string absent in the body,
compared after NFKC with white space removed; cities and organisations micro P/R/F1 on
exact names (reported for the entities work, not guarded by the cleaning test).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from search.pipeline.article import parse_article
from search.pipeline.gazetteer import default_gazetteer

ROOT = Path(__file__).resolve().parent.parent
ZH_PAGES = ROOT / "tests" / "fixtures" / "zh"
ZH_HELDOUT = ROOT / "tests" / "fixtures" / "zh_heldout"


@dataclass(frozen=True)
class ZhPage:
    name: str
    raw: bytes
    label: dict

    @property
    def fmt(self) -> str:
        return "text" if self.name.endswith(".txt") else "html"


def load_zh(folder: Path = ZH_PAGES) -> list[ZhPage]:
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    return [ZhPage(name, (folder / name).read_bytes(), labels[name]) for name in sorted(labels)]


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s or "")).strip().casefold()


def _squeezed(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def predict(pages: list[ZhPage]) -> dict[str, dict]:
    gazetteer = default_gazetteer()
    return {p.name: parse_article(p.raw, p.fmt, gazetteer) for p in pages}


def score(pages: list[ZhPage], preds: dict[str, dict], misses: list[str] | None = None) -> dict:
    """Per-field accuracy over article pages (is_article over all pages), boilerplate
    strings right over all strings, entity micro P/R/F1."""
    misses = misses if misses is not None else []
    fields = ("title", "date", "source", "language", "url")
    right = dict.fromkeys(fields, 0)
    counted = dict.fromkeys(fields, 0)
    kind_right = strings = strings_right = 0
    ent = {f: [0, 0, 0] for f in ("cities", "organisations")}  # hits, found, wanted
    for page in pages:
        got, want = preds[page.name], page.label
        kind_right += bool(got.get("is_article")) == bool(want["is_article"])
        if bool(got.get("is_article")) != bool(want["is_article"]):
            misses.append(f"{page.name} is_article {got.get('is_article')}")
        if not want["is_article"]:
            continue
        checks = {
            "title": _norm(got.get("title")) == _norm(want["title"]),
            "date": got.get("date") == want["date"],
            "source": _norm(got.get("source")) == _norm(want["source"]),
            "language": got.get("language") == want["language"],
        }
        if want.get("url"):
            checks["url"] = (got.get("url") or "").rstrip("/") == want["url"].rstrip("/")
        for key, ok in checks.items():
            counted[key] += 1
            right[key] += ok
            if not ok:
                misses.append(f"{page.name} {key}: {got.get(key)!r} want {want[key]!r}")
        body = _squeezed(got.get("body") or "")
        for text in want.get("body_must_contain", []):
            strings += 1
            if _squeezed(text) in body:
                strings_right += 1
            else:
                misses.append(f"{page.name} body lost {text!r}")
        for text in want.get("body_must_not_contain", []):
            strings += 1
            if _squeezed(text) not in body:
                strings_right += 1
            else:
                misses.append(f"{page.name} body kept {text!r}")
        for field, counts in ent.items():
            found = {_norm(x) for x in got.get(field) or []}
            wanted = {_norm(x) for x in want.get(field) or []}
            counts[0] += len(found & wanted)
            counts[1] += len(found)
            counts[2] += len(wanted)
    out = {key: right[key] / counted[key] if counted[key] else 1.0 for key in fields}
    out["is_article"] = kind_right / (len(pages) or 1)
    out["boilerplate"] = strings_right / strings if strings else 1.0
    for field, (hits, found, wanted) in ent.items():
        p = hits / found if found else 0.0
        r = hits / wanted if wanted else 0.0
        out[f"{field} F1"] = 2 * p * r / (p + r) if p + r else 0.0
    return out


def main() -> None:
    verbose = os.environ.get("BENCH_VERBOSE") == "1"
    for label, folder in (("own Chinese pages", ZH_PAGES), ("held out", ZH_HELDOUT)):
        pages = load_zh(folder)
        misses: list[str] = []
        scores = score(pages, predict(pages), misses)
        print(f"{label} ({len(pages)}, {folder.relative_to(ROOT)}):")
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
        if verbose and folder == ZH_PAGES:  # the held-out pages' misses stay unseen
            for miss in misses:
                print("   ", miss)
