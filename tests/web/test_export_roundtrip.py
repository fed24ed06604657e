"""Every export format of a hostile corpus, read back by the parsers researchers use (pandas,
rispy, bibtexparser, pybtex, plain json) and compared field by field with the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import bibtexparser
import pandas as pd
import pybtex.database
import pytest
import rispy
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from search.engines.base import get_backend
from search.models import Article, City, Organisation

pytestmark = pytest.mark.django_db

SITE = "https://archive.example.org/smartcity"
TITLES = [
    "Smart city {draft plan} and {unbalanced brace",
    "A closing brace first } then text",
    "Path ends with a backslash \\",
    "Back\\slash \\textbf{not a command} \\\\ twice",
    "100% of #tags & ~tilde ^caret _under $dollar",
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(1,2) plus start",
    "-2+3 minus start",
    "@SUM(A1) at start",
    "\tTab-led title",
    "深圳智慧城市建设 — “quotes” and ‘single’ Zürich São Paulo 🚦",
    '@article{evil, title = "injected"} inside a title',
    'Quote " and comma , and semicolon ; in a title',
    "ER  - looks like a RIS end tag",
    "Line\nbreaks\r\nin the\ttitle",
]
SOURCES = ["=cmd|' /C calc'!A0", "Xinhua, Beijing bureau", "{People's} Daily", "", "Caixin & Co"]
CITIES = ["Shenzhen", "Xi'an", "São Paulo", "-Minus City", "Zürich {ZH}"]
ORGS = [
    "Ministry of Housing, Communities and Local Government",
    "@Org handle",
    "AT&T",
    "Huawei Technologies Co., Ltd.",
    "100% Green_Energy $Corp",
]
URLS = [
    "https://example.org/news?id=1&lang=en#top",
    "https://example.org/a%20b/{weird}/path\\x",
    "",
    "http://example.org/=HYPERLINK(1)",
    "https://例子.example/新闻/1",
]
LANGUAGES = ["en", "zh-Hans", "zh-Hant", "", "en"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(db, settings):
    settings.SITE_URL = SITE
    cities = [City.objects.create(name=n) for n in CITIES]
    orgs = [Organisation.objects.create(name=n) for n in ORGS]
    ids = []
    for n, title in enumerate(TITLES):
        a = Article.objects.create(
            title=title,
            source_name=SOURCES[n % len(SOURCES)],
            source_url=URLS[n % len(URLS)],
            published_date=dt.date(2015 + n % 5, 1 + n % 12, 1 + n) if n % 4 else None,
            year=(2015 + n % 5) if n % 4 else None,
            language=LANGUAGES[n % len(LANGUAGES)],
            raw_content=title,
            body=f'{title}\n\nBody of article {n}: {{braces}} \\ % & =formula ; , "q"\n\nEnd.',
            content_hash=f"hostile-{n}",
        )
        a.cities.set(cities[n % 3 : n % 3 + 2])
        a.organisations.set(orgs[n % 4 : n % 4 + 2])
        ids.append(a.id)
    get_backend().rebuild()
    return list(Article.objects.filter(id__in=ids).prefetch_related("cities", "organisations"))


def export(client, fmt: str, **params) -> str:
    response = client.get(f"/export/{fmt}/", {"sort": "oldest", **params})
    assert response.status_code == 200, response.status_code
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def one_line(text: str) -> str:
    return " ".join(text.split())


def archive_url(a: Article) -> str:
    return SITE + a.get_absolute_url()


def by_id(articles) -> dict[int, Article]:
    return {a.id: a for a in articles}


def names(a: Article, kind: str) -> list[str]:
    return [x.name for x in getattr(a, kind).all()]


def unformula(cell: str) -> str:
    """A cell as the export wrote it, less the quote that keeps it from being a formula."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_START):
        return cell[1:]
    return cell


def test_csv_reads_back_in_pandas_with_no_formula_cell(hostile, client):
    text = export(client, "csv", text="full")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(frame) == len(hostile)
    # Every cell of every column, header included, is safe in a spreadsheet.
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    db = by_id(hostile)
    for row in frame.to_dict("records"):
        a = db[int(row["id"])]
        assert unformula(row["title"]) == a.title
        assert unformula(row["source"]) == a.source_name
        assert row["date"] == (a.published_date.isoformat() if a.published_date else "")
        assert row["year"] == (str(a.year) if a.year else "")
        assert row["language"] == a.language
        assert [unformula(c) for c in row["cities"].split("; ") if c] == names(a, "cities")
        orgs = [unformula(o) for o in row["organisations"].split("; ") if o]
        assert orgs == names(a, "organisations")
        assert row["source_url"] == a.source_url
        assert row["archive_url"] == archive_url(a)
        assert unformula(row["text"]) == a.body


