"""Facets of a fixed set of texts, to show that a change meant to be faster extracts the same.

    python -m bench._facet_check dump OUT.json    # facets of every text, by its name
    python -m bench._facet_check compare A.json B.json

The texts: the real pages of the public extraction benchmark, every page and text under
tests/fixtures, the seeds, and synthetic articles (raw text through `parse`, and their
stored title and body through `extract`, as re-extraction reads them). The built-in
gazetteer is used (no database). Not a benchmark part (`make bench` skips names starting with `_`).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SYNTHETIC = int(os.environ.get("BENCH_FACET_SYNTHETIC", "400"))


def _texts():
    """(name, text, format or None) of every text the check reads."""
    dirs = [SHARED / "benchmarks" / "article-extraction" / "html", SHARED / "seeds"]
    dirs += sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*") if p.is_dir())
    # (a name is the path under shared/ or under the project, the same in any worktree)
    seen = set()
    for folder in dirs:
        for path in sorted(folder.glob("*")):
            if not path.is_file() or path.suffix == ".json" or path.name in ("LICENSE",):
                continue
            if path in seen:
                continue
            seen.add(path)
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            where = path.relative_to(SHARED if path.is_relative_to(SHARED) else ROOT)
            yield str(where), raw.decode("utf-8", "replace"), None


def _facets_dict(facets) -> dict:
    from search.pipeline.article import facets_json

    return {
        **facets_json(facets),
        "aliases": {k: list(v) for k, v in sorted(facets.organisation_aliases.items())},
    }


def dump(out: str) -> None:
    from search import synthetic
    from search.ingest import IngestError, parse
    from search.pipeline.cleaning import Cleaned, split_paragraphs
    from search.pipeline.extraction import default_gazetteer, extract

    gazetteer = default_gazetteer()
    result = {}
    for name, text, fmt in _texts():
        try:
            result[name] = _facets_dict(parse(text, fmt, gazetteer, allow_not_article=True)[1])
        except IngestError as exc:
            result[name] = f"refused: {exc}"
    for number in range(SYNTHETIC):
        item = synthetic.article(1, number)
        result[f"synthetic/{number}/raw"] = _facets_dict(
            parse(item.text, "text", gazetteer, allow_not_article=True)[1]
        )
        stored = Cleaned(item.title, tuple(split_paragraphs(item.body)), fmt="text")
        result[f"synthetic/{number}/stored"] = _facets_dict(extract(stored, gazetteer))
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True))
    print(f"{len(result)} texts -> {out}")


def compare(a: str, b: str) -> int:
    left, right = json.loads(Path(a).read_text()), json.loads(Path(b).read_text())
    differ = [
        name for name in sorted(left.keys() | right.keys()) if left.get(name) != right.get(name)
    ]
    for name in differ[:20]:
        print(f"{name}:\n  {left.get(name)}\n  {right.get(name)}")
    print(f"{len(left)} / {len(right)} texts, {len(differ)} differ")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["dump"] and len(argv) == 2:
        dump(argv[1])
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(argv[1], argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    sys.exit(main(sys.argv[1:]))
