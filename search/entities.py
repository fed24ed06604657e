"""What the entity, compare and pair pages show, worked out from the search contract.

Every number here comes from the engine (timeline, value_counts, cooccurrence, search), and
every link leads to a search whose total is the number shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from search import charts
from search.engines.base import SearchBackend, SearchQuery, Timeline
from search.forms import SearchForm
from search.links import search_url

BUCKETS = {"year": "Year", "month": "Month"}
SCALES = {"count": "Articles", "share": "Share of the archive"}
MAX_SEARCHES, MIN_SEARCHES = 5, 2
FACET_NOUNS = {"city": "city", "organisation": "organisation"}
OTHER = {"city": "organisation", "organisation": "city"}


# -- periods and series ----------------------------------------------------------------------


def periods(timelines: list[Timeline], bucket: str) -> list[str]:
    """Every period from the first to the last one with articles in any timeline."""
    keys = [k for t in timelines for k in (t.years if bucket == "year" else t.months)]
    if not keys:
        return []
    if bucket == "year":
        years = [int(k) for k in keys]
        return [str(y) for y in range(min(years), max(years) + 1)]
    first, last = min(keys), max(keys)
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def counts_of(timeline: Timeline, bucket: str, keys: list[str]) -> list[int]:
    if bucket == "year":
        return [timeline.years.get(int(k), 0) for k in keys]
    return [timeline.months.get(k, 0) for k in keys]


def shares(counts: list[int], archive: list[int]) -> list[float | None]:
    """Percent of the archive's articles of each period (None where the archive has none)."""
    return [100 * n / total if total else None for n, total in zip(counts, archive, strict=True)]


def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} %" if value >= 10 or value == 0 else f"{value:.2f} %"


# -- one search as a line on a chart -----------------------------------------------------------


def describe(query: SearchQuery) -> str:
    """A short human name for a search: its words and its filters."""
    parts = [f"“{query.q}”"] if query.q else []
    for facet in ("city", "organisation", "year"):
        values = query.selected(facet)
        if values:
            parts.append(" or ".join(values))
    if query.year_from is not None or query.year_to is not None:
        parts.append(f"{query.year_from or '…'}–{query.year_to or '…'}")
    return " · ".join(parts) or "the whole archive"


def read_search(text: str) -> SearchQuery | None:
    """A search given as a search URL or its query string (None when it names nothing)."""
    text = text.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    text = text.split("#", 1)[0]
    if not text:
        return None
    query = SearchForm(QueryDict(text)).to_query()
    query = replace(query, page=1, per_page=SearchQuery().per_page, sort="relevance")
    # Nothing readable names the whole archive, which every table shows beside the lines.
    return None if query == SearchQuery() else query


def querystring(query: SearchQuery) -> str:
    """The search's part after ? in its canonical URL."""
    url = search_url(query)
    return url.split("?", 1)[1] if "?" in url else ""


def in_period(query: SearchQuery, year: str) -> SearchQuery:
    """The search narrowed to one year (its articles of that year, nothing else)."""
    return replace(query, filters={**query.filters, "year": (year,)}, page=1)


@dataclass
class Line:
    index: int
    query: SearchQuery
    label: str
    url: str
    total: int
    counts: list[int]
    shares: list[float | None]
    swatch: SafeString = field(default_factory=lambda: mark_safe(""))


@dataclass
class Row:
    period: str
    archive: int
    cells: list[tuple[str, str | None]]  # (shown value, link to the search of that period)


def chart_rows(lines: list[Line], keys: list[str], archive: list[int], bucket: str, scale: str):
    rows, path = [], reverse("search:search")
    for i, key in enumerate(keys):
        cells = []
        for line in lines:
            if scale == "share":
                cells.append((percent(line.shares[i]), None))
            else:
                n = line.counts[i]
                link = (
                    search_url(in_period(line.query, key), path=path)
                    if bucket == "year" and n
                    else None
                )
                cells.append((f"{n:,}", link))
        rows.append(Row(key, archive[i], cells))
    return rows


