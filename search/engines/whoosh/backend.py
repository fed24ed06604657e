"""The embedded engine: a Whoosh index in SEARCH_INDEX_DIR.

The index stores only what ranking and faceting need (the article id, year, date, cities,
organisations and the analysed title and body); the ten shown hits are read from the
database, which is the source of truth, and highlighted there. Query evaluation, facet
counts and sorting run on numpy arrays (state.py, query.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.html import escape
from whoosh import index
from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.support.charset import accent_map

from search.engines.base import (
    FACETS,
    FacetCount,
    Hit,
    IndexDoc,
    MatchedIds,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
    documents,
    hit_for,
    ordered_counts,
)
from search.engines.whoosh import write as whoosh_write
from search.engines.whoosh.highlight import Highlighter
from search.engines.whoosh.query import Evaluator, QueryParser, plain_words
from search.engines.whoosh.state import SearchState

ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)
HIGHLIGHTER = Highlighter(ANALYZER)
SNIPPET_CHARS = 300
FEW_RESULTS = 3
# Reading the index through mmap is faster but its touched pages count as resident memory.
USE_MMAP = (
    os.environ.get("SEARCH_WHOOSH_MMAP", "0") == "1"
)  # below this many hits, offer a spelling suggestion

SCHEMA = Schema(
    id=NUMERIC(int, bits=64, stored=True, unique=True, signed=False, sortable=True),
    title=TEXT(analyzer=ANALYZER, field_boost=3.0),
    # No spelling=True: its second, unstemmed term list halves the indexing rate;
    # suggestions come from the stems and a matching article's words instead (_suggest).
    body=TEXT(analyzer=ANALYZER),
    source=ID(),
    language=ID(),
    date=NUMERIC(int, bits=32, sortable=True),  # proleptic ordinal, for sorting by date
    year=NUMERIC(int, bits=32, sortable=True),
    city=KEYWORD(commas=True, lowercase=False, scorable=False),
    organisation=KEYWORD(commas=True, lowercase=False, scorable=False),
    # 1: the article shown for its story; 2: a copy shown only with copies=all. (Not 0/1:
    # a sortable column reads its default value as missing, and missing means shown, so
    # that an index built before copy groups shows every article.)
    copy=NUMERIC(int, bits=8, sortable=True, signed=False),
)


def _join(values: Iterable[str]) -> str | None:
    # Commas separate the values of a KEYWORD field; a name never contains one.
    return ",".join(v.replace(",", " ") for v in values) or None


def index_fields(doc: IndexDoc) -> dict:
    fields = {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "source": doc.source or None,
        "language": doc.language or None,
        "date": doc.date.toordinal() if doc.date else None,
        "year": doc.year,
        "city": _join(doc.cities),
        "organisation": _join(doc.organisations),
        "copy": 1 if doc.is_representative else 2,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _plain_snippet(body: str) -> str:
    if len(body) <= SNIPPET_CHARS:
        return escape(body)
    cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return escape(cut) + " …"


def top_docs(candidates: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """The k candidates with the lowest key, ties by doc number (as Whoosh orders them)."""
    if k <= 0 or not len(candidates):
        return candidates[:0]
    if len(candidates) > k:
        kth = np.partition(key, k - 1)[k - 1]
        keep = key <= kth
        candidates, key = candidates[keep], key[keep]
    order = np.lexsort((candidates, key))[:k]
    return candidates[order]


class WhooshBackend(SearchBackend):
    def __init__(self, index_dir: str) -> None:
        self.path = Path(index_dir)
        self._lock = threading.RLock()
        self._ix = None
        self._state: SearchState | None = None
        self._parser = QueryParser(SCHEMA)
        self.write_wait = whoosh_write.WAIT_SECONDS  # how long an update waits for the lock

    # -- the index -----------------------------------------------------------------------

    def exists(self) -> bool:
        return index.exists_in(self.path)

    def _index(self):
        if self._ix is None or not self.exists():
            self._close()
            whoosh_write.create_if_missing(self.path, SCHEMA)
            # Plain file reads, not mmap: mapped pages of a 100k-article index count in the
            # process's resident memory as they are touched (hundreds of MB for phrases).
            self._ix = FileStorage(str(self.path), supports_mmap=USE_MMAP).open_index()
        return self._ix

    def _close(self) -> None:
        if self._state is not None:
            self._state.searcher.close()
        self._state, self._ix = None, None

    def state(self) -> SearchState:
        """The arrays of the current index generation (rebuilt after each commit)."""
        with self._lock:
            ix = self._index()
            try:
                generation = ix.latest_generation()
            except Exception:  # noqa: BLE001 - the directory was swapped by a rebuild
                self._close()
                ix = self._index()
                generation = ix.latest_generation()
            if self._state is None or self._state.generation != generation:
                if self._state is not None:
                    self._state.searcher.close()
                    self._state = None
                try:
                    searcher = ix.searcher()
                except (FileNotFoundError, OSError):  # swapped while opening: reopen
                    self._close()
                    searcher = self._index().searcher()
                self._state = SearchState(searcher, generation)
            return self._state

    def update(self, article_ids: Iterable[int]) -> None:
        ids = {int(i) for i in article_ids}
        if not ids:
            return
        # Journal first: if this writer cannot get the lock, the next one applies these ids.
        whoosh_write.journal(self.path, ids)
        with self._lock:
            ix = self._index()
        with whoosh_write.index_writer(ix, wait=self.write_wait) as writer:
            ids |= whoosh_write.drain(whoosh_write.journal_path(self.path))
            self._apply(writer, ids)

    @staticmethod
    def _apply(writer, ids: set[int]) -> None:
        found = set()
        for doc in documents(ids):
            writer.update_document(**index_fields(doc))
            found.add(doc.id)
        for gone in ids - found:
            writer.delete_by_term("id", gone)

    def rebuild(self, progress: Progress | None = None, procs: int | None = None) -> int:
        """Build a fresh index beside the live one, then swap it in.

        Searches keep using the old index meanwhile; ids updated while the rebuild read the
        database are journalled and applied to the new index after the swap.
        """
        # SEARCH_INDEX_PROCS (optional setting): processes analysing documents; tests use 1.
        procs = (
            procs or getattr(settings, "SEARCH_INDEX_PROCS", None) or min(2, os.cpu_count() or 1)
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        marker = whoosh_write.rebuild_marker(self.path)
        marker.write_text("")
        fresh = self.path.parent / f"{self.path.name}.new-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        count = 0
        try:
            ix = index.create_in(fresh, SCHEMA)
            # Several processes analyse batches of documents; multisegment skips the final
            # single-process merge (the searcher reads the segments side by side).
            # Uncompressed posting blocks: zlib was a third of the indexing time, for an
            # index about a third bigger.
            # limitmb per process: below ~1 GB Whoosh spills sorted runs to disk and merges
            # them in Python, which more than halves the rate at 100k articles.
            kwargs = {"codec": W3Codec(compression=0), "limitmb": 1024}
            if procs > 1:
                kwargs.update(procs=procs, multisegment=True)
            with whoosh_write.index_writer(ix, **kwargs) as writer:
                for doc in documents():
                    writer.add_document(**index_fields(doc))
                    count += 1
                    if progress:
                        progress(1)
            with self._lock:
                old = self.path.parent / f"{self.path.name}.old-{os.getpid()}"
                self._close()
                if self.path.exists():
                    self.path.rename(old)
                fresh.rename(self.path)
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            late = whoosh_write.drain(marker)
            marker.unlink(missing_ok=True)
        if late:
            self.update(late)
        return count

    # -- search --------------------------------------------------------------------------

    @staticmethod
    def _masks(state, match, sq: SearchQuery) -> tuple[np.ndarray, dict, np.ndarray]:
        """(matches before facet filters, each facet filter's mask, matches after them)."""
        base = match.mask & state.live
        if not sq.all_copies:
            base &= state.representative
        if sq.year_from is not None or sq.year_to is not None:
            lo, hi = sq.year_from or 0, sq.year_to or 10_000
            base &= (state.years >= lo) & (state.years <= hi)
        filters = {
            facet: state.facets[facet].mask(sq.selected(facet))
            for facet in FACETS
            if sq.selected(facet)
        }
        final = base.copy()
        for mask in filters.values():
            final &= mask
        return base, filters, final

    def all_ids(self, sq: SearchQuery, limit: int | None = None) -> MatchedIds:
        with self._lock:
            state = self.state()
            q, _ = self._parser.parse(sq.q)
            match = Evaluator(state)(q)
            _, _, final = self._masks(state, match, sq)
            total = int(final.sum())
            k = total if limit is None else min(limit, total)
            docnums = self._ranked(state, final, match.score, sq, k)
            return MatchedIds(total, state.article_ids[docnums].tolist())

    def search(self, sq: SearchQuery) -> SearchPage:
        with self._lock:
            state = self.state()
            q, notes = self._parser.parse(sq.q)
            evaluator = Evaluator(state)
            match = evaluator(q)
            base, filters, final = self._masks(state, match, sq)
            total = int(final.sum())
            facets = {}
            for facet in FACETS:
                # Disjunctive: every filter but this facet's own.
                mask = base.copy()
                for other, other_mask in filters.items():
                    if other != facet:
                        mask &= other_mask
                facets[facet] = self._facet_counts(state, facet, mask, sq.selected(facet))
            start = (sq.page - 1) * sq.per_page
            docnums = self._ranked(state, final, match.score, sq, start + sq.per_page)[start:]
            ranked = [(int(state.article_ids[d]), float(match.score[d])) for d in docnums]
            terms = set(evaluator.highlight_terms)
        hits = self._hits(ranked, terms)
        suggestion = self._suggest(sq.q) if total < FEW_RESULTS and sq.q.strip() else None
        return SearchPage(
            query=sq, total=total, hits=hits, facets=facets, suggestion=suggestion, notes=notes
        )

    @staticmethod
    def _ranked(state, final, score, sq: SearchQuery, k: int) -> np.ndarray:
        candidates = np.flatnonzero(final)
        sort = sq.sort
        if sort == "relevance" and not sq.q.strip():
            sort = "newest"  # nothing to rank by: the latest first
        if sort == "relevance":
            key = -score[candidates].astype(np.float64)
        elif sort == "newest":
            key = -state.dates[candidates].astype(np.float64)
        elif sort == "added":  # ids grow as articles are added
            key = -state.article_ids[candidates].astype(np.float64)
        else:  # oldest; undated articles last
            dates = state.dates[candidates].astype(np.float64)
            key = np.where(dates > 0, dates, np.inf)
        return top_docs(candidates, key, k)

    @staticmethod
    def _facet_counts(state, facet, mask, selected) -> list[FacetCount]:
        fi = state.facets[facet]
        counts = fi.counts(mask)
        chosen = {}
        for value in selected:
            ordinal = fi.ordinal(value)
            chosen[fi.names[ordinal] if ordinal is not None else value] = ordinal
        rows = {fi.names[i]: int(counts[i]) for i in np.flatnonzero(counts)}
        return ordered_counts(facet, rows, chosen)

    def _hits(self, ranked: list[tuple[int, float]], terms: set) -> list[Hit]:
        from search.models import Article

        if not ranked:
            return []
        rows = Article.objects.defer("raw_content").prefetch_related("cities", "organisations")
        by_id = {a.id: a for a in rows.filter(id__in=[i for i, _ in ranked])}
        hits, terms = [], frozenset(terms)
        for article_id, score in ranked:
            a = by_id.get(article_id)
            if a is None:  # deleted since the index was read
                continue
            snippet = HIGHLIGHTER.fragment(a.body, terms, SNIPPET_CHARS) or _plain_snippet(a.body)
            title_html = HIGHLIGHTER.whole(a.title, terms) or escape(a.title)
            hits.append(hit_for(a, score=score, title_html=title_html, snippet=snippet))
        return hits

    def _suggest(self, text: str) -> str | None:
        """The query with unknown words replaced by near words of the index, or None.

        Candidates are body stems within two edits (same first letter), the most frequent
        first; a stem is shown as the word it stands for in an article that contains it.
        """
        replacements = {}
        with self._lock:
            state = self.state()
            reader = state.searcher.reader()
            for word in dict.fromkeys(w.lower() for w in plain_words(text)):
                if len(word) < 3 or word.isdigit():
                    continue
                stem = _stem(word)
                if stem is None or ("body", stem) in reader or ("title", stem) in reader:
                    continue
                # Per segment: see Evaluator._expanded.
                near = {
                    t for leaf, _ in state.leaves for t in leaf.terms_within("body", stem, 2, 1)
                }
                near = [t for t in near if t != stem and len(t) > 1]
                if near:
                    best = max(near, key=lambda t: (reader.doc_frequency("body", t), t))
                    ids, _ = state.postings("body", best)
                    if len(ids):
                        replacements[word] = (best, int(state.article_ids[ids[0]]))
        out = text
        for word, (stem, article_id) in replacements.items():
            surface = _surface_word(article_id, stem)
            if surface:
                out = _replace_word(out, word, surface)
        return out if out != text else None

    def more_like_this(self, article_id: int, limit: int = 5) -> Sequence[Hit]:
        from search.models import Article

        body = Article.objects.filter(id=article_id).values_list("body", flat=True).first()
        if body is None:
            return []
        with self._lock:
            state = self.state()
            docnum = state.docnums_of([article_id]).get(article_id)
            if docnum is None:
                return []
            results = state.searcher.more_like(docnum, "body", text=body, top=limit)
            ranked = [(int(state.article_ids[h.docnum]), float(h.score or 0)) for h in results]
        return self._hits(ranked, set())


def _stem(word: str) -> str | None:
    tokens = [t.text for t in ANALYZER(word)]
    return tokens[0] if len(tokens) == 1 else None


def _surface_word(article_id: int, stem: str) -> str | None:
    """The first word of the article that analyses to this stem, lower-cased."""
    from search.models import Article

    row = Article.objects.filter(id=article_id).values_list("title", "body").first()
    if row is None:
        return None
    text = "\n".join(row)
    for token in ANALYZER(text, chars=True, removestops=False):
        if token.text == stem:
            return text[token.startchar : token.endchar].lower()
    return None


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)\b{re.escape(word)}\b", replacement, text)


def as_date(ordinal: int) -> dt.date | None:
    return dt.date.fromordinal(ordinal) if ordinal > 0 else None
