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
from typing import NamedTuple

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


def _varint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


class GroupedTerms(NamedTuple):
    """A text's terms: term numbers (into texts), positions per term, and every term's
    positions in turn (ascending within a term)."""

    texts: list[str]
    numbers: np.ndarray
    counts: np.ndarray
    positions: np.ndarray


class _WordTerms:
    """What an analyzer's filters make of each word, computed once per word by running the
    filters over that word alone, as a term number (-1: a stop word) into `texts`."""

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer  # held: the cache is keyed by its id
        self.filters = analyzer.items[1:]
        self.renumber = any(f.renumber for f in self.filters if isinstance(f, StopFilter))
        self.numbers: dict[str, int] = {}  # word -> term number
        self.texts: list[str] = []  # term number -> term
        self._term_numbers: dict[str, int] = {}

    def _filtered(self, word: str) -> str | None:
        token = Token(positions=True, removestops=True, mode="index")
        token.text, token.pos, token.boost, token.stopped = word, 0, 1.0, False
        stream = iter([token])
        for f in self.filters:
            stream = f(stream)
        kept = [t.text for t in stream if not t.stopped]
        return kept[0] if kept else None

    def term(self, word: str) -> str | None:
        number = self.numbers_of([word])[0]
        return None if number < 0 else self.texts[number]

    def numbers_of(self, words: list[str]) -> np.ndarray:
        """The term number of each word (-1 for stop words)."""
        numbers = self.numbers
        new = set(words).difference(numbers)
        if new:
            if len(numbers) + len(new) > _MAX_CACHED_WORDS:
                # Bounded; cleared between calls only, so the numbers returned stay valid.
                numbers.clear()
                self.texts, self._term_numbers = [], {}
                new = set(words)
            texts, term_numbers = self.texts, self._term_numbers
            for word in new:
                term = self._filtered(word)
                if term is None:
                    numbers[word] = -1
                    continue
                number = term_numbers.get(term)
                if number is None:
                    number = term_numbers[term] = len(texts)
                    texts.append(term)
                numbers[word] = number
        return np.fromiter(map(numbers.__getitem__, words), np.int64, len(words))


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
        """Positions.word_values; for our analyzer through `grouped` (a Python loop per
        token through the filter chain's generators was most of the indexing time)."""
        found = None
        if kwargs == {"mode": "index"}:
            found = self.grouped(value, analyzer)
        if found is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        texts, numbers, counts, positions = found
        data, bounds = encode_many(counts, positions)
        fb = self.field_boost
        bounds = bounds.tolist()
        for i, (number, count) in enumerate(zip(numbers.tolist(), counts.tolist(), strict=True)):
            yield (texts[number], count, count * fb, data[bounds[i] : bounds[i + 1]])

    def grouped(self, value, analyzer) -> GroupedTerms | None:
        """A text's terms when indexing, as arrays (None unless the analyzer is ours and
        the value a string): each distinct word goes through the filters once (a cache),
        and the words are grouped by term and their position deltas encoded with a few
        vector operations."""
        fast = _fast_terms(analyzer)
        if fast is None or not isinstance(value, str):
            return None
        words = _words(value)
        numbers = fast.numbers_of(words) if words else np.empty(0, np.int64)
        texts = fast.texts  # numbers_of may have started a new list
        kept = np.flatnonzero(numbers >= 0)
        if not len(kept):
            empty = np.empty(0, np.int64)
            return GroupedTerms(texts, empty, empty, empty)
        numbers = numbers[kept]
        # As StopFilter renumbers: the first kept word keeps its place, the rest follow.
        poses = kept[0] + np.arange(len(kept)) if fast.renumber else kept
        order = np.argsort(numbers, kind="stable")  # by term, positions ascending within
        numbers, poses = numbers[order], poses[order]
        starts = np.flatnonzero(np.concatenate(([True], numbers[1:] != numbers[:-1])))
        counts = np.diff(np.append(starts, len(numbers)))
        return GroupedTerms(texts, numbers[starts], counts, poses)

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


def encode_many(counts: np.ndarray, positions: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Postings' values (each one's positions, ascending, as varint deltas) all in one
    string, posting i's as data[bounds[i]:bounds[i + 1]]; the inverse of decode_flat."""
    counts = np.asarray(counts, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return b"", np.zeros(len(counts) + 1, np.int64)
    starts = np.cumsum(counts) - counts
    deltas = np.diff(positions, prepend=0)
    has = counts > 0
    deltas[starts[has]] = positions[starts[has]]
    data, offsets = _varints(deltas)
    offsets = np.append(offsets, len(data))
    return data, offsets[np.append(starts, len(positions))]


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Unsigned LEB128 varints of non-negative values, all in one string, and where each
    value's bytes start."""
    if not len(values) or int(values.max()) < 0x80:  # one byte each (nearly always)
        return values.astype(np.uint8).tobytes(), np.arange(len(values))
    sizes = np.ones(len(values), np.int64)
    for bits in (7, 14, 21, 28, 35, 42, 49, 56):
        sizes += values >= (1 << bits)
    offsets = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), np.uint8)
    for k in range(int(sizes.max())):
        at = np.flatnonzero(sizes > k)
        more = (sizes[at] > k + 1).astype(np.int64) << 7
        out[offsets[at] + k] = ((values[at] >> (7 * k)) & 0x7F) | more
    return out.tobytes(), offsets


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
