"""Every use of Whoosh's private attributes, in one place.

The search state reads columns, field lengths and posting blocks straight from Whoosh's
storage objects (a tenth of the time of the public iterators); those objects' private names
(`_dbfile`, `_perdoc`, `_read_ids`, `_btexts`, ...) are used here and nowhere else.
tests/engines/test_whoosh_adapter.py fails loudly when the installed Whoosh changes them.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
from array import array
from itertools import chain

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from search.engines.whoosh.positions import VarintPositions, decode_many

# The private names this module relies on, by the class that holds them (tested).
PRIVATE_NAMES = {
    "whoosh.columns.NumericColumn.Reader": (
        "_dbfile",
        "_basepos",
        "_count",
        "_fixedlen",
        "_typecode",
        "_default",
    ),
    "whoosh.codec.whoosh3.W3PerDocReader": ("_cached_reader",),
    "whoosh.reading.SegmentReader": ("_perdoc", "_storage"),
    "whoosh.codec.whoosh3.W3LeafMatcher": (
        "_length",
        "_startoffset",
        "_postfile",
        "_byteids",
        "_read_ids",
        "_read_weights",
        "_read_data",
        "_data",
        "_read_values",
        "_ids",
        "_weights",
        "_values",
        "_lastblock",
        "_goto",
        "_nextoffset",
    ),
    "whoosh.filedb.compound.SubFile": ("_file", "_offset"),
    "whoosh.query.MultiTerm": ("_btexts",),
    "whoosh.filedb.filestore.OverlayStorage": ("a", "b"),
    "whoosh.filedb.compound.CompoundStorage": ("range",),
    "whoosh.filedb.filestore.FileStorage": ("folder",),
    "whoosh.writing.SegmentWriter": (
        "pool",
        "mergetype",
        "perdocwriter",
        "fieldwriter",
        "docnum",
        "_added",
        "_finalize_segment",
        "_close_segment",
        "_assemble_segment",
    ),
    "whoosh.codec.whoosh3.W3PostingsWriter": (
        "_blocklimit",
        "_ids",
        "_weights",
        "_values",
        "_maxweight",
        "_minlength",
        "_maxlength",
        "_write_block",
    ),
    "whoosh.codec.whoosh3.W3FieldWriter": ("_postwriter",),
}


def segment_file(leaf, ext: str) -> tuple[str, int, int] | None:
    """(path, offset, length) of one file of a segment on disk, inside its compound file or
    beside it; None when the segment has no such file (or is not on disk)."""
    segment = leaf.segment()
    name = segment.make_filename(ext)
    storage = leaf._storage
    compound, plain = None, storage
    if isinstance(storage, OverlayStorage):
        compound, plain = storage.a, storage.b
    if not isinstance(plain, FileStorage):
        return None
    if isinstance(compound, CompoundStorage) and compound.file_exists(name):
        offset, length = compound.range(name)
        return (
            os.path.join(plain.folder, segment.make_filename(segment.COMPOUND_EXT)),
            offset,
            length,
        )
    if plain.file_exists(name):
        return os.path.join(plain.folder, name), 0, plain.file_length(name)
    return None


def deleted_docs(leaf) -> list[int]:
    """Deleted document numbers of one segment."""
    return list(leaf._perdoc.deleted_docs()) if leaf.has_deletions() else []


def expand(q, reader) -> list:
    """The index terms a prefix / wildcard / fuzzy query stands for in a reader."""
    return list(q._btexts(reader))


_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def numeric_column(leaf, fieldname: str, dtype, missing) -> np.ndarray:
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


def field_lengths(leaf, fieldname: str) -> np.ndarray:
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
        # A sidecar's matcher (sidecar.SidecarLeafMatcher) keeps its source of values.
        extra = (m.sidecar_values,) if hasattr(m, "sidecar_values") else ()
        m = type(m)(*extra, BufferFile(data), 0, length, m.format, byteids=m._byteids)
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
        ids, weights = _block_arrays(m)
        id_parts.append(ids)
        weight_parts.append(weights)
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _block_arrays(m) -> tuple[np.ndarray, np.ndarray]:
    """The current block's doc numbers and weights, from the unpickled block tuple (id
    deltas, weights: None for all 1.0, one float for all alike, or one each) with numpy,
    where Whoosh's _read_ids and _read_weights rebuild them in Python loops."""
    if m._data is None:
        m._read_data()
    raw_ids, raw_weights = m._data[0], m._data[1]
    ids = np.asarray(raw_ids, dtype=np.int64)
    if not m._byteids:
        ids = np.cumsum(ids)
    if raw_weights is None or isinstance(raw_weights, float):
        weights = np.full(len(ids), 1.0 if raw_weights is None else raw_weights, np.float32)
    else:
        weights = np.asarray(raw_weights, dtype=np.float32)
    return ids, weights


