"""Per-searcher numpy arrays: what every query needs, built once per index generation.

Whoosh's own faceting (`groupedby`) scores and keeps every match and, for multi-valued fields,
rebuilds a document->values map on every search. Here each opened searcher gets, once:
which documents are live, each document's article id, date and field lengths, and for each
facet a flat (document, value) pair list. Counting facets over a match set is then one
`np.bincount`, and a facet filter is a cached boolean mask.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh.automata.fsa import find_all_matches
from whoosh.codec.base import Automata

from search.engines.base import FACETS, UNDATED
from search.engines.whoosh.adapter import (
    deleted_docs,
    field_lengths,
    leaf_positions,
    leaf_postings,
    numeric_column,
    segment_file,
)
from search.engines.whoosh.sidecar import EXT as SIDECAR_EXT
from search.engines.whoosh.sidecar import SidecarReader

# Index field of each facet of the contract (one field each, named as the facet).
FACET_FIELDS = {facet: facet for facet in FACETS}
SCORED_FIELDS = ("title", "body")
# Facet-value masks kept per facet (least recently used dropped first).
MASK_CACHE_SIZE = 256


@dataclass
class FacetIndex:
    """One facet: value names and the (document, value ordinal) pairs of every document."""

    names: list[str]
    doc_of: np.ndarray
    val_of: np.ndarray
    size: int
    _lookup: dict[str, int] = field(default_factory=dict)
    _masks: OrderedDict[int, np.ndarray] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for i, name in enumerate(self.names):
            self._lookup.setdefault(name.casefold(), i)
            self._lookup[name] = i

    def ordinal(self, value: str) -> int | None:
        """The value's ordinal, matched exactly first, then ignoring case."""
        return self._lookup.get(value, self._lookup.get(value.casefold()))

    def mask(self, values) -> np.ndarray:
        """Documents having any of these values (unknown values match nothing)."""
        out = np.zeros(self.size, dtype=bool)
        for value in values:
            ordinal = self.ordinal(str(value))
            if ordinal is not None:
                out |= self._value_mask(ordinal)
        return out

    def _value_mask(self, ordinal: int) -> np.ndarray:
        with self._lock:
            cached = self._masks.get(ordinal)
            if cached is not None:
                self._masks.move_to_end(ordinal)
                return cached
        cached = np.zeros(self.size, dtype=bool)
        cached[self.doc_of[self.val_of == ordinal]] = True
        with self._lock:
            self._masks[ordinal] = cached
            # Bounded: one mask is a byte per document (100 kB at 100k articles), and
            # crawlers walking every facet value would otherwise fill memory.
            while len(self._masks) > MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return cached

    def counts(self, docs: np.ndarray) -> np.ndarray:
        """Per value ordinal, how many of the documents in the boolean mask carry it."""
        return np.bincount(self.val_of[docs[self.doc_of]], minlength=len(self.names))


def _facet_from_terms(leaves, fieldname: str, size: int, decode=None) -> FacetIndex:
    names: dict[str, int] = {}
    docs, vals = [], []
    for leaf, offset in leaves:
        if fieldname not in leaf.schema:
            continue
        for btext in leaf.lexicon(fieldname):
            name = decode(btext) if decode else btext.decode("utf-8")
            if name is None:
                continue
            ordinal = names.setdefault(str(name), len(names))
            ids, _ = leaf_postings(leaf, fieldname, btext)
            docs.append(ids + offset)
            vals.append(np.full(len(ids), ordinal, dtype=np.int32))
    doc_of = np.concatenate(docs) if docs else np.empty(0, np.int64)
    val_of = np.concatenate(vals) if vals else np.empty(0, np.int32)
    return FacetIndex(list(names), doc_of, val_of, size)


# date.toordinal() of 1970-01-01, numpy's day 0.
_EPOCH_ORDINAL = 719_163


def month_numbers(ordinals: np.ndarray) -> np.ndarray:
    """Each proleptic day ordinal as year * 12 + month - 1 (-1 where there is no date)."""
    days = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return np.where(ordinals > 0, months, -1)


