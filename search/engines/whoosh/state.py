"""Per-searcher numpy arrays: what every query needs, built once per index generation.

Whoosh's own faceting (`groupedby`) scores and keeps every match and, for multi-valued fields,
rebuilds a document->values map on every search. Here each opened searcher gets, once:
which documents are live, each document's article id, date and field lengths, and for each
facet a flat (document, value) pair list. Counting facets over a match set is then one
`np.bincount`, and a facet filter is a cached boolean mask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from search.engines.base import FACETS, UNDATED
from search.engines.whoosh.adapter import (
    deleted_docs,
    field_lengths,
    leaf_positions,
    leaf_postings,
    numeric_column,
)

# Index field of each facet of the contract (one field each, named as the facet).
FACET_FIELDS = {facet: facet for facet in FACETS}
SCORED_FIELDS = ("title", "body")


@dataclass
class FacetIndex:
    """One facet: value names and the (document, value ordinal) pairs of every document."""

    names: list[str]
    doc_of: np.ndarray
    val_of: np.ndarray
    size: int
    _lookup: dict[str, int] = field(default_factory=dict)
    _masks: dict[int, np.ndarray] = field(default_factory=dict)
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
        cached = self._masks.get(ordinal)
        if cached is None:
            cached = np.zeros(self.size, dtype=bool)
            cached[self.doc_of[self.val_of == ordinal]] = True
            with self._lock:
                self._masks[ordinal] = cached
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


def _year_facet(years: np.ndarray, live: np.ndarray) -> FacetIndex:
    has = np.flatnonzero(years > 0)
    distinct, inverse = np.unique(years[has], return_inverse=True)
    names = [str(int(y)) for y in distinct]
    undated = np.flatnonzero((years <= 0) & live)
    doc_of = np.concatenate([has, undated])
    val_of = np.concatenate([inverse.astype(np.int32), np.full(len(undated), len(names), np.int32)])
    return FacetIndex([*names, UNDATED], doc_of, val_of, len(years))


class SearchState:
    """Everything a query needs besides the postings, for one opened searcher."""

    def __init__(self, searcher, generation: int) -> None:
        self.searcher = searcher
        self.generation = generation
        reader = searcher.reader()
        # An empty index has one EmptyReader leaf, which has no columns to read.
        self.leaves = [(r, o) for r, o in reader.leaf_readers() if r.doc_count_all()]
        self.leaf_searchers = [(s, o) for s, o in searcher.leaf_searchers() if s.doc_count_all()]
        self.size = reader.doc_count_all()
        self.live = np.zeros(self.size, dtype=bool)
        ids, years, dates = [], [], []
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
            for f in SCORED_FIELDS:
                self.lengths[f].append(field_lengths(leaf, f))
        self.article_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        self.years = np.concatenate(years) if years else np.empty(0, np.int64)
        self.years[~self.live] = 0
        self.dates = np.concatenate(dates) if dates else np.empty(0, np.int64)
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

    def docnums_of(self, article_ids) -> dict[int, int]:
        wanted = np.asarray(list(article_ids), dtype=np.int64)
        found = np.flatnonzero(np.isin(self.article_ids, wanted) & self.live)
        return {int(self.article_ids[d]): int(d) for d in found}

    def postings(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        """A term's live doc numbers and weights across segments."""
        id_parts, weight_parts = [], []
        for leaf, offset in self.leaves:
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
            keys = None
            for i, word in enumerate(words):
                these = leaf_positions(leaf, fieldname, word, wanted) - i
                keys = these if keys is None else np.intersect1d(keys, these, assume_unique=True)
                if not len(keys):
                    break
                # Later words need only be read in the documents still in the running.
                wanted = np.zeros(n, dtype=bool)
                wanted[keys >> 32] = True
            if keys is not None and len(keys):
                found.append(np.unique(keys >> 32) + offset)
        return np.concatenate(found) if found else np.empty(0, np.int64)

    def doc_frequency(self, fieldname: str, text) -> int:
        return self.searcher.doc_frequency(fieldname, text)
