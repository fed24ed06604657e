"""Export a whole result set, streamed: CSV, JSON, JSON Lines, RIS, BibTeX and CSL-JSON.

The engine runs the query once (SearchBackend.all_ids gives every matching id in order, up to
SEARCH_EXPORT_MAX); rows are then read from the database, which is the source of truth, a
chunk of ids at a time and written out as they come, so memory stays flat however many rows
go out. Every format carries the original URL and the archive page's absolute URL, built from
the SITE_URL setting (never from whatever host name a request carried).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from search.checks import DEFAULT_SITE_URL
from search.engines.base import SearchQuery
from search.links import query_params
from search.models import Article


@dataclass(frozen=True)
class Format:
    content_type: str
    extension: str
    label: str


FORMATS = {
    "csv": Format("text/csv; charset=utf-8", "csv", "CSV"),
    "json": Format("application/json; charset=utf-8", "json", "JSON"),
    "jsonl": Format("application/x-ndjson; charset=utf-8", "jsonl", "JSON Lines"),
    "ris": Format("application/x-research-info-systems; charset=utf-8", "ris", "RIS"),
    "bibtex": Format("application/x-bibtex; charset=utf-8", "bib", "BibTeX"),
    "csl": Format("application/vnd.citationstyles.csl+json; charset=utf-8", "csl.json", "CSL-JSON"),
}
# What of the article text goes with each row (CSV and JSON formats).
TEXT_CHOICES = ("none", "snippet", "full")
SNIPPET_CHARS = 300
CHUNK = 200  # database rows read (and held) at a time


def export_max() -> int:
    return int(getattr(settings, "SEARCH_EXPORT_MAX", 100_000))


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", DEFAULT_SITE_URL)).rstrip("/")


def public_url(path: str, request) -> str:
    """The absolute address of one of the site's pages for a canonical link: under SITE_URL
    once it is set (the public name, whatever host or proxy address the request carried),
    else under the host the request came in on (a development server on another port)."""
    if site_url() != DEFAULT_SITE_URL:
        return site_url() + path
    return request.build_absolute_uri(path)


@dataclass(frozen=True)
class Record:
    id: int
    title: str
    date: str | None
    year: int | None
    source: str
    language: str
    source_url: str  # the original article on the web ("" when unknown)
    archive_url: str  # absolute URL of the article page here
    cities: tuple[str, ...]
    organisations: tuple[str, ...]
    text: str | None  # snippet or full text when asked for, else None
    copy_group: int | None = None  # the story's copy group (None: no copies known)
    copies: int = 1  # articles in that story, this one included


def snippet(body: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(body.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _names(through, fk: str, ids) -> dict[int, list[str]]:
    """Article id -> names of its cities or organisations, ordered by name (as the models)."""
    out: dict[int, list[str]] = {}
    rows = through.objects.filter(article_id__in=ids).values_list("article_id", f"{fk}__name")
    for article_id, name in rows.order_by(f"{fk}__name"):
        out.setdefault(article_id, []).append(name)
    return out


def records(ids: Sequence[int], text: str = "none") -> Iterator[Record]:
    """Records for these article ids, in their order, read CHUNK rows at a time (ids whose
    row has gone since the search are skipped). Plain value rows, not model instances with
    prefetched relations: those cost ten times the memory per row."""
    base = site_url()
    fields = ["id", "title", "slug", "published_date", "year", "source_name", "language"]
    # The body only when asked for; otherwise a second id keeps every row nine columns wide.
    fields += ["source_url", "body" if text != "none" else "id", "copy_group", "copy_group__size"]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_id = {row[0]: row for row in Article.objects.filter(id__in=chunk).values_list(*fields)}
        cities = _names(Article.cities.through, "city", chunk)
        orgs = _names(Article.organisations.through, "organisation", chunk)
        for pk in chunk:
            row = by_id.get(pk)
            if row is None:
                continue
            _, title, slug, date, year, source, language, source_url, body, group, size = row
            if text == "snippet":
                body = snippet(body)
            path = reverse("search:article", kwargs={"pk": pk, "slug": slug or "article"})
            yield Record(
                id=pk,
                title=title,
                date=date.isoformat() if date else None,
                year=year,
                source=source,
                language=language,
                source_url=source_url,
                archive_url=base + path,
                cities=tuple(cities.get(pk, ())),
                organisations=tuple(orgs.get(pk, ())),
                text=body if text != "none" else None,
                copy_group=group,
                copies=size or 1,
            )


def filename(query: SearchQuery, fmt: str) -> str:
    """e.g. smartcity-search_q-iot_city-Nanjing-Wuxi_year-2017.csv (query and filters kept)."""
    parts = ["smartcity-search"]
    params = query_params(replace(query, page=1, per_page=SearchQuery().per_page))
    for key in params:
        values = "-".join(slugify(v) or "x" for v in params.getlist(key))
        parts.append(f"{key}-{values}")
    stem = "_".join(parts)[:150].rstrip("-_")
    return f"{stem}.{FORMATS[fmt].extension}"


# -- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id", "title", "date", "year", "source", "language", "cities", "organisations",
    "source_url", "archive_url", "copy_group", "copies",
]  # fmt: skip
LIST_SEPARATOR = "; "
# A cell starting with one of these is read as a formula (or DDE call) by Excel, LibreOffice
# and Google Sheets; tab and carriage return let the next character do the same. The
# full-width forms are folded to ASCII by some of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_safe(value) -> str:
    """A cell value that no spreadsheet reads as a formula: a leading ' is shown as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_line(cells: Iterable) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([csv_safe(c) for c in cells])
    return out.getvalue()