def draw(chart_id: str, title: str, lines: list[Line], keys: list[str], bucket: str, scale: str):
    share = scale == "share"
    series = [charts.Series(line.label, line.shares if share else line.counts) for line in lines]
    names = "; ".join(f"{line.label}: {line.total:,} articles" for line in lines)
    span = f"{keys[0]} to {keys[-1]}" if keys else "no dated articles"
    description = (
        f"{SCALES[scale]} per {bucket}, {span}. {names}. The numbers are in the table below."
    )
    args = dict(
        title=title,
        description=description,
        periods=keys,
        series=series,
        x_label=BUCKETS[bucket],
        y_label="% of the archive's articles" if share else "Articles",
        fmt=(lambda v: f"{v:g} %") if share else (lambda v: f"{v:,.0f}"),
        integer=not share,
    )
    # Two drawings of one chart; CSS shows the narrow one on phones (see charts.NARROW).
    return (
        mark_safe(charts.line_chart(chart_id=chart_id, **args)),
        mark_safe(charts.line_chart(chart_id=f"{chart_id}-narrow", width=charts.NARROW, **args)),
    )


def lines_for(backend: SearchBackend, queries: list[SearchQuery], labels=None, known=None):
    """(lines, archive timeline): each query's timeline beside the whole archive's.
    `known`: (archive timeline, the queries' timelines) when already asked for."""
    if known is None:  # asked together: the engine may share the work
        archive, *timelines = backend.timelines([SearchQuery(), *queries])
    else:
        archive, timelines = known
    lines = []
    for i, query in enumerate(queries):
        t = timelines[i]
        lines.append(
            (
                Line(
                    index=i,
                    query=query,
                    label=labels[i] if labels else describe(query),
                    url=search_url(query),
                    total=t.total,
                    counts=[],
                    shares=[],
                    swatch=mark_safe(charts.swatch(i)),
                ),
                t,
            )
        )
    return lines, archive


def coverage(
    backend, queries, bucket: str, scale: str, title: str, labels=None, known=None
) -> dict:
    """Everything a coverage chart and its table need (`known`: see lines_for)."""
    pairs, archive = lines_for(backend, queries, labels, known)
    # The archive's whole span, so that a quiet period shows as zero, not as nothing.
    keys = periods([archive, *(t for _, t in pairs)], bucket)
    archive_counts = counts_of(archive, bucket, keys)
    lines = []
    for line, t in pairs:
        line.counts = counts_of(t, bucket, keys)
        line.shares = shares(line.counts, archive_counts)
        lines.append(line)
    chart, narrow = draw("coverage-chart", title, lines, keys, bucket, scale)
    return {
        "lines": lines,
        "periods": keys,
        "rows": chart_rows(lines, keys, archive_counts, bucket, scale),
        "chart": chart,
        "chart_narrow": narrow,
        "bucket": bucket,
        "scale": scale,
        "undated": [(line.label, line.total - sum(line.counts)) for line in lines],
        "archive_total": archive.total,
    }


def option(value: str | None, choices: dict, default: str) -> str:
    return value if value in choices else default


# -- entity pages ------------------------------------------------------------------------------


@dataclass
class Neighbour:
    name: str
    count: int
    url: str  # the search for articles naming both
    page: str | None  # the neighbour's own page


def narrow(query: SearchQuery, facet: str, value: str) -> SearchQuery:
    """The search with a value of a facet required. Values of one facet are ORed as facet
    parameters, so when the facet already has a selection the value joins the query text as
    a field term (city:"..." / org:"..."), which every engine ANDs."""
    if not query.selected(facet):
        return replace(query, filters={**query.filters, facet: (value,)}, page=1)
    field = "city" if facet == "city" else "org"
    term = f'{field}:"{value.replace(chr(34), " ")}"'
    return replace(query, q=f"{query.q} {term}".strip(), page=1)


def both_url(
    query: SearchQuery, facet: str, name: str, other_facet: str, other: str, path: str | None = None
) -> str:
    """The search for the query's articles naming both values. Pages with hundreds of these
    links pass the search page's `path`: reverse() was a third of the pair page's time."""
    return search_url(narrow(narrow(query, facet, name), other_facet, other), path=path)


