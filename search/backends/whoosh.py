"""The embedded engine: a Whoosh index in SEARCH_INDEX_DIR."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.urls import reverse
from django.utils.html import escape
from django.utils.text import slugify
from whoosh import highlight, index, query, sorting
from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.support.charset import accent_map

from search.backends.base import (
    FACETS,
    FacetCount,
    Hit,
    IndexDoc,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
    documents,
)

_ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)

SCHEMA = Schema(
    id=NUMERIC(int, stored=True, unique=True, signed=False),
    title=TEXT(analyzer=_ANALYZER, stored=True, field_boost=3.0),
    body=TEXT(analyzer=_ANALYZER, stored=True),
    source=ID(stored=True, sortable=True),
    date=DATETIME(stored=True, sortable=True),
    year=NUMERIC(int, stored=True, sortable=True),
    city=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
    organisation=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
    slug=STORED(),
)

_FIELD_ALIASES = {"org": "organisation", "organization": "organisation", "city": "city"}
_FIELD_ALIAS_RE = re.compile(r"\b(org|organization|city):", re.IGNORECASE)


def _fields(doc: IndexDoc) -> dict:
    from datetime import datetime

    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "source": doc.source or None,
        "date": datetime.combine(doc.date, datetime.min.time()) if doc.date else None,
        "year": doc.year,
        "city": ",".join(doc.cities) or None,
        "organisation": ",".join(doc.organisations) or None,
        "slug": slugify(doc.title, allow_unicode=True)[:200] or "article",
    }


class WhooshBackend(SearchBackend):
    def __init__(self, index_dir: str) -> None:
        self.path = Path(index_dir)

    # -- index ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return index.exists_in(self.path)

    def _index(self):
        if index.exists_in(self.path):
            return index.open_dir(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        return index.create_in(self.path, SCHEMA)

    def _writer(self, ix, timeout: float = 30.0):
        # Whoosh allows one writer; concurrent writers wait for the lock instead of failing.
        deadline = time.monotonic() + timeout
        while True:
            try:
                return ix.writer()
            except LockError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def update(self, article_ids: Iterable[int]) -> None:
        ids = set(article_ids)
        if not ids:
            return
        ix = self._index()
        with self._writer(ix) as writer:
            found = set()
            for doc in documents(ids):
                writer.update_document(**{k: v for k, v in _fields(doc).items() if v is not None})
                found.add(doc.id)
            for gone in ids - found:
                writer.delete_by_term("id", gone)

    def rebuild(self, progress: Progress | None = None) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(self.path, SCHEMA)
        count = 0
        with self._writer(ix) as writer:
            for doc in documents():
                writer.add_document(**{k: v for k, v in _fields(doc).items() if v is not None})
                count += 1
                if progress:
                    progress(1)
        return count

    # -- search --------------------------------------------------------------------------

    def _parse(self, ix, q: str) -> tuple[query.Query, list[str]]:
        parser = MultifieldParser(["title", "body"], ix.schema, group=AndGroup)
        q = _FIELD_ALIAS_RE.sub(lambda m: _FIELD_ALIASES[m[1].lower()] + ":", q)
        return parser.parse(q), []

    def _filter(self, sq: SearchQuery, skip: str | None = None) -> query.Query | None:
        parts = []
        for facet in FACETS:
            values = sq.selected(facet)
            if facet == skip or not values:
                continue
            if facet == "year":
                parts.append(query.Or([query.Term("year", int(v)) for v in values if v.isdigit()]))
            else:
                parts.append(query.Or([query.Term(facet, v) for v in values]))
        if sq.year_from is not None or sq.year_to is not None:
            parts.append(query.NumericRange("year", sq.year_from, sq.year_to))
        return query.And(parts) if parts else None

    def search(self, sq: SearchQuery) -> SearchPage:
        ix = self._index()
        with ix.searcher() as searcher:
            q, notes = self._parse(ix, sq.q) if sq.q.strip() else (query.Every(), [])
            sortedby = None
            if sq.sort == "newest":
                sortedby = sorting.FieldFacet("date", reverse=True)
            elif sq.sort == "oldest":
                sortedby = sorting.FieldFacet("date")
            results = searcher.search_page(
                q, sq.page, pagelen=sq.per_page, filter=self._filter(sq), sortedby=sortedby
            )
            results.results.fragmenter = highlight.ContextFragmenter(maxchars=300, surround=60)
            results.results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
            hits = [self._hit(h) for h in results]
            facets = {f: self._facet(searcher, q, sq, f) for f in FACETS}
            total = results.total
        return SearchPage(query=sq, total=total, hits=hits, facets=facets, notes=notes)

    def _facet(self, searcher, q, sq: SearchQuery, facet: str) -> list[FacetCount]:
        field = "year" if facet == "year" else facet
        results = searcher.search(
            q,
            limit=None,
            filter=self._filter(sq, skip=facet),
            groupedby=sorting.FieldFacet(field, allow_overlap=facet != "year"),
            maptype=sorting.Count,
        )
        counts = {str(k): v for k, v in results.groups(field).items() if k is not None}
        selected = set(sq.selected(facet))
        for value in selected:
            counts.setdefault(value, 0)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if facet == "year":
            ordered = sorted(counts.items(), reverse=True)
        return [FacetCount(v, c, v in selected) for v, c in ordered]

    def _hit(self, h) -> Hit:
        snippet = h.highlights("body", top=2) or escape(h.get("body", "")[:300])
        title_html = h.highlights("title") or escape(h["title"])
        date = h.get("date")
        return Hit(
            id=h["id"],
            score=h.score or 0.0,
            title=h["title"],
            title_html=title_html,
            snippet=snippet,
            url=reverse("search:article", kwargs={"pk": h["id"], "slug": h.get("slug", "article")}),
            date=date.date() if date else None,
            year=h.get("year"),
            source=h.get("source", ""),
            cities=tuple(filter(None, h.get("city", "").split(","))),
            organisations=tuple(filter(None, h.get("organisation", "").split(","))),
        )

    def more_like_this(self, article_id: int, limit: int = 5) -> Sequence[Hit]:
        ix = self._index()
        with ix.searcher() as searcher:
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return []
            results = searcher.more_like(docnum, "body", top=limit)
            return [self._hit(h) for h in results]