def to_csv(rows: Iterable[Record], text: str = "none") -> Iterator[str]:
    header = [*CSV_COLUMNS, *(["text"] if text != "none" else [])]
    yield _csv_line(header)
    for r in rows:
        cells = [
            r.id, r.title, r.date, r.year, r.source, r.language,
            LIST_SEPARATOR.join(r.cities), LIST_SEPARATOR.join(r.organisations),
            r.source_url, r.archive_url, r.copy_group, r.copies,
        ]  # fmt: skip
        if text != "none":
            cells.append(r.text)
        yield _csv_line(cells)


# -- JSON, JSON Lines ---------------------------------------------------------------------


def _json_item(r: Record) -> dict:
    item = {
        "id": r.id,
        "title": r.title,
        "date": r.date,
        "year": r.year,
        "source": r.source or None,
        "language": r.language or None,
        "cities": list(r.cities),
        "organisations": list(r.organisations),
        "source_url": r.source_url or None,
        "archive_url": r.archive_url,
        "copy_group": r.copy_group,
        "copies": r.copies,
    }
    if r.text is not None:
        item["text"] = r.text
    return item


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def to_json(query: SearchQuery, total: int, limit: int, rows: Iterable[Record]) -> Iterator[str]:
    """One JSON object: the search, then its results array, streamed element by element."""
    head = {
        "query": query.q,
        "filters": {facet: list(values) for facet, values in query.filters.items()},
        "year_from": query.year_from,
        "year_to": query.year_to,
        "sort": query.sort,
        "copies": "all" if query.all_copies else "one per story",
        "total": total,
        "limit": limit,
    }
    yield _dumps(head)[:-1] + ', "results": [\n'
    count = 0
    for r in rows:
        yield ("" if count == 0 else ",\n") + _dumps(_json_item(r))
        count += 1
    yield f'\n], "exported": {count}}}\n'


def to_jsonl(rows: Iterable[Record]) -> Iterator[str]:
    for r in rows:
        yield _dumps(_json_item(r)) + "\n"


# -- CSL-JSON -----------------------------------------------------------------------------


def csl_item(r: Record) -> dict:
    """A CSL-JSON item (the citation-style-language schema's `article-newspaper`)."""
    item = {
        "id": f"smartcity-{r.id}",
        "type": "article-newspaper",
        "title": r.title,
        "URL": r.source_url or r.archive_url,
        "archive": "Smart City Search",
        "archive_location": r.archive_url,
    }
    if r.source:
        item["container-title"] = r.source
    if r.date:
        item["issued"] = {"date-parts": [[int(p) for p in r.date.split("-")]]}
    elif r.year:
        item["issued"] = {"date-parts": [[r.year]]}
    if r.language:
        item["language"] = r.language
    keywords = [*r.cities, *r.organisations]
    if keywords:
        # CSL has one keyword string; citeproc processors show it as given.
        item["keyword"] = ", ".join(keywords)
    return item


