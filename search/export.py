"""Export a result set (all its pages, up to EXPORT_MAX) as CSV, JSON, RIS or BibTeX.

Records come from the search engine (for the order and the matching set) joined with the
database rows (for the source URL, which the index does not keep).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.text import slugify

from search.engines.base import MAX_PER_PAGE, SearchBackend, SearchQuery
from search.links import query_params
from search.models import Article

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json; charset=utf-8", "json"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
}


def export_max() -> int:
    return int(getattr(settings, "SEARCH_EXPORT_MAX", 1000))


@dataclass(frozen=True)
class Record:
    id: int
    title: str
    date: str | None
    year: int | None
    source: str
    source_url: str
    cities: tuple[str, ...]
    organisations: tuple[str, ...]
    url: str  # absolute URL of the article page
    copy_group: int | None = None  # the story's copy group (None: no copies known)
    copies: int = 1  # articles in that story, this one included


def collect(
    backend: SearchBackend, query: SearchQuery, base_url: str, limit: int
) -> tuple[int, list[Record]]:
    """(total matches, the first `limit` records in result order), walking every page."""
    hits = []
    total = 0
    page = 1
    while len(hits) < limit:
        result = backend.search(replace(query, page=page, per_page=MAX_PER_PAGE))
        total = result.total
        hits.extend(result.hits)
        if not result.hits or page >= result.pages:
            break
        page += 1
    hits = hits[:limit]
    rows = Article.objects.filter(id__in=[h.id for h in hits])
    urls = dict(rows.values_list("id", "source_url"))
    groups = {i: (g, n) for i, g, n in rows.values_list("id", "copy_group", "copy_group__size")}
    return total, [
        Record(
            id=h.id,
            title=h.title,
            date=h.date.isoformat() if h.date else None,
            year=h.year,
            source=h.source or "",
            source_url=urls.get(h.id, ""),
            cities=tuple(h.cities),
            organisations=tuple(h.organisations),
            url=base_url.rstrip("/") + h.url,
            copy_group=groups[h.id][0],
            copies=groups[h.id][1] or 1,
        )
        for h in hits
        if h.id in urls  # an index entry whose row is gone is not exported
    ]


def filename(query: SearchQuery, fmt: str) -> str:
    """e.g. smartcity-search_q-iot_city-Nanjing-Wuxi_year-2017.csv (query and filters kept)."""
    parts = ["smartcity-search"]
    params = query_params(replace(query, page=1, per_page=SearchQuery().per_page))
    for key in params:
        values = "-".join(slugify(v) or "x" for v in params.getlist(key))
        parts.append(f"{key}-{values}")
    stem = "_".join(parts)[:150].rstrip("-_")
    return f"{stem}.{FORMATS[fmt][1]}"


def to_csv(records: list[Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "title", "date", "year", "source", "source_url", "cities", "organisations", "url"]
        + ["copy_group", "copies"]
    )
    for r in records:
        writer.writerow(
            [
                r.id,
                _csv_safe(r.title),
                r.date or "",
                r.year or "",
                _csv_safe(r.source),
                r.source_url,
                "; ".join(r.cities),
                "; ".join(r.organisations),
                r.url,
                r.copy_group or "",
                r.copies,
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A leading =, +, - or @ turns a cell into a formula in spreadsheet programs.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_json(query: SearchQuery, total: int, records: list[Record], limit: int) -> str:
    data = {
        "query": query.q,
        "filters": {facet: list(values) for facet, values in query.filters.items()},
        "year_from": query.year_from,
        "year_to": query.year_to,
        "sort": query.sort,
        "copies": "all" if query.all_copies else "one per story",
        "total": total,
        "exported": len(records),
        "limit": limit,
        "results": [
            {
                "id": r.id,
                "title": r.title,
                "date": r.date,
                "year": r.year,
                "source": r.source or None,
                "source_url": r.source_url or None,
                "cities": list(r.cities),
                "organisations": list(r.organisations),
                "url": r.url,
                "copy_group": r.copy_group,
                "copies": r.copies,
            }
            for r in records
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def _ris_lines(r: Record) -> Iterator[str]:
    yield "TY  - NEWS"
    yield f"TI  - {_one_line(r.title)}"
    if r.source:
        yield f"T2  - {_one_line(r.source)}"
    if r.year:
        yield f"PY  - {r.year}"
    if r.date:
        yield f"DA  - {r.date.replace('-', '/')}"
    for kw in (*r.cities, *r.organisations):
        yield f"KW  - {_one_line(kw)}"
    yield f"UR  - {r.source_url or r.url}"
    yield f"ID  - smartcity-{r.id}"
    yield "ER  - "


def to_ris(records: list[Record]) -> str:
    return "".join("\r\n".join(_ris_lines(r)) + "\r\n\r\n" for r in records)


def _bib_escape(text: str) -> str:
    text = _one_line(text)
    text = re.sub(r"([\\{}])", r"\\\1", text)
    return re.sub(r"([&%$#_])", r"\\\1", text)


def to_bibtex(records: list[Record]) -> str:
    entries = []
    for r in records:
        fields = [("title", "{" + _bib_escape(r.title) + "}")]
        if r.source:
            fields.append(("journal", _bib_escape(r.source)))
        if r.year:
            fields.append(("year", str(r.year)))
        if r.date:
            fields.append(("date", r.date))
        fields.append(("url", r.source_url or r.url))
        keywords = ", ".join(_bib_escape(k) for k in (*r.cities, *r.organisations))
        if keywords:
            fields.append(("keywords", keywords))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@article{{smartcity{r.id},\n{body}\n}}\n")
    return "\n".join(entries)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render(fmt: str, query: SearchQuery, total: int, records: list[Record], limit: int) -> str:
    if fmt == "csv":
        return to_csv(records)
    if fmt == "json":
        return to_json(query, total, records, limit)
    if fmt == "ris":
        return to_ris(records)
    return to_bibtex(records)