def leaf_positions(leaf, fieldname: str, text, wanted: np.ndarray) -> np.ndarray:
    """Keys (doc << 32 | position) of a term's occurrences in the wanted docs of a segment.

    Only the postings of wanted documents are decoded: VarintPositions values all at once
    (positions.decode_many); Whoosh's own Positions values (indexes built before it) are
    pickled position deltas, unpickled one by one.
    """
    m = _matcher(leaf, fieldname, text)
    if m is None:
        return np.empty(0, np.int64)
    docs, chosen_values = [], []
    while True:
        ids, _ = _block_arrays(m)
        chosen = np.flatnonzero(wanted[ids])
        if len(chosen):
            m._read_values()
            values = m._values
            chosen_values += [values[i] for i in chosen.tolist()]
            docs.append(ids[chosen])
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    if not docs:
        return np.empty(0, np.int64)
    if isinstance(m.format, VarintPositions):
        counts, positions = decode_many(chosen_values)
    else:
        counts, positions = _unpickled(chosen_values)
    doc_of = np.repeat(np.concatenate(docs), counts)
    return (doc_of << 32) | positions


def _unpickled(values) -> tuple[np.ndarray, np.ndarray]:
    """(positions per value, positions) of Whoosh Positions values (pickled deltas)."""
    loads = pickle.loads
    code_lists = [loads(v[4:] + b".") for v in values]
    counts = np.fromiter(map(len, code_lists), dtype=np.int64, count=len(code_lists))
    total = int(counts.sum())
    deltas = np.fromiter(chain.from_iterable(code_lists), dtype=np.int64, count=total)
    positions = np.cumsum(deltas)
    # cumsum ran across documents: subtract each document's starting total.
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    before = np.concatenate(([0], positions))[starts]
    return counts, positions - np.repeat(before, counts)


# -- segments written apart, committed together (bulk.py) ---------------------------------


def unlocked_segment_writer(ix, codec, pool) -> SegmentWriter:
    """A writer of one new segment of ix, taking no lock (the caller holds or needs none:
    several processes each write a segment, the parent commits them) and gathering its
    postings in `pool` (Whoosh's PostingPool interface: add, iter_postings, cleanup)."""
    writer = SegmentWriter(ix, _lk=False, codec=codec)
    writer.pool.cleanup()
    writer.pool = pool
    return writer


def finish_segment(writer: SegmentWriter):
    """The segment's files written and closed; the segment (picklable) for commit_with."""
    return writer._finalize_segment()


def fill_blocks(postwriter, ids: list, weights: list, values: list, lengths: list) -> None:
    """One term's postings into a W3PostingsWriter between start_postings and
    finish_postings, block by block, with the same blocks and block statistics as its
    add_posting gives them one posting at a time (a fifth of a rebuild's time went there).
    Values: each posting's bytes (empty ones are not kept, as add_posting does not keep
    them); lengths: each posting's document's field length (0: none)."""
    limit = postwriter._blocklimit
    for at in range(0, len(ids), limit):
        if at:  # add_posting writes a full block when the next posting arrives
            postwriter._write_block()
        end = at + limit
        block_weights = weights[at:end]
        postwriter._ids = array("I", ids[at:end])
        postwriter._weights = array("f", block_weights)
        postwriter._values = [v for v in values[at:end] if v]
        postwriter._maxweight = max(0, max(block_weights))
        known = [n for n in lengths[at:end] if n]
        postwriter._minlength = min(known) if known else None
        postwriter._maxlength = max(known) if known else 0


def flush_segment(writer, write_postings) -> object:
    """The segment's files written and closed, its postings written by
    write_postings(fieldwriter, per_document_reader) instead of from the pool; the segment
    (picklable) for commit_with."""
    writer.perdocwriter.close()
    lengths = writer.per_document_reader()
    try:
        write_postings(writer.fieldwriter, lengths)
    finally:
        lengths.close()
    writer.fieldwriter.close()
    writer._close_segment()
    writer._assemble_segment()
    return writer.get_segment()


def commit_with(writer: SegmentWriter, segments) -> None:
    """Make the writer's commit list these segments after the index's own (no merge)."""
    extra = list(segments)
    writer.mergetype = lambda _writer, current: [*current, *extra]


# -- children that die with their parent ---------------------------------------------------

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