def to_csl(rows: Iterable[Record]) -> Iterator[str]:
    yield "[\n"
    first = True
    for r in rows:
        yield ("" if first else ",\n") + _dumps(csl_item(r))
        first = False
    yield "\n]\n"


# -- RIS ----------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _ris_lines(r: Record) -> Iterator[str]:
    yield "TY  - NEWS"
    yield f"TI  - {_one_line(r.title)}"
    if r.source:
        yield f"T2  - {_one_line(r.source)}"
    if r.year:
        yield f"PY  - {r.year}"
    if r.date:
        yield f"DA  - {r.date.replace('-', '/')}"
    if r.language:
        yield f"LA  - {r.language}"
    for kw in (*r.cities, *r.organisations):
        yield f"KW  - {_one_line(kw)}"
    # The original first: reference managers keep the first UR as the item's URL.
    if r.source_url:
        yield f"UR  - {_one_line(r.source_url)}"
    yield f"UR  - {r.archive_url}"
    yield f"ID  - smartcity-{r.id}"
    yield "ER  - "


def to_ris(rows: Iterable[Record]) -> Iterator[str]:
    for r in rows:
        yield "\r\n".join(_ris_lines(r)) + "\r\n\r\n"


# -- BibTeX -------------------------------------------------------------------------------

# BibTeX counts every brace, escaped or not, so a literal brace must not be written as one:
# the LaTeX text commands below keep each field's braces balanced whatever the text holds,
# and each special character reads back as itself in LaTeX and in BibTeX parsers.
BIB_TEXT = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "$": r"\$",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_SPECIAL = re.compile("[" + re.escape("".join(BIB_TEXT)) + "]")
# Characters a URL never holds raw (RFC 3986) that would unbalance or end a BibTeX field.
_URL_UNSAFE = re.compile(r'[{}\\\s"<>^`|]')


def bib_text(text: str) -> str:
    return _BIB_SPECIAL.sub(lambda m: BIB_TEXT[m[0]], _one_line(text))


def bib_url(url: str) -> str:
    """A URL for the url field (read verbatim by biblatex and hyperref): percent-encoded
    where it holds characters that a URL may not."""
    return _URL_UNSAFE.sub(lambda m: quote(m[0], safe=""), url.strip())


def bib_keywords(names: Iterable[str]) -> str:
    """biblatex reads keywords as a comma-separated list whose items may be braced: a name
    with a comma stays one keyword."""
    out = []
    for name in names:
        text = bib_text(name)
        out.append("{" + text + "}" if "," in text else text)
    return ", ".join(out)


def _bib_entry(r: Record) -> str:
    # The title in an extra pair of braces keeps its capitals in styles that lowercase titles.
    fields = [("title", "{" + bib_text(r.title) + "}")]
    if r.source:
        fields.append(("journal", bib_text(r.source)))
    if r.year:
        fields.append(("year", str(r.year)))
    if r.date:
        fields.append(("date", r.date))
    if r.language:
        fields.append(("language", bib_text(r.language)))
    fields.append(("url", bib_url(r.source_url or r.archive_url)))
    fields.append(("note", "Archived at " + bib_text(r.archive_url)))
    keywords = bib_keywords((*r.cities, *r.organisations))
    if keywords:
        fields.append(("keywords", keywords))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@article{{smartcity{r.id},\n{body}\n}}\n"


def to_bibtex(rows: Iterable[Record]) -> Iterator[str]:
    for n, r in enumerate(rows):
        yield ("\n" if n else "") + _bib_entry(r)


# -- one entry point ----------------------------------------------------------------------


def stream(
    fmt: str, query: SearchQuery, total: int, ids: Sequence[int], text: str = "none"
) -> Iterator[bytes]:
    """The export file, piece by piece, as UTF-8."""
    if fmt not in ("csv", "json", "jsonl"):
        text = "none"  # reference formats carry metadata only
    rows = records(ids, text)
    if fmt == "csv":
        parts = to_csv(rows, text)
    elif fmt == "json":
        parts = to_json(query, total, export_max(), rows)
    elif fmt == "jsonl":
        parts = to_jsonl(rows)
    elif fmt == "ris":
        parts = to_ris(rows)
    elif fmt == "csl":
        parts = to_csl(rows)
    else:
        parts = to_bibtex(rows)
    for part in parts:
        yield part.encode("utf-8")
