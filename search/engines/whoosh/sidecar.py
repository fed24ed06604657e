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
reader reads a term's slice of each array with one pread.

The positions are stored here only: Whoosh's posting blocks of these fields hold doc
numbers and weights and an empty value per posting ("whoosh_values": False in the
directory; they held every posting's positions too, half of the index). Whoosh still reads
them where it needs them, a merge above all: SidecarCodec's terms reader gives its
matchers each posting's value (the positions as varints) from this file, and the merged
segment's field writer keeps them here again. A segment without the file (written before
the sidecar, or by another codec) is read through Whoosh's postings as before, and so are
the positions of sidecars written before they left Whoosh's blocks.

The codec class is pickled into the index's table of contents with each segment: keep its
module and name.
"""

from __future__ import annotations

import os
import pickle
import struct
from array import array

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3TermsReader
from whoosh.matching import ListMatcher

from search.engines.whoosh import adapter
from search.engines.whoosh.positions import VarintPositions, decode_flat, encode_many

EXT = ".sdc"
MAGIC = b"SCSIDE01"
SIDECAR_FIELDS = ("title", "body")
_TAIL = struct.Struct("<Q")  # the directory's offset, last in the file
# Position bytes decoded at once while writing (bounds the writer's memory).
_DECODE_CHUNK = 8 * 1024 * 1024


class _FieldBuffer:
    """One field's postings as they arrive, in flat arrays (written out at the end of the
    field, see SidecarFieldWriter.finish_field)."""

    def __init__(self, boost: float) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.value_lengths = array("I")
        self.values = bytearray()
        self.count_parts: list[np.ndarray] = []
        self.position_parts: list[np.ndarray] = []
        self.terms: dict[bytes, tuple[int, int]] = {}  # term -> (first posting, postings)
        self.term_start = 0
        self.postings = 0  # postings given so far (the bulk path keeps no ids here)
        self.boost = boost  # the field's boost (a posting's weight: its count times this)
        # The bulk path's positions, already written to the file: (offset, dtype, count).
        self.streamed: tuple[int, str, int] | None = None

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


def keeps(fieldname: str, fieldobj) -> bool:
    """Whether the sidecar holds this field (its positions then only there)."""
    return fieldname in SIDECAR_FIELDS and isinstance(fieldobj.format, VarintPositions)


class SidecarFieldWriter(W3FieldWriter):
    """Whoosh's field writer, keeping the scored fields' postings for the sidecar.

    The positions of those fields are written to the sidecar only: Whoosh's posting blocks
    of title and body hold doc numbers and weights (an empty value per posting), and the
    codec's reader (SidecarTermsReader) hands Whoosh's matchers each posting's positions
    from the sidecar, so merges, Whoosh's own phrase matcher and adapter.leaf_positions
    read what they read before. Each field's arrays are written when the field ends (its
    buffer then freed), the directory when the segment's postings end."""

    def __init__(self, codec, storage, segment) -> None:
        super().__init__(codec, storage, segment)
        self._buffers: dict[str, _FieldBuffer] = {}
        self._buf: _FieldBuffer | None = None  # the current field's
        self._out = None  # the sidecar file, opened by the first field it holds
        self._at = 0
        self._directory: dict = {}

    def add_postings(self, schema, lengths, items) -> None:
        """Whoosh's FieldWriter.add_postings (same calls, same order), with field lengths
        read once per document instead of once per posting, and the scored fields' values
        kept for the sidecar instead of Whoosh's blocks."""
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
            if buf is None:
                add(docnum, weight, value, field_lengths(docnum))
                continue
            add(docnum, weight, b"", field_lengths(docnum))
            buf.ids.append(docnum)
            buf.weights.append(weight)
            buf.value_lengths.append(len(value))
            buf.values += value
            buf.postings += 1
        if lasttext is not None:
            finish_term()
        if lastfn is not None:
            finish_field()

    def begin_field(self, fieldname: str, fieldobj) -> _FieldBuffer | None:
        """start_field, and the field's sidecar buffer (None: not a sidecar field)."""
        self.start_field(fieldname, fieldobj)
        self._buf = None
        if not keeps(fieldname, fieldobj):
            return None
        if fieldname in self._buffers or fieldname in self._directory:
            raise ValueError(f"field {fieldname!r} given twice")
        self._buf = self._buffers[fieldname] = _FieldBuffer(float(fieldobj.format.field_boost))
        return self._buf

    def add_term(self, btext: bytes, ids: list, weights: list, values: list, lengths: list):
        """A whole term's postings at once (the bulk writer's path), written as add() writes
        them one by one: doc numbers ascending, each with its weight, value and the doc's
        field length. In a sidecar field the values are not given (the bulk writer sends
        the positions with stream_positions) and the doc numbers and counts come with
        finish_sorted_field."""
        self.start_term(btext)
        adapter.fill_blocks(self._postwriter, ids, weights, values, lengths)
        buf = self._buf
        if buf is not None:
            buf.postings += len(ids)
        self.finish_term()

    def stream_positions(self, positions: np.ndarray) -> None:
        """The next positions of the current sidecar field (the bulk path: each term's in
        turn, in term order, every posting's ascending), written to the file at once."""
        buf = self._buf
        out = self._file()
        if buf.streamed is None:
            buf.streamed = (self._at, positions.dtype.str, 0)
        at, code, count = buf.streamed
        if positions.dtype.str != code:
            raise ValueError("positions of one field in one type")
        data = positions.tobytes()
        out.write(data)
        self._at += len(data)
        buf.streamed = (at, code, count + len(positions))

    def finish_sorted_field(self, ids: np.ndarray, counts: np.ndarray, weights=None) -> None:
        """The end of a bulk field: every posting's doc number and position count, in
        the order its terms were added (weights only where they are not count * boost)."""
        buf = self._buf
        arrays = {"ids": ids.astype(np.uint32, copy=False), "counts": counts}
        if weights is not None:
            arrays["weights"] = weights.astype(np.float32, copy=False)
        self._write_field(buf, arrays)
        self.finish_field()

    def start_term(self, btext) -> None:
        super().start_term(btext)
        buf = self._buf
        if buf is not None:
            buf.term_start = buf.postings

    def finish_term(self) -> None:
        super().finish_term()
        buf = self._buf
        if buf is None:
            return
        start = buf.term_start
        buf.terms[self._btext] = (start, buf.postings - start)
        if len(buf.values) >= _DECODE_CHUNK:
            buf.flush_values()

    def finish_field(self) -> None:
        super().finish_field()
        buf, self._buf = self._buf, None
        if buf is not None and self._fieldname not in self._directory:
            self._write_field(buf, None)

    def _file(self):
        if self._out is None:
            self._out = self._segment.create_file(self._storage, EXT)
            self._out.write(MAGIC)
            self._at = len(MAGIC)
        return self._out

    def _write_field(self, buf: _FieldBuffer, arrays: dict | None) -> None:
        """A field's arrays (from its buffer when not given) and its directory entry."""
        fieldname = self._fieldname
        out = self._file()
        spans = {}
        if arrays is None:
            buf.flush_values()
            counts = np.concatenate(buf.count_parts) if buf.count_parts else np.empty(0, np.uint16)
            buf.count_parts = []
            positions = (
                np.concatenate(buf.position_parts) if buf.position_parts else np.empty(0, np.uint16)
            )
            buf.position_parts = []
            arrays = {
                "ids": np.frombuffer(buf.ids, np.uint32),
                "weights": np.frombuffer(buf.weights, np.float32),
                "counts": _narrow(counts),
                "positions": _narrow(positions),
            }
        else:
            counts = arrays["counts"]
            at, code, count = buf.streamed or (self._at, np.dtype(np.uint16).str, 0)
            if count != int(counts.sum(dtype=np.int64)):
                raise ValueError("streamed positions do not match the counts")
            spans["positions"] = (at, code)
        if len(arrays["ids"]) != buf.postings:
            raise ValueError("doc numbers do not match the postings")
        # Where each term's positions start: the counts of the postings before it
        # (summed per term: a running sum per posting took 8 bytes a posting).
        starts = np.fromiter((s for s, _ in buf.terms.values()), np.int64, len(buf.terms))
        nonempty = starts < len(counts)
        per_term = np.zeros(len(starts), np.int64)
        if nonempty.any():
            per_term[nonempty] = np.add.reduceat(counts, starts[nonempty], dtype=np.int64)
        firsts = (np.cumsum(per_term) - per_term).tolist()
        terms = {
            t: (s, n, first) for (t, (s, n)), first in zip(buf.terms.items(), firsts, strict=True)
        }
        # A positional field's weight is its count times the field's boost: kept once, as
        # the counts, unless some posting says otherwise.
        if "weights" in arrays:
            boost = np.float32(buf.boost)
            if np.array_equal(arrays["weights"], counts.astype(np.float32) * boost):
                del arrays["weights"]
        for name, arr in arrays.items():
            data = arr.tobytes()
            out.write(data)
            spans[name] = (self._at, arr.dtype.str)
            self._at += len(data)
        # "whoosh_values": False - Whoosh's blocks of this field hold no positions.
        self._directory[fieldname] = {
            "terms": terms,
            "arrays": spans,
            "boost": buf.boost,
            "whoosh_values": False,
        }
        del self._buffers[fieldname]

    def close(self) -> None:
        if not self.is_closed and self._out is not None:
            out, self._out = self._out, None
            try:
                out.write(pickle.dumps(self._directory, protocol=pickle.HIGHEST_PROTOCOL))
                out.write(_TAIL.pack(self._at))
            finally:
                out.close()
        super().close()


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
    """Whoosh's W3 codec, writing the sidecar file with each segment's postings, and
    reading the positions of its fields from there."""

    def field_writer(self, storage, segment):
        return SidecarFieldWriter(self, storage, segment)

    def terms_reader(self, storage, segment):
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return SidecarTermsReader(self, tifile, tilen, postfile, storage, segment)


