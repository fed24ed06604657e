"""A per-segment posting file of our own for the scored fields, read with no unpickling.

Whoosh writes each posting block as a pickled tuple (doc ids, weights, position values), so
reading a term meant unpickling every block of it: the main cost of the query set once
everything else ran on arrays. SidecarCodec is Whoosh's W3 codec that, while Whoosh writes
a segment's postings (a build, an update or a merge: every path goes through the field
writer's add_postings), also writes one more file of the segment (".sdc"), holding for each
term of the scored fields:

  ids        uint32, the segment's doc numbers, ascending
  counts     positions per posting (uint16, or uint32 if any count needs it); Whoosh's
             posting weight is the count times the field's boost (so scores equal
             Whoosh's), and a weights array (float32) is kept only where it is not
  positions  every posting's word positions in turn (uint16, or uint32 for long articles)

and a directory {field: {term: (first posting, postings, first position)}} at the end. A
reader reads a term's slice of each array with one pread. Whoosh's own postings stay the
source of truth: a segment without the file (written before this, or by another codec) is
read through Whoosh as before, and the file is derived from the postings Whoosh writes.

The codec class is pickled into the index's table of contents with each segment: keep its
module and name.
"""

from __future__ import annotations

import os
import pickle
import struct
from array import array

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter

from search.engines.whoosh import adapter
from search.engines.whoosh.positions import VarintPositions, decode_flat

EXT = ".sdc"
MAGIC = b"SCSIDE01"
SIDECAR_FIELDS = ("title", "body")
_TAIL = struct.Struct("<Q")  # the directory's offset, last in the file
# Position bytes decoded at once while writing (bounds the writer's memory).
_DECODE_CHUNK = 8 * 1024 * 1024


class _FieldBuffer:
    """One field's postings as they arrive, in flat arrays."""

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.value_lengths = array("I")
        self.values = bytearray()
        self.count_parts: list[np.ndarray] = []
        self.position_parts: list[np.ndarray] = []
        self.terms: dict[bytes, tuple[int, int, int]] = {}
        self.term_start = 0
        self.positions_seen = 0  # positions of the postings before the current term
        self.boost = 1.0  # the field's boost (a posting's weight: its count times this)

    def flush_values(self) -> None:
        if not self.value_lengths:
            return
        counts, positions = decode_flat(
            bytes(self.values), np.frombuffer(self.value_lengths, np.uint32)
        )
        self.count_parts.append(_narrow(counts))
        self.position_parts.append(_narrow(positions))
        self.values = bytearray()
        self.value_lengths = array("I")