def entity_context(backend: SearchBackend, entity, bucket: str, scale: str) -> dict:
    """The page of one city or organisation (the view adds links to the neighbours' pages)."""
    kind = entity.kind
    query = SearchQuery(filters={kind: (entity.name,)})
    other = OTHER[kind]
    # Everything below from one call: the engine may answer it in one pass.
    seen = backend.overview(query, {other: 12, kind: 13, "source": 10}, newest=10)
    chart = coverage(
        backend,
        [query],
        bucket,
        scale,
        f"Coverage of {entity.name} per {bucket}",
        labels=[entity.name],
        known=(seen.archive, [seen.timeline]),
    )
    path = reverse("search:search")
    partners = [
        Neighbour(
            f.value, f.count, both_url(SearchQuery(), kind, entity.name, other, f.value, path), None
        )
        for f in seen.values[other]
    ]
    peers = [
        Neighbour(
            f.value, f.count, both_url(SearchQuery(), kind, entity.name, kind, f.value, path), None
        )
        for f in seen.values[kind]
        if f.value != entity.name
    ][:12]
    return {
        "entity": entity,
        "kind": kind,
        "other": other,
        "query": query,
        "total": chart["lines"][0].total,
        "search_url": search_url(query),
        "pairs_url": reverse("search:pairs") + "?" + querystring(query),
        "compare_url": reverse("search:compare") + "?" + urlencode([("s", querystring(query))]),
        **chart,
        "partners": partners,
        "peers": peers,
        "sources": [
            Neighbour(
                f.value, f.count, search_url(narrow(query, "source", f.value), path=path), None
            )
            for f in seen.values["source"]
        ],
        "latest": seen.newest,
    }


# -- who works with whom ---------------------------------------------------------------------

SHADES = 6
MATRIX_SIZE = 12  # rows and columns drawn
PAIR_VALUES = 30  # values of each facet whose pairs are ranked
RANKED_PAIRS = 25


@dataclass
class Cell:
    count: int
    shade: int  # 0 (none) .. SHADES - 1 (the strongest pair of the matrix)
    url: str | None


@dataclass
class MatrixRow:
    name: str
    count: int
    cells: list[Cell]
    page: str


def matrix(query: SearchQuery, co) -> dict:
    same = co.row_facet == co.col_facet
    path = reverse("search:search")
    lookup = reverse(f"search:{co.row_facet}-lookup")
    shown_rows = {f.value for f in co.rows[:MATRIX_SIZE]}
    shown_cols = {f.value for f in co.cols[:MATRIX_SIZE]}
    off_diagonal = [
        n
        for (r, c), n in co.cells.items()
        if r in shown_rows and c in shown_cols and not (same and r == c)
    ]
    peak = max(off_diagonal, default=0) or 1
    rows = []
    for r in co.rows[:MATRIX_SIZE]:
        cells = []
        for c in co.cols[:MATRIX_SIZE]:
            n = co.count(r.value, c.value)
            if same and r.value == c.value:
                cells.append(Cell(n, -1, None))  # the diagonal: a value with itself
                continue
            shade = 0 if not n else 1 + round((SHADES - 2) * n / peak)
            url = both_url(query, co.row_facet, r.value, co.col_facet, c.value, path) if n else None
            cells.append(Cell(n, shade, url))
        page = f"{lookup}?{urlencode({'name': r.value})}"
        rows.append(MatrixRow(r.value, r.count, cells, page))
    ranked = [
        {
            "row": p.row,
            "col": p.col,
            "count": p.count,
            "url": both_url(query, co.row_facet, p.row, co.col_facet, p.col, path),
        }
        for p in co.pairs()[:RANKED_PAIRS]
    ]
    return {"cols": co.cols[:MATRIX_SIZE], "rows": rows, "ranked": ranked, "co": co}


def pairs_context(backend: SearchBackend, query: SearchQuery) -> dict:
    city_org, org_org = backend.cooccurrences(
        query, [("city", "organisation"), ("organisation", "organisation")], PAIR_VALUES
    )
    return {
        "query": query,
        "label": describe(query),
        "total": city_org.total,
        "search_url": search_url(query),
        "city_org": matrix(query, city_org),
        "org_org": matrix(query, org_org),
    }