class SidecarTermsReader(W3TermsReader):
    """Whoosh's terms reader, whose matchers of a field kept in the segment's sidecar
    (positions there only) give each posting's value (its positions as varints) from the
    sidecar: what a merge copies into the new segment (through its field writer, which
    keeps them in the new sidecar again) and what Whoosh's phrase matcher reads."""

    def __init__(self, codec, dbfile, length, postfile, storage, segment) -> None:
        super().__init__(codec, dbfile, length, postfile)
        self._storage, self._segment = storage, segment
        self._sidecar: SidecarReader | None | bool = False  # False: not opened yet

    def _positions_from(self, fieldname: str) -> SidecarReader | None:
        if self._sidecar is False:
            self._sidecar = SidecarReader.of_segment(self._storage, self._segment)
        side = self._sidecar
        return side if side is not None and side.positions_only(fieldname) else None

    def matcher(self, fieldname, tbytes, format_, scorer=None):
        side = self._positions_from(fieldname)
        if side is None:
            return super().matcher(fieldname, tbytes, format_, scorer=scorer)
        terminfo = self.term_info(fieldname, tbytes)
        values = _TermValues(side, fieldname, tbytes)
        term = (fieldname, tbytes)
        if terminfo.is_inlined():
            ids, weights, _ = terminfo.inlined_postings()
            return ListMatcher(
                ids,
                weights,
                values.of(ids),
                format_,
                scorer=scorer,
                term=term,
                terminfo=terminfo,
            )
        offset, length = terminfo.extent()
        return SidecarLeafMatcher(
            values, self._postfile, offset, length, format_, term=term, scorer=scorer
        )

    def close(self) -> None:
        if self._sidecar:
            self._sidecar.close()
        self._sidecar = None
        super().close()