def test_json_and_json_lines(hostile, client):
    data = json.loads(export(client, "json", text="snippet"))
    assert data["total"] == data["exported"] == len(hostile)
    lines = pd.read_json(io.StringIO(export(client, "jsonl")), lines=True, dtype=False)
    assert len(lines) == len(hostile) and "text" not in lines.columns
    db = by_id(hostile)
    for item in data["results"]:
        a = db[item["id"]]
        assert item["title"] == a.title and item["source"] == (a.source_name or None)
        assert item["date"] == (a.published_date.isoformat() if a.published_date else None)
        assert item["language"] == (a.language or None)
        assert item["cities"] == names(a, "cities")
        assert item["organisations"] == names(a, "organisations")
        assert item["source_url"] == (a.source_url or None)
        assert item["archive_url"] == archive_url(a)
        assert one_line(a.body).startswith(item["text"].removesuffix(" …"))
    for item in lines.to_dict("records"):
        a = db[int(item["id"])]
        assert item["title"] == a.title and item["archive_url"] == archive_url(a)
        assert list(item["organisations"]) == names(a, "organisations")


def test_csl_json_items_are_newspaper_articles(hostile, client):
    items = json.loads(export(client, "csl"))
    db = by_id(hostile)
    assert len(items) == len(hostile)
    for item in items:
        a = db[int(item["id"].removeprefix("smartcity-"))]
        assert item["type"] == "article-newspaper"
        assert item["title"] == a.title
        assert item.get("container-title", "") == a.source_name
        assert item["URL"] == (a.source_url or archive_url(a))
        assert item["archive_location"] == archive_url(a)
        if a.published_date:
            d = a.published_date
            assert item["issued"] == {"date-parts": [[d.year, d.month, d.day]]}
        else:
            assert "issued" not in item
        assert item.get("language", "") == a.language


def test_ris_reads_back_in_rispy(hostile, client):
    entries = rispy.loads(export(client, "ris"))
    db = by_id(hostile)
    assert len(entries) == len(hostile)
    for e in entries:
        a = db[int(e["id"].removeprefix("smartcity-"))]
        assert e["type_of_reference"] == "NEWS"
        assert e["title"] == one_line(a.title)
        assert e.get("secondary_title", "") == a.source_name
        assert e.get("year", "") == (str(a.year) if a.year else "")
        assert e.get("language", "") == a.language
        assert e["keywords"] == names(a, "cities") + names(a, "organisations")
        assert e["urls"] == [u for u in (a.source_url, archive_url(a)) if u]


def latex_reader() -> LatexNodes2Text:
    """LaTeX to text as LaTeX prints it. pylatexenc 2.11 lacks three textcomp commands;
    they are added with the characters LaTeX defines them as."""
    context = get_default_latex_context_db()
    context.add_context_category(
        "textcomp-extra",
        prepend=True,
        macros=[
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"),
        ],
    )
    return LatexNodes2Text(latex_context=context, math_mode="verbatim", strict_latex_spaces=True)


def split_keywords(value: str) -> list[str]:
    """biblatex's reading of a keywords list: commas at brace depth 0 separate items, and
    one pair of braces around a whole item is dropped."""
    items, depth, current = [], 0, ""
    for ch in value:
        depth += (ch == "{") - (ch == "}")
        if ch == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += ch
    items.append(current.strip())
    return [i[1:-1] if i.startswith("{") and i.endswith("}") else i for i in items if i]


def check_bib_fields(a: Article, fields: dict, latex: LatexNodes2Text) -> None:
    title = fields["title"]
    assert title.startswith("{") and title.endswith("}")
    assert latex.latex_to_text(title[1:-1]) == one_line(a.title)
    assert latex.latex_to_text(fields.get("journal", "")) == a.source_name
    assert fields.get("year", "") == (str(a.year) if a.year else "")
    assert fields["url"] == (a.source_url or archive_url(a)).replace("{", "%7B").replace(
        "}", "%7D"
    ).replace("\\", "%5C")
    assert latex.latex_to_text(fields["note"]) == "Archived at " + archive_url(a)
    keywords = [latex.latex_to_text(k) for k in split_keywords(fields["keywords"])]
    assert keywords == names(a, "cities") + names(a, "organisations")


def test_bibtex_reads_back_entry_by_entry_in_bibtexparser_and_pybtex(hostile, client):
    text = export(client, "bibtex")
    db = by_id(hostile)
    latex = latex_reader()

    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == len(hostile)
    for entry in library.entries:
        a = db[int(entry.key.removeprefix("smartcity"))]
        check_bib_fields(a, {k: f.value for k, f in entry.fields_dict.items()}, latex)

    parsed = pybtex.database.parse_string(text, "bibtex")
    assert len(parsed.entries) == len(hostile)
    for key, entry in parsed.entries.items():
        a = db[int(key.removeprefix("smartcity"))]
        check_bib_fields(a, {k.lower(): v for k, v in entry.fields.items()}, latex)