def _year_facet(years: np.ndarray, live: np.ndarray) -> FacetIndex:
    has = np.flatnonzero(years > 0)
    distinct, inverse = np.unique(years[has], return_inverse=True)
    names = [str(int(y)) for y in distinct]
    undated = np.flatnonzero((years <= 0) & live)
    doc_of = np.concatenate([has, undated])
    val_of = np.concatenate([inverse.astype(np.int32), np.full(len(undated), len(names), np.int32)])
    return FacetIndex([*names, UNDATED], doc_of, val_of, len(years))


def _bytes(text) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


def _sorted_common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both of two sorted arrays of distinct values. A few against many: a
    binary search of each; else a stable sort of the two joined, which merges two sorted
    runs in one pass (np.intersect1d sorts them from scratch: twice the time)."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    if len(a) * 16 < len(b):
        at = np.searchsorted(b, a)
        at[at == len(b)] = 0
        return a[b[at] == a]
    joined = np.concatenate((a, b))
    joined.sort(kind="stable")
    return joined[:-1][joined[1:] == joined[:-1]]


def _open_sidecars(leaves) -> dict:
    """Each segment's sidecar file by segment id (segments without one are read through
    Whoosh)."""
    found = {}
    for leaf, _ in leaves:
        where = segment_file(leaf, SIDECAR_EXT)
        if where is None:
            continue
        try:
            found[leaf.segment().segment_id()] = SidecarReader(*where)
        except (OSError, ValueError):  # unreadable: Whoosh's postings serve
            continue
    return found


class StaleState(Exception):
    """The index has a newer commit than the state a thread was about to read."""


