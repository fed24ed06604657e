"""The article-extraction benchmark's dev pages and the scoring of metadata predictions.

Shared by `python -m bench extraction-real` and the test that guards its figures.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent.parent / "shared" / "benchmarks" / "article-extraction"


# The same 88 pages and labels, copied into the tests with their licence.
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "article-extraction"


def pages_dir() -> Path:
    env = os.environ.get("BENCH_PAGES_DIR")
    if env:
        return Path(env)
    for candidate in (DEFAULT_DIR, ROOT.parent / "shared" / "benchmarks" / "article-extraction"):
        if (candidate / "metadata.json").is_file():
            return candidate
    return FIXTURE_DIR


@dataclass(frozen=True)
class Page:
    id: str
    html: bytes
    meta: dict
    entities: dict


def load_pages(folder: Path | None = None) -> list[Page]:
    folder = folder or pages_dir()
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    entities = json.loads((folder / "entities.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(meta):
        html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        pages.append(Page(key, html, meta[key], entities.get(key, {})))
    return pages


# ---- the benchmark's matching rules (score_metadata.py), kept identical


def norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s or "")).strip()


def fold(s: str | None) -> str:
    s = unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode().casefold()
    s = re.sub(r"^the\s+", "", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def same_name(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    if not a or not b:
        return False
    return a == b or bool(
        re.search(rf"\b{re.escape(a)}\b", b) or re.search(rf"\b{re.escape(b)}\b", a)
    )


def url_key(u: str | None) -> str:
    u = (u or "").strip().lower()
    u = re.sub(r"^https?://", "", u)
    u = re.sub(r"^www\.", "", u)
    return u.rstrip("/")


def score_predictions(pages: list[Page], preds: dict[str, dict], verbose: bool = False) -> dict:
    """Field accuracies over the article pages, is_article over all, entity micro P/R/F1."""
    articles = [p for p in pages if p.meta["is_article"]]
    n = len(articles) or 1
    right = dict.fromkeys(("title", "date", "source", "language"), 0)
    url_right = url_n = 0
    tp = {"cities": 0, "organisations": 0}
    found_n, want_n = dict(tp), dict(tp)
    has_entities = False
    for page in articles:
        p, m = preds.get(page.id, {}), page.meta
        ok = {
            "title": norm(p.get("title")) == norm(m["title"]),
            "date": (p.get("date") or None) == m["date"],
            "source": bool(p.get("source")) and fold(p.get("source")) == fold(m["source"]),
            "language": (p.get("language") or "") == (m.get("language") or ""),
        }
        for key, good in ok.items():
            right[key] += good
        if m.get("canonical_url"):
            url_n += 1
            url_right += url_key(p.get("url")) == url_key(m["canonical_url"])
        if verbose and not all(ok.values()):
            bad = {k: (p.get(k), m.get(k)) for k, good in ok.items() if not good}
            print(
                f"{page.id[:10]} "
                + "  ".join(f"{k}={a!r:.70} want={b!r:.70}" for k, (a, b) in bad.items())
            )
        if (
            verbose
            and m.get("canonical_url")
            and url_key(p.get("url")) != url_key(m["canonical_url"])
        ):
            print(f"{page.id[:10]} url={p.get('url')!r} want={m['canonical_url']!r}")
        for field in tp:
            if field not in p:
                continue
            has_entities = True
            found, want = p.get(field) or [], page.entities.get(field) or []
            found_n[field] += len(found)
            want_n[field] += len(want)
            tp[field] += sum(1 for w in want if any(same_name(w, x) for x in found))
            if verbose:
                extra = [x for x in found if not any(same_name(w, x) for w in want)]
                missed = [w for w in want if not any(same_name(w, x) for x in found)]
                if extra or missed:
                    print(f"{page.id[:10]} {field}: not labelled {extra[:8]} missed {missed[:8]}")
    scores = {key: right[key] / n for key in right}
    scores["url"] = url_right / url_n if url_n else 0.0
    scores["is_article"] = sum(
        bool(preds.get(p.id, {}).get("is_article", True)) == bool(p.meta["is_article"])
        for p in pages
    ) / (len(pages) or 1)
    if has_entities:
        for field in tp:
            prec = tp[field] / found_n[field] if found_n[field] else 0.0
            rec = tp[field] / want_n[field] if want_n[field] else 0.0
            scores[f"{field} P"] = prec
            scores[f"{field} R"] = rec
            scores[f"{field} F1"] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return scores


def trafilatura_predictions(pages: list[Page]) -> dict[str, dict]:
    """trafilatura's own metadata (title, date, sitename, url, language) of each page."""
    import trafilatura

    out = {}
    for page in pages:
        try:
            doc = trafilatura.extract_metadata(page.html.decode("utf-8", "replace"))
        except Exception:  # a library failure counts as nothing found
            doc = None
        if doc is None:
            out[page.id] = {"is_article": True}
            continue
        out[page.id] = {
            "title": doc.title,
            "date": (doc.date or "")[:10] or None,
            "source": doc.sitename,
            "url": doc.url,
            "language": getattr(doc, "language", None),
            "is_article": True,
        }
    return out


HELDOUT = ROOT / "tests" / "fixtures" / "heldout_pages"


def load_heldout(folder: Path = HELDOUT) -> list[Page]:
    """Pages of our own, labelled before tuning and kept out of it: scored at the end."""
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    pages = []
    for name, label in sorted(labels.items()):
        meta = {"canonical_url": label.get("url"), **label}
        meta.setdefault("title", "")
        meta.setdefault("date", None)
        meta.setdefault("source", "")
        ents = {k: label.get(k, []) for k in ("cities", "organisations")}
        pages.append(Page(name, (folder / name).read_bytes(), meta, ents))
    return pages
