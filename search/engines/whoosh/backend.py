"""The embedded engine: a Whoosh index in SEARCH_INDEX_DIR.

The index stores only what ranking and faceting need (the article id, year, date, cities,
organisations and the analysed title and body); the ten shown hits are read from the
database, which is the source of truth, and highlighted there. Query evaluation, facet
counts and sorting run on numpy arrays (state.py, query.py).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.html import escape
from whoosh import index
from whoosh.analysis import RegexTokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.query import Or, Term

from search.engines import query as qt
from search.engines import suggest
from search.engines.base import (
    FACETS,
    MAX_PAIR_VALUES,
    PAIR_FACETS,
    TALLY_FACETS,
    Cooccurrence,
    FacetCount,
    Hit,
    IndexDoc,
    MatchedIds,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
    Timeline,
    documents,
    hit_for,
    ordered_counts,
    parse_query,
    ranked_values,
)
from search.engines.highlight import ANALYZER, HIGHLIGHTER
from search.engines.whoosh import bulk
from search.engines.whoosh import write as whoosh_write
from search.engines.whoosh.identity import BuildStore, IndexMissing
from search.engines.whoosh.identity import identity as build_identity
from search.engines.whoosh.positions import PositionalText
from search.engines.whoosh.query import Evaluator, QueryTimeout, compile_tree
from search.engines.whoosh.sidecar import SidecarCodec
from search.engines.whoosh.state import SearchState, StaleState

SNIPPET_CHARS = 300
# The Article fields a hit shows (hit_for, Article.get_absolute_url) and the body it quotes.
HIT_FIELDS = (
    "id",
    "title",
    "slug",
    "body",
    "published_date",
    "year",
    "source_name",
    "source_url",
    "copy_group_id",
    "language",
)
NEAR_STEMS = 3  # vocabulary stems a misspelt word is compared with (the most frequent)
# Reading the index through mmap is faster but its touched pages count as resident memory.
USE_MMAP = (
    os.environ.get("SEARCH_WHOOSH_MMAP", "0") == "1"
)  # below this many hits, offer a spelling suggestion


class NameList(KEYWORD):
    """Facet names, one per line, each kept whole as typed (commas and case included)."""

    def __init__(self) -> None:
        super().__init__(lowercase=False, scorable=False)
        self.analyzer = RegexTokenizer(r"[^\n]+")


SCHEMA = Schema(
    id=NUMERIC(int, bits=64, stored=True, unique=True, signed=False, sortable=True),
    # Positions as varints (positions.py): phrases decode them without unpickling.
    title=PositionalText(analyzer=ANALYZER, field_boost=3.0),
    # No spelling=True: its second, unstemmed term list halves the indexing rate;
    # suggestions come from the stems and a matching article's words instead (_suggest).
    body=PositionalText(analyzer=ANALYZER),
    source=ID(),
    language=ID(),
    date=NUMERIC(int, bits=32, sortable=True),  # proleptic ordinal, for sorting by date
    year=NUMERIC(int, bits=32, sortable=True),
    city=NameList(),
    organisation=NameList(),
    # 1: the article shown for its story; 2: a copy shown only with copies=all. (Not 0/1:
    # a sortable column reads its default value as missing, and missing means shown, so
    # that an index built before copy groups shows every article.)
    copy=NUMERIC(int, bits=8, sortable=True, signed=False),
)


def _join(values: Iterable[str]) -> str | None:
    # One canonical name per line: names may hold commas ("Ping An ..., Ltd."), never a newline.
    return "\n".join(" ".join(v.split()) for v in values) or None


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
        self.store = BuildStore(self.path)
        self._lock = threading.RLock()
        self._ix = None
        self._build: str | None = None
        self._state: SearchState | None = None
        self.write_wait = whoosh_write.WAIT_SECONDS  # how long an update waits for the lock

    # -- the index: the build CURRENT names (identity.py) ----------------------------------

    def exists(self) -> bool:
        return self.store.current_folder() is not None

    def _index(self):
        """The live build, reopened when CURRENT names another one. Never creates an index:
        with none, an empty database is served empty and anything else is IndexMissing."""
        live = self.store.current_folder()
        if live is None:
            self._close()
            problem = self.store.broken_pointer()
            if problem is None and not _database_has_articles():
                self._build = "empty"
                return _empty_index()
            raise IndexMissing(
                f"the search index is missing ({problem or f'no index in {self.path}'}); "
                "run `manage.py rebuild_index`"
            )
        build, folder = live
        if self._ix is None or self._build != build:
            self._close()
            # Plain file reads, not mmap: mapped pages of a 100k-article index count in the
            # process's resident memory as they are touched (hundreds of MB for phrases).
            self._ix = FileStorage(str(folder), supports_mmap=USE_MMAP).open_index()
            self._build = build
        return self._ix

    def _close(self) -> None:
        if self._state is not None:
            self._retire(self._state)
        self._state, self._ix = None, None

    def _retire(self, state: SearchState) -> None:
        """A replaced state's searchers close once no search reads them (caller holds the
        lock)."""
        state.retired = True
        if not state.users:
            state.close()

    @contextmanager
    def _reading(self):
        """The current state, for one search in this thread. The lock is held only to pick
        the state: searches of several threads run side by side, each through its own
        searcher of the state (SearchState.searcher), and a state replaced meanwhile by a
        newer commit stays open until its last reader is done."""
        for attempt in range(3):
            with self._lock:
                state = self.state()
                state.users += 1
            try:
                state.searcher  # noqa: B018 - opens this thread's searcher of the same commit
            except StaleState:
                self._release(state)
                if attempt == 2:
                    raise
                continue
            break
        try:
            yield state
        finally:
            self._release(state)

    def _release(self, state: SearchState) -> None:
        with self._lock:
            state.users -= 1
            if state.retired and not state.users:
                state.close()

    def count(self) -> int:
        with self._lock:
            return self._index().doc_count()

    def identity(self) -> str:
        with self._lock:
            ix = self._index()
            try:
                return build_identity(self._build, ix.latest_generation())
            except OSError:  # the build was swapped and removed: read the new one
                self._close()
                return build_identity(self._build, self._index().latest_generation())

    def state(self) -> SearchState:
        """The arrays of the current build and commit (rebuilt after each commit or swap)."""
        with self._lock:
            ix = self._index()
            try:
                generation = ix.latest_generation()
            except Exception:  # noqa: BLE001 - the build was swapped and removed meanwhile
                self._close()
                ix = self._index()
                generation = ix.latest_generation()
            key = build_identity(self._build, generation)
            if self._state is None or self._state.generation != key:
                if self._state is not None:
                    self._retire(self._state)
                    self._state = None
                try:
                    searcher = ix.searcher()
                except (FileNotFoundError, OSError):  # swapped while opening: reopen
                    self._close()
                    ix = self._index()
                    key = build_identity(self._build, ix.latest_generation())
                    searcher = ix.searcher()
                self._state = SearchState(searcher, key, opener=ix.searcher)
            return self._state

    def update(self, article_ids: Iterable[int], wait: float | None = None) -> bool:
        ids = {int(i) for i in article_ids}
        if not ids:
            return True
        with self.store.writing() as rebuild_running:
            with self._lock:
                ix = self._writable_index()
            wait = self.write_wait if wait is None else wait
            # Uncompressed posting blocks, as in rebuild(): zlib is a third of the time.
            with whoosh_write.index_writer(ix, wait=wait, codec=SidecarCodec(compression=0)) as w:
                self._apply(w, ids)
        # While a rebuild runs, this went into a build about to be replaced.
        return not rebuild_running

    def _writable_index(self):
        if self.store.current_folder() is None:
            self.store.create_first(lambda folder: index.create_in(folder, SCHEMA))
        return self._index()

    @staticmethod
    def _apply(writer, ids: set[int]) -> None:
        # Delete every old entry with one searcher, then add the current ones: Whoosh's
        # update_document opens a searcher per document (~0.1 s each; 200 took 20 s).
        with writer.searcher() as searcher:
            old = Or([Term("id", i) for i in sorted(ids)])
            writer.delete_by_query(old, searcher=searcher)
        for doc in documents(ids):
            writer.add_document(**index_fields(doc))

    def rebuild(self, progress: Progress | None = None, procs: int | None = None) -> int:
        """Build a fresh index in a new build folder, then point CURRENT at it.

        Searches keep using the live build meanwhile; updates made while the rebuild reads
        the database keep their journal entries, which search.indexing replays afterwards.
        A failed or killed rebuild leaves the live build serving.
        """
        from search.models import Article

        n_articles = Article.objects.count()
        # SEARCH_INDEX_PROCS (optional setting): processes writing segments; tests use 1.
        # Forking costs more than it saves for a small archive.
        procs = procs or getattr(settings, "SEARCH_INDEX_PROCS", None)
        if procs is None:
            procs = 1 if n_articles < 2000 else min(2, os.cpu_count() or 1)
        with self.store.rebuilding():
            self.store.check_space(_text_bytes())
            fresh = self.store.new_folder()
            try:
                ix = index.create_in(fresh, SCHEMA)
                count = bulk.write_index(ix, index_fields, procs, progress)
                self.store.swap(fresh)
            except BaseException:
                shutil.rmtree(fresh, ignore_errors=True)
                raise
        with self._lock:
            self._close()
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
        parsed = parse_query(sq.q)
        deadline = time.monotonic() + settings.SEARCH_TIMEOUT_MS / 1000
        with self._reading() as state:
            evaluator = Evaluator(state, budget=parsed.budget, deadline=deadline)
            try:
                match, _ = self._match(evaluator, parsed)
            except QueryTimeout:
                return MatchedIds(0, [])
            _, _, final = self._masks(state, match, sq)
            total = int(final.sum())
            k = total if limit is None else min(limit, total)
            docnums = self._ranked(state, final, match.score, sq, k, not parsed.empty)
            return MatchedIds(total, state.article_ids[docnums].tolist())

    @staticmethod
    def _match(evaluator: Evaluator, parsed: qt.ParsedQuery):
        """The match of a parsed query, and for ranked queries how many hold every word."""
        if parsed.ranked:
            parts = [(compile_tree(c, ANALYZER), n) for c, n in qt.clauses(parsed.tree)]
            return evaluator.ranked(parts)
        return evaluator(compile_tree(parsed.tree, ANALYZER)), None

    def search(self, sq: SearchQuery) -> SearchPage:
        parsed = parse_query(sq.q)
        try:
            return self._search(sq, parsed)[0]
        except QueryTimeout:
            return SearchPage(
                query=sq,
                total=0,
                hits=[],
                facets={facet: [] for facet in FACETS},
                notes=[*parsed.notes, qt.timeout_note(settings.SEARCH_TIMEOUT_MS)],
            )

    def _search(
        self, sq: SearchQuery, parsed: qt.ParsedQuery, with_suggestion: bool = True
    ) -> tuple[SearchPage, int | None]:
        """The page, and for ranked queries how many articles hold every word."""
        notes = list(parsed.notes)
        deadline = time.monotonic() + settings.SEARCH_TIMEOUT_MS / 1000
        with self._reading() as state:
            evaluator = Evaluator(state, budget=parsed.budget, deadline=deadline)
            match, n_all = self._match(evaluator, parsed)
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
            scored = not parsed.empty
            docnums = self._ranked(state, final, match.score, sq, start + sq.per_page, scored)
            ranked = [(int(state.article_ids[d]), float(match.score[d])) for d in docnums[start:]]
            terms = set(evaluator.highlight_terms)
            notes += evaluator.notes
        if n_all is not None and n_all < qt.RANKED_FEW and total > n_all:
            notes.append(qt.ranked_note(n_all, total))
        hits = self._hits(ranked, terms)
        suggestion = None
        if with_suggestion:
            suggestion = self._suggest(sq, parsed, total if n_all is None else n_all)
        page = SearchPage(
            query=sq, total=total, hits=hits, facets=facets, suggestion=suggestion, notes=notes
        )
        return page, n_all

    def suggestion_count(self, sq: SearchQuery, text: str) -> int:
        """SearchBackend.suggestion_count without the page around the number: the base
        builds a whole page (facet counts, a highlighted hit read from the database) for
        each suggestion it weighs."""
        parsed = parse_query(text)
        deadline = time.monotonic() + settings.SEARCH_TIMEOUT_MS / 1000
        with self._reading() as state:
            evaluator = Evaluator(state, budget=parsed.budget, deadline=deadline)
            match, n_all = self._match(evaluator, parsed)
            if n_all is not None:
                return n_all
            return int(self._masks(state, match, replace(sq, q=text))[2].sum())

    def _matches(self, state, sq: SearchQuery) -> np.ndarray:
        """Every document the query matches, its facet filters applied."""
        parsed = parse_query(sq.q)
        deadline = time.monotonic() + settings.SEARCH_TIMEOUT_MS / 1000
        evaluator = Evaluator(state, budget=parsed.budget, deadline=deadline)
        try:
            match, _ = self._match(evaluator, parsed)
        except QueryTimeout:
            # Bounded like search(), which answers a query past its time with nothing found:
            # the aggregates of entity, compare and pair pages then count nothing.
            return np.zeros(state.size, dtype=bool)
        return self._masks(state, match, sq)[2]

    # -- aggregates (see the contract) ----------------------------------------------------

    def timeline(self, sq: SearchQuery) -> Timeline:
        with self._reading() as state:
            if sq == SearchQuery():  # the archive's, beside every chart: once per generation
                if state.archive_timeline is None:
                    state.archive_timeline = self._timeline(state, sq)
                return state.archive_timeline
            return self._timeline(state, sq)

    def _timeline(self, state, sq: SearchQuery) -> Timeline:
        final = self._matches(state, sq)
        years, months = state.years[final], state.months[final]
        year_values, year_counts = np.unique(years[years > 0], return_counts=True)
        month_values, month_counts = np.unique(months[months >= 0], return_counts=True)
        return Timeline(
            total=int(final.sum()),
            years={int(y): int(n) for y, n in zip(year_values, year_counts, strict=True)},
            months={
                f"{m // 12:04d}-{m % 12 + 1:02d}": int(n)
                for m, n in zip(month_values.tolist(), month_counts.tolist(), strict=True)
            },
        )

    def value_counts(self, sq: SearchQuery, facet: str, limit: int) -> list[FacetCount]:
        if facet not in TALLY_FACETS:
            raise ValueError(f"cannot count {facet!r}; one of {', '.join(TALLY_FACETS)}")
        with self._reading() as state:
            fi = state.facet(facet)
            counts = fi.counts(self._matches(state, sq))
        found = {fi.names[i]: int(counts[i]) for i in np.flatnonzero(counts)}
        return [FacetCount(v, n, False) for v, n in ranked_values(found, limit)]

    def cooccurrence(
        self, sq: SearchQuery, row_facet: str, col_facet: str, limit: int
    ) -> Cooccurrence:
        if row_facet not in PAIR_FACETS or col_facet not in PAIR_FACETS:
            raise ValueError(f"pairs are of {', '.join(PAIR_FACETS)}")
        limit = max(0, min(limit, MAX_PAIR_VALUES))
        with self._reading() as state:
            final = self._matches(state, sq)
            total = int(final.sum())
            sides = []
            for facet in (row_facet, col_facet):
                fi = state.facet(facet)
                counts = fi.counts(final)
                found = {fi.names[i]: int(counts[i]) for i in np.flatnonzero(counts)}
                top = ranked_values(found, limit)
                column = np.full(len(fi.names), -1, dtype=np.int64)
                column[[fi.ordinal(v) for v, _ in top]] = np.arange(len(top))
                keep = final[fi.doc_of] & (column[fi.val_of] >= 0)
                sides.append((top, fi.doc_of[keep], column[fi.val_of[keep]]))
        (rows, a_doc, a_col), (cols, b_doc, b_col) = sides
        grid = pair_counts(a_doc, a_col, b_doc, b_col, len(rows), len(cols))
        cells = {
            (rows[i][0], cols[j][0]): int(grid[i, j])
            for i, j in zip(*np.nonzero(grid), strict=True)
        }
        return Cooccurrence(
            row_facet,
            col_facet,
            total,
            [FacetCount(v, n, False) for v, n in rows],
            [FacetCount(v, n, False) for v, n in cols],
            cells,
        )

    @staticmethod
    def _ranked(state, final, score, sq: SearchQuery, k: int, scored: bool) -> np.ndarray:
        candidates = np.flatnonzero(final)
        sort = sq.sort
        if sort == "relevance" and not scored:
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
        ids = [i for i, _ in ranked]
        by_id = {a.id: a for a in Article.objects.only(*HIT_FIELDS).filter(id__in=ids)}
        # Names by plain rows: prefetching built a model per city and organisation, half
        # of the time of reading the page's articles.
        names = {i: ([], []) for i in by_id}
        for side, (through, name) in enumerate(
            [
                (Article.cities.through, "city__name"),
                (Article.organisations.through, "organisation__name"),
            ]
        ):
            rows = through.objects.filter(article_id__in=ids).order_by(name, "pk")
            for article_id, value in rows.values_list("article_id", name):
                names[article_id][side].append(value)
        hits, terms = [], frozenset(terms)
        for article_id, score in ranked:
            a = by_id.get(article_id)
            if a is None:  # deleted since the index was read
                continue
            snippet = HIGHLIGHTER.fragment(a.body, terms, SNIPPET_CHARS) or _plain_snippet(a.body)
            title_html = HIGHLIGHTER.whole(a.title, terms) or escape(a.title)
            cities, organisations = names[article_id]
            hits.append(
                hit_for(
                    a,
                    score=score,
                    title_html=title_html,
                    snippet=snippet,
                    cities=cities,
                    organisations=organisations,
                )
            )
        return hits

    def _suggest(self, sq: SearchQuery, parsed: qt.ParsedQuery, found: int) -> str | None:
        if not suggest.replaceable(parsed):
            return None

        def known(word: str) -> bool:
            stems = [t.text for t in ANALYZER(word)]
            with self._reading() as state:
                reader = state.searcher.reader()
                return bool(stems) and all(
                    ("body", s) in reader or ("title", s) in reader for s in stems
                )

        def near(word: str) -> list[tuple[str, int]]:
            stem = _stem(word)
            if stem is None:
                return []
            with self._reading() as state:
                reader = state.searcher.reader()
                stems = state.terms_within("body", stem, 2, 1)
                ranked = sorted(
                    ((reader.doc_frequency("body", t), t) for t in stems if len(t) > 1),
                    reverse=True,
                )[:NEAR_STEMS]
                firsts = []
                for freq, t in ranked:
                    ids, _ = state.postings("body", t)
                    if len(ids):
                        firsts.append((freq, t, int(state.article_ids[ids[0]])))
            out = []
            for freq, t, article_id in firsts:
                surface = _surface_word(article_id, t)
                if surface:
                    out.append((surface, freq))
            return out

        return suggest.suggest(
            parsed, found, known=known, near=near, count=partial(self.suggestion_count, sq)
        )

    def more_like_this(self, article_id: int, limit: int = 5) -> Sequence[Hit]:
        from search.models import Article

        body = Article.objects.filter(id=article_id).values_list("body", flat=True).first()
        if body is None:
            return []
        with self._reading() as state:
            docnum = state.docnums_of([article_id]).get(article_id)
            if docnum is None:
                return []
            results = state.searcher.more_like(docnum, "body", text=body, top=limit)
            ranked = [(int(state.article_ids[h.docnum]), float(h.score or 0)) for h in results]
        return self._hits(ranked, set())


def pair_counts(
    a_doc: np.ndarray, a_col: np.ndarray, b_doc: np.ndarray, b_col: np.ndarray, na: int, nb: int
) -> np.ndarray:
    """(na x nb) counts of documents having value a_col of one side and b_col of the other,
    from the (document, value) pairs of each side: a join on the document in integer numpy
    (a float matrix product was slower on a busy machine, where BLAS threads wait)."""
    if not len(a_doc) or not len(b_doc):
        return np.zeros((na, nb), dtype=np.int64)
    order = np.argsort(b_doc, kind="stable")
    b_doc, b_col = b_doc[order], b_col[order]
    start = np.searchsorted(b_doc, a_doc, side="left")
    lengths = np.searchsorted(b_doc, a_doc, side="right") - start
    # For each a-pair, the positions start..start+length-1 of its document's b-pairs.
    total = int(lengths.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    b_index = np.repeat(start, lengths) + offsets
    codes = np.repeat(a_col, lengths) * nb + b_col[b_index]
    return np.bincount(codes, minlength=na * nb).reshape(na, nb)


def _database_has_articles() -> bool:
    from search.models import Article

    return Article.objects.exists()


def _text_bytes() -> int:
    """About how many bytes of text a rebuild indexes (for the free-space check)."""
    from django.db.models import Sum
    from django.db.models.functions import Length

    from search.models import Article

    total = Article.objects.aggregate(n=Sum(Length("body")) + Sum(Length("title")))["n"]
    return int(total or 0)


_EMPTY = threading.local()


def _empty_index():
    """An empty in-memory index: what an empty database is served from (nothing on disk)."""
    if not hasattr(_EMPTY, "ix"):
        _EMPTY.ix = RamStorage().create_index(SCHEMA)
    return _EMPTY.ix


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


def as_date(ordinal: int) -> dt.date | None:
    return dt.date.fromordinal(ordinal) if ordinal > 0 else None
