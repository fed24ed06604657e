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

import numpy as np
from whoosh.fields import TEXT
from whoosh.formats import Positions


def _varint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


class VarintPositions(Positions):
    """Whoosh's Positions with varint deltas instead of a pickle and a frequency."""

    def encode(self, poslist) -> bytes:
        out = bytearray()
        base = 0
        for pos in poslist:
            _varint(pos - base, out)
            base = pos
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