class SidecarFieldWriter(W3FieldWriter):
    """Whoosh's field writer, also keeping the scored fields' postings for the sidecar."""

    def __init__(self, codec, storage, segment) -> None:
        super().__init__(codec, storage, segment)
        self._buffers: dict[str, _FieldBuffer] = {}

    def add_postings(self, schema, lengths, items) -> None:
        """Whoosh's FieldWriter.add_postings (same calls, same order), with field lengths
        read once per document instead of once per posting, and the scored fields' postings
        kept on the side."""
        start_term, add = self.start_term, self.add
        finish_term, finish_field = self.finish_term, self.finish_field
        length_of = _Lengths(lengths)
        lastfn = lasttext = None
        buf = None
        field_lengths = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise ValueError(f"field {fieldname!r} after {lastfn!r}")
                if lasttext is not None:
                    finish_term()
                if lastfn is not None:
                    finish_field()
                buf = self.begin_field(fieldname, schema[fieldname])
                lastfn, lasttext = fieldname, None
                field_lengths = length_of.field(fieldname)
            if docnum == -1:  # a spelling word, not a posting (as Whoosh skips it)
                continue
            if btext != lasttext:
                if lasttext is not None:
                    if btext < lasttext:
                        raise ValueError(f"term {btext!r} after {lasttext!r}")
                    finish_term()
                start_term(btext)
                lasttext = btext
            if value is None:
                value = b""
            add(docnum, weight, value, field_lengths(docnum))
            if buf is not None:
                buf.ids.append(docnum)
                buf.weights.append(weight)
                buf.value_lengths.append(len(value))
                buf.values += value
        if lasttext is not None:
            finish_term()
        if lastfn is not None:
            finish_field()

    def begin_field(self, fieldname: str, fieldobj) -> _FieldBuffer | None:
        """start_field, and the field's sidecar buffer (None: not a sidecar field)."""
        self.start_field(fieldname, fieldobj)
        if fieldname not in SIDECAR_FIELDS or not isinstance(fieldobj.format, VarintPositions):
            return None
        buf = self._buffers.setdefault(fieldname, _FieldBuffer())
        buf.boost = float(fieldobj.format.field_boost)
        return buf

    def add_term(self, btext: bytes, ids: list, weights: list, values: list, lengths: list):
        """A whole term's postings at once (the bulk writer's path), written as add() writes
        them one by one: doc numbers ascending, each with its weight, value and the doc's
        field length."""
        self.start_term(btext)
        adapter.fill_blocks(self._postwriter, ids, weights, values, lengths)
        buf = self._buffers.get(self._fieldname)
        if buf is not None:
            buf.ids.extend(ids)
            buf.weights.extend(weights)
            buf.value_lengths.extend(map(len, values))
            buf.values += b"".join(values)
        self.finish_term()

    def start_term(self, btext) -> None:
        super().start_term(btext)
        buf = self._buffers.get(self._fieldname)
        if buf is not None:
            buf.term_start = len(buf.ids)

    def finish_term(self) -> None:
        super().finish_term()
        buf = self._buffers.get(self._fieldname)
        if buf is None:
            return
        start = buf.term_start
        buf.terms[self._btext] = (start, len(buf.ids) - start, 0)
        if len(buf.values) >= _DECODE_CHUNK:
            buf.flush_values()

    def close(self) -> None:
        if not self.is_closed and self._buffers:
            self._write_sidecar()
        super().close()

    def _write_sidecar(self) -> None:
        out = self._segment.create_file(self._storage, EXT)
        try:
            out.write(MAGIC)
            at = len(MAGIC)
            directory = {}
            for fieldname, buf in self._buffers.items():
                buf.flush_values()
                counts = (
                    np.concatenate(buf.count_parts) if buf.count_parts else np.empty(0, np.uint32)
                )
                positions = (
                    np.concatenate(buf.position_parts)
                    if buf.position_parts
                    else np.empty(0, np.uint32)
                )
                # Where each term's positions start: the counts of the postings before it
                # (summed per term: a running sum per posting took 8 bytes a posting).
                starts = np.fromiter(
                    (s for s, _, _ in buf.terms.values()), np.int64, len(buf.terms)
                )
                per_term = (
                    np.add.reduceat(counts, starts, dtype=np.int64) if len(starts) else starts
                )
                firsts = (np.cumsum(per_term) - per_term).tolist()
                terms = {
                    t: (s, n, first)
                    for (t, (s, n, _)), first in zip(buf.terms.items(), firsts, strict=True)
                }
                arrays = {
                    "ids": np.frombuffer(buf.ids, np.uint32),
                    "weights": np.frombuffer(buf.weights, np.float32),
                    "counts": _narrow(counts),
                    "positions": _narrow(positions),
                }
                # A positional field's weight is its count times the field's boost: kept
                # once, as the counts, unless some posting says otherwise.
                boost = np.float32(buf.boost)
                if np.array_equal(arrays["weights"], counts.astype(np.float32) * boost):
                    del arrays["weights"]
                spans = {}
                for name, arr in arrays.items():
                    data = arr.tobytes()
                    out.write(data)
                    spans[name] = (at, arr.dtype.str)
                    at += len(data)
                directory[fieldname] = {"terms": terms, "arrays": spans, "boost": buf.boost}
            out.write(pickle.dumps(directory, protocol=pickle.HIGHEST_PROTOCOL))
            out.write(_TAIL.pack(at))
        finally:
            out.close()


def _narrow(values: np.ndarray) -> np.ndarray:
    """uint16 when every value fits (most articles are far below 65,536 words)."""
    if not len(values) or int(values.max()) < 1 << 16:
        return values.astype(np.uint16)
    return values.astype(np.uint32)


class _Lengths:
    """Field lengths per document, read once per document and field (Whoosh read them for
    every posting, a sixth of the writing time)."""

    def __init__(self, lengths) -> None:
        self._lengths = lengths
        self._cache: dict[str, dict[int, int]] = {}

    def field(self, fieldname: str):
        if self._lengths is None:
            return lambda docnum: 0
        cache = self._cache.setdefault(fieldname, {})
        dfl = self._lengths.doc_field_length

        def length(docnum: int) -> int:
            found = cache.get(docnum)
            if found is None:
                found = cache[docnum] = dfl(docnum, fieldname)
            return found

        return length


class SidecarCodec(W3Codec):
    """Whoosh's W3 codec, writing the sidecar file with each segment's postings."""

    def field_writer(self, storage, segment):
        return SidecarFieldWriter(self, storage, segment)