class _TermValues:
    """One term's postings in a sidecar, as Whoosh's posting values (read on first use)."""

    def __init__(self, side: SidecarReader, fieldname: str, btext: bytes) -> None:
        self._side, self._fieldname, self._btext = side, fieldname, btext
        self._arrays = None

    def of(self, docnums) -> tuple:
        """The values of the postings of these doc numbers."""
        if self._arrays is None:
            ids, counts, positions = self._side.term(self._fieldname, self._btext)
            starts = np.cumsum(counts) - counts
            self._arrays = ids, counts, starts, positions
        ids, counts, starts, positions = self._arrays
        at = np.searchsorted(ids, np.asarray(docnums, dtype=np.int64))
        chosen = counts[at]
        total = int(chosen.sum())
        # Each chosen posting's positions: its start, then one step per position.
        index = np.repeat(starts[at] - (np.cumsum(chosen) - chosen), chosen) + np.arange(total)
        data, bounds = encode_many(chosen, positions[index])
        bounds = bounds.tolist()
        return tuple(data[bounds[i] : bounds[i + 1]] for i in range(len(at)))


class SidecarLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, each block's values from the sidecar (see
    SidecarTermsReader)."""

    def __init__(self, sidecar_values: _TermValues, *args, **kwargs) -> None:
        self.sidecar_values = sidecar_values
        super().__init__(*args, **kwargs)

    def _read_values(self) -> None:
        if self._ids is None:
            self._read_ids()
        self._values = self.sidecar_values.of(self._ids)


class SidecarReader:
    """One segment's sidecar, read with pread (thread-safe: no shared file position)."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        fd = os.open(path, os.O_RDONLY)

        def pread(at: int, size: int) -> bytes:
            return os.pread(fd, size, offset + at)

        self._setup(pread, length, lambda: os.close(fd))

    @classmethod
    def of_segment(cls, storage, segment) -> SidecarReader | None:
        """The sidecar of a segment read through Whoosh's storage (inside its compound
        file or beside it; not thread-safe, as Whoosh's readers); None without one."""
        name = segment.make_filename(EXT)
        if not storage.file_exists(name):
            return None
        length = storage.file_length(name)
        f = storage.open_file(name)
        reader = cls.__new__(cls)
        reader._setup(f.get, length, f.close)
        return reader

    def _setup(self, read, length: int, close) -> None:
        self._read, self._close = read, close
        try:
            if self._pread(0, len(MAGIC)) != MAGIC:
                raise ValueError("not a sidecar file")
            (dir_at,) = _TAIL.unpack(self._pread(length - _TAIL.size, _TAIL.size))
            directory = pickle.loads(self._pread(dir_at, length - _TAIL.size - dir_at))
        except BaseException:
            close()
            raise
        self._terms = {f: d["terms"] for f, d in directory.items()}
        self._arrays = {
            f: {name: (at, np.dtype(code)) for name, (at, code) in d["arrays"].items()}
            for f, d in directory.items()
        }
        self._boosts = {f: np.float32(d.get("boost", 1.0)) for f, d in directory.items()}
        # Sidecars written before the positions left Whoosh's blocks say nothing.
        self._only = {f for f, d in directory.items() if d.get("whoosh_values", True) is False}

    def positions_only(self, fieldname: str) -> bool:
        """Whether Whoosh's blocks of the field hold no positions (this file does)."""
        return fieldname in self._only

    def term(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting of a term: doc numbers, position counts and the positions."""
        found = self._terms[fieldname].get(btext)
        if found is None:
            empty = np.empty(0, np.int64)
            return empty, empty, empty
        start, count, first = found
        ids = self._slice(fieldname, "ids", start, count).astype(np.int64)
        counts = self._slice(fieldname, "counts", start, count).astype(np.int64)
        positions = self._slice(fieldname, "positions", first, int(counts.sum()))
        return ids, counts, positions.astype(np.int64)

    def _pread(self, at: int, size: int) -> bytes:
        data = self._read(at, size)
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
        self._close()
