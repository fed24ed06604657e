"""Word positions stored as varints, readable for many postings at once with numpy.

Whoosh's Positions format stores each posting's positions as a pickled list of deltas, so a
phrase over common words unpickled one list per candidate document (a third of all query
time at 100,000 articles; the phrase "city smart" took 2 s). Here each posting's value is
the position deltas as unsigned LEB128 varints (one byte each below 128): `decode_many`
turns the concatenated values of thousands of postings into positions with a few vector
operations. The values are less than half the size of Whoosh's: no pickle framing, and no
4-byte frequency in front, which the posting's weight already holds (the frequency is the
number of varints).

The class is named in the schema pickled into each index's table of contents: keep its
module and name (indexes built with Whoosh's Positions keep reading through the pickle path).
"""

from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np
from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.fields import TEXT
from whoosh.formats import Positions

from search.engines import analysis

# Filters that map each token's text by itself (no look at its neighbours): an analyzer of
# our Tokenizer followed only by these maps each word the same way wherever it stands.
_PER_WORD_FILTERS = (LowercaseFilter, CharsetFilter, StopFilter, StemFilter)
_MAX_CACHED_WORDS = 500_000
_STOPPED = object()


def _varint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


class _WordTerms:
    """What an analyzer's filters make of each word (None: a stop word), computed once per
    word by running the filters over that word alone."""

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer  # held: the cache is keyed by its id
        self.filters = analyzer.items[1:]
        self.renumber = any(f.renumber for f in self.filters if isinstance(f, StopFilter))
        self.terms: dict[str, str | None] = {}

    def term(self, word: str) -> str | None:
        found = self.terms.get(word, _STOPPED)
        if found is _STOPPED:
            token = Token(positions=True, removestops=True, mode="index")
            token.text, token.pos, token.boost, token.stopped = word, 0, 1.0, False
            stream = iter([token])
            for f in self.filters:
                stream = f(stream)
            kept = [t.text for t in stream if not t.stopped]
            found = kept[0] if kept else None
            if len(self.terms) >= _MAX_CACHED_WORDS:
                self.terms.clear()
            self.terms[word] = found
        return found


_word_terms: dict[int, _WordTerms] = {}
_word_terms_lock = threading.Lock()


def _fast_terms(analyzer) -> _WordTerms | None:
    """The per-word mapping of an analyzer of our Tokenizer and per-word filters (at most
    one stop filter, whose renumbering is then replayed); None for any other analyzer."""
    found = _word_terms.get(id(analyzer))
    if found is not None:
        return found
    if not isinstance(analyzer, CompositeAnalyzer):
        return None
    items = analyzer.items
    if not items or type(items[0]) is not analysis.Tokenizer:
        return None
    filters = items[1:]
    if any(type(f) not in _PER_WORD_FILTERS for f in filters):
        return None
    if sum(isinstance(f, StopFilter) for f in filters) > 1:
        return None
    with _word_terms_lock:
        return _word_terms.setdefault(id(analyzer), _WordTerms(analyzer))


def _words(value: str) -> list[str]:
    """The Tokenizer's words of a text when indexing, in order (its positions are their
    indexes): without CJK characters, one findall."""
    if not analysis.has_cjk(value):
        return analysis.WORD_RE.findall(value)
    return [text for text, _, _ in analysis.Tokenizer._pieces(value, True)]


class VarintPositions(Positions):
    """Whoosh's Positions with varint deltas instead of a pickle and a frequency."""

    def word_values(self, value, analyzer, **kwargs):
        """Positions.word_values; for our analyzer each distinct word goes through the
        filters once (a cache), not every occurrence: half of the indexing time was the
        filter chain's generators, token by token."""
        fast = _fast_terms(analyzer)
        if fast is None or not isinstance(value, str) or kwargs != {"mode": "index"}:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        term_of = fast.term
        cached = fast.terms
        renumber = fast.renumber
        poses = defaultdict(list)
        pos = None
        for i, word in enumerate(_words(value)):
            term = cached.get(word, _STOPPED)
            if term is _STOPPED:
                term = term_of(word)
            if term is None:
                continue
            # As StopFilter renumbers: the first kept word keeps its place, the rest follow.
            pos = i if pos is None or not renumber else pos + 1
            poses[term].append(pos)
        fb = self.field_boost
        for w, poslist in poses.items():
            yield (w, len(poslist), len(poslist) * fb, self.encode(poslist))

    def encode(self, poslist) -> bytes:
        deltas = [b - a for a, b in zip([0, *poslist[:-1]], poslist, strict=True)]
        if max(deltas) < 0x80:  # one byte each (nearly always)
            return bytes(deltas)
        out = bytearray()
        for d in deltas:
            if d < 0x80:
                out.append(d)
            elif d < 0x4000:
                out += bytes(((d & 0x7F) | 0x80, d >> 7))
            else:
                _varint(d, out)
        return bytes(out)

    def decode_positions(self, valuestring) -> list[int]:
        return decode_many([valuestring])[1].tolist()

    def decode_frequency(self, valuestring) -> int:
        return sum(1 for byte in valuestring if byte < 0x80)

    def decode_weight(self, valuestring) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


def decode_many(values) -> tuple[np.ndarray, np.ndarray]:
    """(positions per value, all positions in order) of several VarintPositions values."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return decode_flat(b"".join(values), lengths)


def decode_flat(bodies: bytes, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """decode_many of the values joined into one string, given each value's length."""
    lengths = np.asarray(lengths, dtype=np.int64)
    raw = np.frombuffer(bodies, dtype=np.uint8)
    if not len(raw):
        return np.zeros(len(lengths), np.int64), np.empty(0, np.int64)
    last = (raw & 0x80) == 0  # the last byte of each varint
    starts = np.flatnonzero(np.concatenate(([True], last[:-1])))
    varint_of = np.cumsum(np.concatenate(([0], last[:-1]))).astype(np.int64)
    shifts = (np.arange(len(raw)) - starts[varint_of]) * 7
    deltas = np.add.reduceat((raw & 0x7F).astype(np.int64) << shifts, starts)
    # Values per posting: the varints ending inside its bytes.
    ends_before = np.concatenate(([0], np.cumsum(last)))
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    counts = ends_before[bounds[1:]] - ends_before[bounds[:-1]]
    positions = np.cumsum(deltas)
    # The cumsum ran across postings: subtract each posting's starting total.
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    before = np.concatenate(([0], positions))[first]
    return counts, positions - np.repeat(before, counts)


class PositionalText(TEXT):
    """A TEXT field whose positions are stored as VarintPositions."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.format = VarintPositions(field_boost=self.format.field_boost)
