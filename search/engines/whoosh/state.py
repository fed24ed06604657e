"""Per-searcher numpy arrays: what every query needs, built once per index generation.

Whoosh's own faceting (`groupedby`) scores and keeps every match and, for multi-valued fields,
rebuilds a document->values map on every search. Here each opened searcher gets, once:
which documents are live, each document's article id, date and field lengths, and for each
facet a flat (document, value) pair list. Counting facets over a match set is then one
`np.bincount`, and a facet filter is a cached boolean mask.
"""

from __future__ import annotations

import pickle
import threading
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.filedb.structfile import BufferFile
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.engines.base import FACETS, UNDATED

# Index field of each facet of the contract (one field each, named as the facet).
FACET_FIELDS = {facet: facet for facet in FACETS}
SCORED_FIELDS = ("title", "body")
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def _numeric_column(leaf, fieldname: str, dtype, missing) -> np.ndarray:
    """A sortable numeric column of one segment as an array (missing values -> `missing`)."""
    n = leaf.doc_count_all()
    out = np.full(n, missing, dtype=dtype)
    if not leaf.has_column(fieldname):
        return out
    col = leaf.column_reader(fieldname, translate=False)
    if isinstance(col, NumericColumn.Reader):
        # The column is fixed-width big-endian numbers: read it in one go. Integer fields
        # store value + a fixed offset (Whoosh's sortable encoding of signed numbers).
        offset = int(leaf.schema[fieldname].to_column_value(0))
        raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
        values = np.frombuffer(raw, dtype=">" + col._typecode).astype(np.int64)
        present = values != col._default
        out[: len(values)][present] = values[present] - offset
    else:  # pragma: no cover - other codecs
        out[:] = np.fromiter(col, dtype=np.int64, count=n)
    return out


def _lengths(leaf, fieldname: str) -> np.ndarray:
    n = leaf.doc_count_all()
    perdoc = leaf._perdoc
    reader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if reader is None:
        return np.zeros(n, dtype=np.float32)
    raw = reader._dbfile.get(reader._basepos, reader._count)
    codes = np.zeros(n, dtype=np.uint8)
    codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTH_OF_BYTE[codes]


def _matcher(leaf, fieldname: str, text):
    """A term's postings in one segment, read from disk in one go; None if absent.

    Whoosh reads a posting list block by block with many small reads (pickled block
    headers are unpickled straight from the file); through the compound segment file each
    read is a Python call, which was a fifth of all query time at 100k articles. One read of
    the whole list into memory makes the block reads in-memory slices.
    """
    try:
        m = leaf.postings(fieldname, text)
    except TermNotFound:
        return None
    if isinstance(m, FilterMatcher):  # deleted documents: the live mask handles them
        m = m.child
    if isinstance(m, W3LeafMatcher):
        length = m._length
        if isinstance(length, tuple):  # Whoosh's W3TermInfo.from_bytes leaves it a 1-tuple
            length = length[0]
        data = _read(m._postfile, m._startoffset, length)
        m = W3LeafMatcher(BufferFile(data), 0, length, m.format, byteids=m._byteids)
    return m


def _read(structfile, offset: int, length: int) -> bytes:
    sub = structfile.file
    if hasattr(sub, "_file") and hasattr(sub, "_offset"):  # a part of a compound file
        sub._file.seek(sub._offset + offset)
        return sub._file.read(length)
    structfile.seek(offset)
    return structfile.read(length)


def leaf_postings(leaf, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
    """Doc numbers and weights of one term in one segment, read block by block."""
    m = _matcher(leaf, fieldname, text)
    if m is None:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if not isinstance(m, W3LeafMatcher):  # pragma: no cover - other codecs
        pairs = [(i, w) for i, w in m.items_as("weight")]
        ids, weights = zip(*pairs, strict=True) if pairs else ((), ())
        return np.asarray(ids, np.int64), np.asarray(weights, np.float32)
    id_parts, weight_parts = [], []
    while True:
        m._read_ids()
        m._read_weights()
        id_parts.append(np.asarray(m._ids, dtype=np.int64))
        weight_parts.append(np.asarray(m._weights, dtype=np.float32))
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def leaf_positions(leaf, fieldname: str, text, wanted: np.ndarray) -> np.ndarray:
    """Keys (doc << 32 | position) of a term's occurrences in the wanted docs of a segment.

    Positions are stored per posting as pickled position deltas; only the postings of
    wanted documents are unpickled, then turned into absolute positions with one cumsum.
    """
    m = _matcher(leaf, fieldname, text)
    if m is None:
        return np.empty(0, np.int64)
    docs, code_lists = [], []
    loads = pickle.loads
    while True:
        m._read_ids()
        ids = np.asarray(m._ids, dtype=np.int64)
        chosen = np.flatnonzero(wanted[ids])
        if len(chosen):
            m._read_values()
            values = m._values
            code_lists += [loads(values[i][4:] + b".") for i in chosen.tolist()]
            docs.append(ids[chosen])
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    if not docs:
        return np.empty(0, np.int64)
    counts = np.fromiter(map(len, code_lists), dtype=np.int64, count=len(code_lists))
    total = int(counts.sum())
    deltas = np.fromiter(chain.from_iterable(code_lists), dtype=np.int64, count=total)
    doc_of = np.repeat(np.concatenate(docs), counts)
    positions = np.cumsum(deltas)
    # cumsum ran across documents: subtract each document's starting total.
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    before = np.concatenate(([0], positions))[starts]
    positions -= np.repeat(before, counts)
    return (doc_of << 32) | positions


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
        ids, years, dates, copies = [], [], [], []
        self.lengths = {f: [] for f in SCORED_FIELDS}
        for leaf, offset in self.leaves:
            n = leaf.doc_count_all()
            live = np.ones(n, dtype=bool)
            deleted = list(leaf._perdoc.deleted_docs()) if leaf.has_deletions() else []
            live[np.asarray(deleted, dtype=np.int64)] = False
            self.live[offset : offset + n] = live
            ids.append(_numeric_column(leaf, "id", np.int64, -1))
            years.append(_numeric_column(leaf, "year", np.int64, 0))
            dates.append(_numeric_column(leaf, "date", np.int64, 0))
            copies.append(_numeric_column(leaf, "copy", np.int64, 1))
            for f in SCORED_FIELDS:
                self.lengths[f].append(_lengths(leaf, f))
        self.article_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        self.years = np.concatenate(years) if years else np.empty(0, np.int64)
        self.years[~self.live] = 0
        self.dates = np.concatenate(dates) if dates else np.empty(0, np.int64)
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