class SidecarReader:
    """One segment's sidecar, read with pread (thread-safe: no shared file position)."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self._base = offset
            if self._pread(0, len(MAGIC)) != MAGIC:
                raise ValueError("not a sidecar file")
            (dir_at,) = _TAIL.unpack(self._pread(length - _TAIL.size, _TAIL.size))
            directory = pickle.loads(self._pread(dir_at, length - _TAIL.size - dir_at))
        except BaseException:
            os.close(self._fd)
            raise
        self._terms = {f: d["terms"] for f, d in directory.items()}
        self._arrays = {
            f: {name: (at, np.dtype(code)) for name, (at, code) in d["arrays"].items()}
            for f, d in directory.items()
        }
        self._boosts = {f: np.float32(d.get("boost", 1.0)) for f, d in directory.items()}

    def _pread(self, at: int, size: int) -> bytes:
        data = os.pread(self._fd, size, self._base + at)
        if len(data) != size:
            raise OSError("short read of a sidecar file")
        return data

    def _slice(self, fieldname: str, name: str, start: int, count: int) -> np.ndarray:
        at, dtype = self._arrays[fieldname][name]
        return np.frombuffer(
            self._pread(at + start * dtype.itemsize, count * dtype.itemsize), dtype
        )

    def has(self, fieldname: str) -> bool:
        return fieldname in self._terms

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        found = self._terms[fieldname].get(btext)
        return 0 if found is None else found[1]

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Doc numbers (int64) and weights (float32) of a term in this segment."""
        found = self._terms[fieldname].get(btext)
        if found is None:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        start, count, _ = found
        ids = self._slice(fieldname, "ids", start, count).astype(np.int64)
        if "weights" in self._arrays[fieldname]:
            return ids, self._slice(fieldname, "weights", start, count)
        counts = self._slice(fieldname, "counts", start, count)
        return ids, counts.astype(np.float32) * self._boosts[fieldname]

    def _occurrences(self, fieldname: str, btext: bytes, wanted: np.ndarray):
        """(doc numbers, positions per doc, the positions in turn) of the term's postings in
        the wanted docs; None when it has none there."""
        found = self._terms[fieldname].get(btext)
        if found is None:
            return None
        start, count, first = found
        ids = self._slice(fieldname, "ids", start, count).astype(np.int64)
        counts = self._slice(fieldname, "counts", start, count).astype(np.int64)
        chosen = wanted[ids]
        at = np.flatnonzero(chosen)
        if not len(at):
            return None
        # Read the term's positions from the first chosen posting to the last one, and
        # keep those of chosen postings with one mask (a phrase of common words chooses
        # nearly every posting: a gather of each one's positions took three times as long).
        lo, hi = int(at[0]), int(at[-1]) + 1
        before = int(counts[:lo].sum())
        ids, counts, chosen = ids[lo:hi], counts[lo:hi], chosen[lo:hi]
        positions = self._slice(fieldname, "positions", first + before, int(counts.sum()))
        if len(at) < len(chosen):
            positions = positions[np.repeat(chosen, counts)]
            ids, counts = ids[chosen], counts[chosen]
        return ids, counts, positions

    def positions(self, fieldname: str, btext: bytes, wanted: np.ndarray) -> np.ndarray:
        """Sorted keys (doc << 32 | position) of the term's occurrences in the wanted docs."""
        found = self._occurrences(fieldname, btext, wanted)
        if found is None:
            return np.empty(0, np.int64)
        ids, counts, positions = found
        keys = np.repeat(ids << 32, counts)
        keys |= positions
        return keys

    def phrase_docs(self, fieldname: str, words: list[bytes], wanted: np.ndarray) -> np.ndarray:
        """The wanted docs (ascending) where the words occur one after the other.

        Each doc's positions get a range of their own in one flat array (a doc's range is
        its last position plus one slot per word long, so a position shifted back by a
        word's place stays inside it); the first word's positions are marked in a boolean
        array over that range and each later word keeps the marks it continues. Joining
        doc << 32 | position keys by sorting took twice as long for common words, whose
        positions are millions at 100,000 articles."""
        n = len(words)
        found = []
        wanted = wanted.copy()
        for word in words:
            occurrences = self._occurrences(fieldname, word, wanted)
            if occurrences is None:
                return np.empty(0, np.int64)
            found.append(occurrences)
            wanted[:] = False
            wanted[occurrences[0]] = True
        # Every word's postings in the docs holding all of them (wanted, now).
        aligned = []
        for ids, counts, positions in found:
            keep = wanted[ids]
            if not keep.all():
                positions = positions[np.repeat(keep, counts)]
                ids, counts = ids[keep], counts[keep]
            aligned.append((counts, positions))
        docs = np.flatnonzero(wanted)
        if not len(docs):
            return docs
        last = np.zeros(len(docs), np.int64)
        for counts, positions in aligned:
            last = np.maximum(last, positions[np.cumsum(counts) - 1])
        room = last + 1 + n
        base = np.cumsum(room) - room + n  # where each doc's position 0 goes
        index_type = np.int32 if int(room.sum()) < 1 << 31 else np.int64
        base = base.astype(index_type)
        marked = None
        for i, (counts, positions) in enumerate(aligned):
            flat = np.repeat(base - i, counts)
            flat += positions
            if marked is None:
                marked = np.zeros(int(room.sum()), dtype=bool)
                marked[flat] = True
                continue
            going = marked[flat]
            if i == n - 1:
                starts = np.cumsum(counts) - counts
                return docs[np.logical_or.reduceat(going, starts)]
            marked = np.zeros(len(marked), dtype=bool)
            marked[flat[going]] = True
        return docs  # one word

    def close(self) -> None:
        os.close(self._fd)