class SearchState:
    """Everything a query needs besides the postings, for one opened searcher."""

    # Decoded postings kept per opened searcher (so per index generation): frequent terms
    # ("smart", "city") were unpickled block by block on every request, a third of a search.
    POSTINGS_CACHE_BYTES = 32 * 1024 * 1024

    def __init__(self, searcher, generation, opener=None) -> None:
        """`searcher` is the creating thread's; `opener()` opens another on the same index
        for each other thread that uses this state (without one, they share `searcher`)."""
        self._postings: OrderedDict = OrderedDict()
        self._postings_bytes = 0
        self._postings_lock = threading.Lock()
        self._vocabularies: dict[str, list[str]] = {}
        self._vocabularies_read = threading.Event()
        self.generation = generation
        self._opener = opener
        self._local = threading.local()
        self._searchers = [searcher]  # every thread's, closed together by close()
        self._searchers_lock = threading.Lock()
        self._closed = False
        self._whoosh_generation = searcher.reader().generation()
        self._local.searcher = searcher
        self.users = 0  # searches reading this state now (the backend counts them)
        self.retired = False  # a newer state replaced this one
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self._sidecars = _open_sidecars(self.leaves)
        self.live = np.zeros(self.size, dtype=bool)
        ids, years, dates, copies = [], [], [], []
        self.lengths = {f: [] for f in SCORED_FIELDS}
        for leaf, offset in self.leaves:
            n = leaf.doc_count_all()
            live = np.ones(n, dtype=bool)
            deleted = deleted_docs(leaf)
            live[np.asarray(deleted, dtype=np.int64)] = False
            self.live[offset : offset + n] = live
            ids.append(numeric_column(leaf, "id", np.int64, -1))
            years.append(numeric_column(leaf, "year", np.int64, 0))
            dates.append(numeric_column(leaf, "date", np.int64, 0))
            copies.append(numeric_column(leaf, "copy", np.int64, 1))
            for f in SCORED_FIELDS:
                self.lengths[f].append(field_lengths(leaf, f))
        self.article_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        self.years = np.concatenate(years) if years else np.empty(0, np.int64)
        self.years[~self.live] = 0
        self.dates = np.concatenate(dates) if dates else np.empty(0, np.int64)
        self.months = month_numbers(self.dates)
        self.archive_timeline = None  # set by the backend on first use
        # Articles shown when copies are folded into their story (see the "copy" field).
        self.representative = np.concatenate(copies) != 2 if copies else np.empty(0, dtype=bool)
        self.lengths = {
            f: np.concatenate(parts) if parts else np.empty(0, np.float32)
            for f, parts in self.lengths.items()
        }
        self.avg_length = {f: searcher.avg_field_length(f) or 1.0 for f in SCORED_FIELDS}
        self.doc_count_all = self.size
        self.facets = {"year": _year_facet(self.years, self.live)}
        for facet in FACETS:
            if facet != "year":
                self.facets[facet] = _facet_from_terms(self.leaves, FACET_FIELDS[facet], self.size)
        # Deleted documents stay in the postings until a merge: drop them from the pairs.
        for facet in FACETS:
            fi = self.facets[facet]
            keep = self.live[fi.doc_of]
            fi.doc_of, fi.val_of = fi.doc_of[keep], fi.val_of[keep]
        if opener is not None:  # a searcher of its own to read with (see terms_within)
            threading.Thread(target=self._read_vocabularies, daemon=True).start()
        else:
            self._vocabularies_read.set()

    # -- one Whoosh searcher per thread ----------------------------------------------------
    # A Whoosh searcher is not safe to share between threads: its segment files are read
    # with seek() then read() on shared file objects. The arrays above are shared (read
    # only); each thread reads postings and positions through a searcher of its own, of
    # the same commit, so searches of several threads run side by side.

    @property
    def searcher(self):
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._open_for_thread()
        return searcher

    def _open_for_thread(self):
        if self._opener is None:
            return self._searchers[0]
        searcher = self._opener()
        with self._searchers_lock:
            # A commit landed since this state was built (its doc numbers may differ), or
            # the state was closed meanwhile.
            if self._closed or searcher.reader().generation() != self._whoosh_generation:
                searcher.close()
                raise StaleState
            self._searchers.append(searcher)
        self._local.searcher = searcher
        return searcher

    @property
    def leaves(self) -> list:
        """This thread's segment readers and their doc number offsets (non-empty ones: an
        empty index has one EmptyReader leaf, which has no columns to read)."""
        return [(r, o) for r, o in self.searcher.reader().leaf_readers() if r.doc_count_all()]

    @property
    def leaf_searchers(self) -> list:
        return [(s, o) for s, o in self.searcher.leaf_searchers() if s.doc_count_all()]

    def close(self) -> None:
        with self._searchers_lock:
            self._closed = True
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            searcher.close()
        sidecars, self._sidecars = self._sidecars, {}
        for sidecar in sidecars.values():
            sidecar.close()

    def _sidecar(self, leaf, fieldname: str) -> SidecarReader | None:
        """The segment's sidecar (sidecar.py) when it holds the field, else None."""
        found = self._sidecars.get(leaf.segment().segment_id())
        return found if found is not None and found.has(fieldname) else None

    def facet(self, name: str) -> FacetIndex:
        """A facet's index; fields the search page does not count (source) are read on first
        use."""
        fi = self.facets.get(name)
        if fi is None:
            fi = _facet_from_terms(self.leaves, name, self.size)
            keep = self.live[fi.doc_of]
            fi.doc_of, fi.val_of = fi.doc_of[keep], fi.val_of[keep]
            self.facets[name] = fi
        return fi

    def docnums_of(self, article_ids) -> dict[int, int]:
        wanted = np.asarray(list(article_ids), dtype=np.int64)
        found = np.flatnonzero(np.isin(self.article_ids, wanted) & self.live)
        return {int(self.article_ids[d]): int(d) for d in found}

    def postings(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        """A term's live doc numbers and weights across segments (read-only arrays, cached)."""
        key = (fieldname, text)
        with self._postings_lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = self._read_postings(fieldname, text)
        for array in found:
            array.flags.writeable = False  # shared between requests
        size = found[0].nbytes + found[1].nbytes
        with self._postings_lock:
            if key not in self._postings and size <= self.POSTINGS_CACHE_BYTES // 4:
                self._postings[key] = found
                self._postings_bytes += size
                while self._postings_bytes > self.POSTINGS_CACHE_BYTES:
                    _, (ids, weights) = self._postings.popitem(last=False)
                    self._postings_bytes -= ids.nbytes + weights.nbytes
        return found

    def _read_postings(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        id_parts, weight_parts = [], []
        btext = _bytes(text)
        for leaf, offset in self.leaves:
            sidecar = self._sidecar(leaf, fieldname)
            if sidecar is not None:
                ids, weights = sidecar.postings(fieldname, btext)
            else:
                ids, weights = leaf_postings(leaf, fieldname, text)
            if len(ids):
                id_parts.append(ids + offset)
                weight_parts.append(weights)
        if not id_parts:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        ids, weights = np.concatenate(id_parts), np.concatenate(weight_parts)
        keep = self.live[ids]
        return ids[keep], weights[keep]

    def phrase_docs(self, fieldname: str, words: list, candidates: np.ndarray) -> np.ndarray:
        """Global doc numbers among the candidates where the words occur next to each other."""
        found = []
        for leaf, offset in self.leaves:
            n = leaf.doc_count_all()
            wanted = candidates[offset : offset + n]
            if not wanted.any():
                continue
            sidecar = self._sidecar(leaf, fieldname)
            if sidecar is not None:
                docs = sidecar.phrase_docs(fieldname, [_bytes(w) for w in words], wanted)
                if len(docs):
                    found.append(docs + offset)
                continue
            keys = None
            for i, word in enumerate(words):
                these = leaf_positions(leaf, fieldname, word, wanted) - i
                keys = these if keys is None else _sorted_common(keys, these)
                if not len(keys):
                    break
                # Later words need only be read in the documents still in the running.
                wanted = np.zeros(n, dtype=bool)
                wanted[keys >> 32] = True
            if keys is not None and len(keys):
                found.append(np.unique(keys >> 32) + offset)
        return np.concatenate(found) if found else np.empty(0, np.int64)

    # -- the word lists of the scored fields, in memory --------------------------------------
    # Expanding a misspelt word walks the word list with an automaton: through Whoosh's
    # on-disk term table each step is a binary search of small file reads (half of the CPU
    # time of the query set at 10,000 articles went to misspellings and suggestions). The
    # lists are read once per state by a thread of its own (reading them costs seconds);
    # until they are there, misspellings walk the on-disk tables as before.

    def _read_vocabularies(self) -> None:
        try:
            for fieldname in SCORED_FIELDS:
                found = set()
                for leaf, _ in self.leaves:  # this thread's own searcher
                    if fieldname in leaf.schema:
                        found.update(b.decode("utf-8") for b in leaf.lexicon(fieldname))
                self._vocabularies[fieldname] = sorted(found)
        except Exception:  # noqa: BLE001 - closed or replaced meanwhile: the on-disk walk serves
            return
        finally:
            self._vocabularies_read.set()

    def wait_for_vocabularies(self, timeout: float | None = None) -> bool:
        return self._vocabularies_read.wait(timeout)

    def terms_within(self, fieldname: str, text: str, maxdist: int, prefix: int) -> list[str]:
        """Words within maxdist edits of text sharing its first `prefix` letters (Whoosh's
        reader.terms_within, over the in-memory word list when it has been read)."""
        words = self._vocabularies.get(fieldname)
        if words is None:
            # Per segment: the reader over several segments compares every word in Python.
            found = {
                t
                for leaf, _ in self.leaves
                for t in leaf.terms_within(fieldname, text, maxdist, prefix)
            }
            return sorted(found)

        def first_from(key: str) -> str | None:
            i = bisect_left(words, key)
            return words[i] if i < len(words) else None

        dfa = Automata.levenshtein_dfa(text, maxdist, prefix)
        return list(find_all_matches(dfa, first_from))

    def words_starting(self, fieldname: str, prefix: str) -> list[str] | None:
        """The words of the in-memory list that begin with prefix (None until it is read)."""
        words = self._vocabularies.get(fieldname)
        if words is None:
            return None
        return words[bisect_left(words, prefix) : bisect_left(words, prefix + "\U0010ffff")]

    def most_frequent(self, fieldname: str, terms: list, limit: int) -> list:
        """The `limit` terms held by the most documents (a prefix of common letters stands
        for thousands of words: the sidecars count each from memory, see doc_frequency)."""
        return sorted(terms, key=lambda t: -self.doc_frequency(fieldname, t))[:limit]

    def doc_frequency(self, fieldname: str, text) -> int:
        """Whoosh's doc_frequency (postings of live and deleted documents alike), counted
        from the sidecars when every segment has one: no walk of Whoosh's term table."""
        leaves = self.leaves
        sidecars = [self._sidecar(leaf, fieldname) for leaf, _ in leaves]
        if not leaves or any(s is None for s in sidecars):
            return self.searcher.doc_frequency(fieldname, text)
        btext = _bytes(text)
        return sum(s.doc_frequency(fieldname, btext) for s in sidecars)
