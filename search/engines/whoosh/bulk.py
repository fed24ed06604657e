"""The rebuild's writer: Whoosh segments written from postings gathered in memory, by one
process per core, committed together in one table of contents.

Whoosh's own writer sends every posting through its PostingPool: a 5-tuple per posting,
sorted all together by (field, term, doc) at the end (spilled to disk and merged in Python
below ~1 GB), and its multi-process writer merged the children's postings again. Here each
field's postings are kept as flat arrays in the order documents arrive (term number, doc
number, and for title and body the position count and the positions themselves as plain
2-byte integers; for the other fields Whoosh's weight and value), so one stable argsort
over the term numbers puts them in the order the codec writes them (documents arrive in
doc order). The segment files are written by the same codec (SidecarCodec) through the same
field and per-document writers, so the index is the one an article-by-article build makes;
the query path cannot tell. Title and body positions go to the sidecar only, streamed to
its file slice by slice as they are put in term order (sidecar.py).

A segment is written out once its gathered arrays reach SEGMENT_BYTES: a writer's peak
memory is about its base (Django, the analyzer's word cache, the term dictionaries) plus
the gathered arrays plus about as much again while they are sorted.

With several processes the parent reads the articles (in id order) and sends each child
the documents of a contiguous range of ids (pickled, in batches); each child writes its own
segment(s) and hands back the segment objects, which the parent commits together, in id
order (doc numbers then follow article ids, as in a one-process build, so equal scores tie
alike). No merge of the segments.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import traceback
from array import array

import numpy as np

from search.engines.base import IndexDoc, documents
from search.engines.whoosh import adapter, sidecar
from search.engines.whoosh import write as whoosh_write
from search.engines.whoosh.positions import GroupedTerms, decode_flat
from search.engines.whoosh.sidecar import SidecarCodec

# Bytes of postings gathered before a segment is written out (the arrays below; writing
# a segment takes about as much again): bounds a writer's memory.
SEGMENT_BYTES = 160 * 1024 * 1024
# Documents sent to a child at once.
BATCH = 200
# Postings handed to the codec per slice of the sorted order (bounds the Python lists: a
# posting's numbers as Python objects take about 150 bytes).
_SLICE = 100_000
# What the last write_index in this process measured of its writer processes: each one's
# peak resident memory in MB (ru_maxrss, read by the writer itself), in id order; empty
# when the parent wrote the index itself. The search bench prints it.
LAST_WRITER_PEAKS_MB: list[float] = []


class _Narrow:
    """Non-negative integers appended in bulk, two bytes each until one needs four."""

    def __init__(self) -> None:
        self.data = array("H")

    def extend(self, values: np.ndarray) -> None:
        if not len(values):
            return
        if self.data.typecode == "H" and int(values.max()) > 0xFFFF:
            wide = array("I")
            wide.frombytes(np.frombuffer(self.data, np.uint16).astype(np.uint32).tobytes())
            self.data = wide
        self.data.frombytes(values.astype(self.dtype).tobytes())

    @property
    def dtype(self):
        return np.uint16 if self.data.typecode == "H" else np.uint32

    def numbers(self) -> np.ndarray:
        return np.frombuffer(self.data, self.dtype)

    @property
    def nbytes(self) -> int:
        return len(self.data) * self.data.itemsize


class _TermNumbers:
    """A field's terms numbered in the order first seen, and each posting's term number."""

    def __init__(self) -> None:
        self.numbers: dict[bytes, int] = {}  # term -> term number here (first seen first)
        # An analyzer's term numbers (positions.GroupedTerms) -> ours (-1: not seen yet).
        self.analyzer_texts: list | None = None
        self.mapping = np.empty(0, np.int64)
        self.terms = array("I")

    def number(self, btext: bytes) -> int:
        numbers = self.numbers
        found = numbers.get(btext)
        if found is None:
            found = numbers[btext] = len(numbers)
        return found

    def local_numbers(self, grouped: GroupedTerms) -> np.ndarray:
        if grouped.texts is not self.analyzer_texts:  # another analyzer, or its cache reset
            self.analyzer_texts, self.mapping = grouped.texts, np.empty(0, np.int64)
        if not len(grouped.numbers):
            return grouped.numbers
        top = int(grouped.numbers.max())
        if top >= len(self.mapping):
            grown = np.full(max(top + 1, 2 * len(self.mapping)), -1, np.int64)
            grown[: len(self.mapping)] = self.mapping
            self.mapping = grown
        local = self.mapping[grouped.numbers]
        for i in np.flatnonzero(local < 0).tolist():
            number = int(grouped.numbers[i])
            btext = grouped.texts[number].encode("utf-8")
            local[i] = self.mapping[number] = self.numbers.setdefault(btext, len(self.numbers))
        return local

    def sorted_order(self) -> tuple[list, list[int], np.ndarray, list[int]]:
        """(terms by number, term numbers in term order, the postings in term order (a
        stable sort: within a term, in the order added), postings per term in term order);
        the postings' term numbers are released."""
        texts = list(self.numbers)  # term number -> term
        by_text = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.empty(len(texts), np.uint32)
        rank[by_text] = np.arange(len(texts), dtype=np.uint32)
        ranks = rank[np.frombuffer(self.terms, np.uint32)]
        self.terms = None
        order = np.argsort(ranks, kind="stable")
        per_term = np.bincount(ranks, minlength=len(texts)).tolist()  # in term order
        del ranks
        if len(order) < 1 << 32:
            order = order.astype(np.uint32)  # half the memory for the rest of the write
        return texts, by_text, order, per_term


class _FieldPostings(_TermNumbers):
    """One field's postings in the order they were added, with Whoosh's values."""

    def __init__(self) -> None:
        super().__init__()
        self.docs = array("I")
        self.weights = array("f")
        self.value_lengths = array("I")
        self.values = bytearray()

    @property
    def nbytes(self) -> int:
        return 16 * len(self.docs) + len(self.values)


class _SidecarPostings(_TermNumbers):
    """A field the sidecar keeps (sidecar.keeps): each posting's doc number and position
    count, and every posting's positions in turn as plain integers (the sidecar's own
    form: written out as they are once sorted by term, no varints to decode). Weights are
    kept only once one differs from the count times the field's boost."""

    def __init__(self, boost: float) -> None:
        super().__init__()
        self.boost = np.float32(boost)
        self.docs = array("I")
        self.counts = _Narrow()
        self.positions = _Narrow()
        self.weights: array | None = None

    @property
    def nbytes(self) -> int:
        extra = 0 if self.weights is None else 4 * len(self.docs)
        return 8 * len(self.docs) + self.counts.nbytes + self.positions.nbytes + extra

    def add(self, number: int, docnum: int, weight: float, positions: np.ndarray) -> None:
        self.terms.append(number)
        self._add(np.full(1, docnum, np.uint32), np.full(1, len(positions)), positions)
        if self.weights is not None or np.float32(weight) != len(positions) * self.boost:
            self._weights().append(weight)

    def add_grouped(self, docnum: int, grouped: GroupedTerms) -> None:
        n = len(grouped.numbers)
        self.terms.frombytes(self.local_numbers(grouped).astype(np.uint32).tobytes())
        self._add(np.full(n, docnum, np.uint32), grouped.counts, grouped.positions)
        if self.weights is not None:
            self.weights.frombytes((grouped.counts * self.boost).astype(np.float32).tobytes())

    def _add(self, docs: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> None:
        self.docs.frombytes(docs.tobytes())
        self.counts.extend(counts)
        self.positions.extend(positions)

    def _weights(self) -> array:
        if self.weights is None:  # every posting before this one: count times the boost
            self.weights = array("f")
            before = self.counts.numbers()[: len(self.docs) - 1]
            self.weights.frombytes((before * self.boost).astype(np.float32).tobytes())
        return self.weights


class MemoryPool:
    """The PostingPool interface a SegmentWriter uses (add, cleanup), with the postings in
    flat arrays (see the module doc); `add_grouped` takes a whole text's postings at once."""

    def __init__(self, schema) -> None:
        self.schema = schema
        self.fields: dict[str, _FieldPostings | _SidecarPostings] = {}
        self.count = 0

    @property
    def nbytes(self) -> int:
        """About how many bytes the gathered postings take."""
        return sum(f.nbytes for f in self.fields.values())

    def _field(self, fieldname: str):
        f = self.fields.get(fieldname)
        if f is None:
            field = self.schema[fieldname]
            if sidecar.keeps(fieldname, field):
                f = _SidecarPostings(field.format.field_boost)
            else:
                f = _FieldPostings()
            self.fields[fieldname] = f
        return f

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, value = item
        f = self._field(fieldname)
        number = f.number(btext)
        self.count += 1
        if isinstance(f, _SidecarPostings):
            value = value or b""
            _, positions = decode_flat(value, np.array([len(value)]))
            f.add(number, docnum, weight, positions)
            return
        f.terms.append(number)
        f.docs.append(docnum)
        f.weights.append(weight)
        f.value_lengths.append(len(value) if value else 0)
        if value:
            f.values += value

    def add_grouped(self, fieldname: str, docnum: int, grouped: GroupedTerms) -> None:
        """A text's postings (positions.VarintPositions.grouped) in a field the sidecar
        keeps; weights count * the field's boost."""
        if not len(grouped.numbers):
            return
        f = self._field(fieldname)
        if not isinstance(f, _SidecarPostings):
            raise ValueError(f"{fieldname!r} is not kept in the sidecar")
        f.add_grouped(docnum, grouped)
        self.count += len(grouped.numbers)

    def cleanup(self) -> None:
        self.fields.clear()


def _write_postings(pool: MemoryPool, schema, fieldwriter, lengths, doc_count: int) -> None:
    """Every field's postings, ordered by field, term and doc as the codec takes them."""
    for fieldname in sorted(pool.fields):
        f = pool.fields.pop(fieldname)
        doc_lengths = np.zeros(doc_count, np.int64)
        if lengths is not None:
            dfl = lengths.doc_field_length
            doc_lengths[:] = [dfl(d, fieldname) or 0 for d in range(doc_count)]
        if isinstance(f, _SidecarPostings):
            _write_sidecar_field(f, fieldname, schema[fieldname], fieldwriter, doc_lengths)
            continue
        fieldwriter.begin_field(fieldname, schema[fieldname])
        for btext, ids, weights, values, field_lengths in _sorted_terms(f, doc_lengths):
            fieldwriter.add_term(btext, ids, weights, values, field_lengths)
        fieldwriter.finish_field()


def _write_sidecar_field(f: _SidecarPostings, fieldname, fieldobj, fieldwriter, doc_lengths):
    """A field the sidecar keeps: Whoosh's blocks get each term's doc numbers, weights and
    field lengths (no values), the sidecar the positions slice by slice as they are put in
    term order (streamed to its file), then the doc numbers and counts."""
    if fieldwriter.begin_field(fieldname, fieldobj) is None:
        raise ValueError(f"the field writer keeps no sidecar of {fieldname!r}")
    texts, by_text, order, per_term = f.sorted_order()
    docs = np.frombuffer(f.docs, np.uint32)[order]
    f.docs = None
    counts_added = f.counts.numbers()
    positions = f.positions.numbers()
    # Where each posting's positions start, in the order added, then in term order.
    start_type = np.uint32 if len(positions) < 1 << 32 else np.int64
    starts = np.cumsum(counts_added, dtype=start_type)
    starts -= counts_added
    starts = starts[order]
    counts = counts_added[order]
    del counts_added
    f.counts = None
    weights = None if f.weights is None else np.frombuffer(f.weights, np.float32)[order]
    f.weights = None
    del order
    total = len(docs)
    at = chunk_at = chunk_end = 0
    d = w = n = ()
    for number, count in zip(by_text, per_term, strict=True):
        end = at + count
        if end > chunk_end:  # the next slice of the sorted postings
            # (A slice may end inside a term: the next one starts at that term, and the
            # positions of its postings before the cut are already out.)
            streamed = chunk_end
            chunk_at, chunk_end = at, max(end, min(at + _SLICE, total))
            new_counts = counts[streamed:chunk_end].astype(np.int64)
            firsts = np.cumsum(new_counts) - new_counts
            index = np.repeat(starts[streamed:chunk_end].astype(np.int64) - firsts, new_counts)
            index += np.arange(len(index))
            fieldwriter.stream_positions(positions[index])
            del index, firsts, new_counts
            chunk_counts = counts[chunk_at:chunk_end]
            chunk_docs = docs[chunk_at:chunk_end]
            d = chunk_docs.tolist()
            if weights is None:
                w = (chunk_counts * f.boost).astype(np.float32).tolist()
            else:
                w = weights[chunk_at:chunk_end].tolist()
            n = doc_lengths[chunk_docs].tolist()
        i, j = at - chunk_at, end - chunk_at
        fieldwriter.add_term(texts[number], d[i:j], w[i:j], (), n[i:j])
        at = end
    del starts, positions
    f.positions = None
    fieldwriter.finish_sorted_field(docs, counts, weights)


def _sorted_terms(f: _FieldPostings, doc_lengths: np.ndarray):
    """(term, doc numbers, weights, values, doc field lengths) of each term in term order;
    the field's arrays are released as they are read."""
    texts, by_text, order, per_term = f.sorted_order()
    docs = np.frombuffer(f.docs, np.uint32)[order]
    weights = np.frombuffer(f.weights, np.float32)[order]
    value_lengths = np.frombuffer(f.value_lengths, np.uint32)
    offset_type = np.uint32 if len(f.values) < 1 << 32 else np.int64
    starts = (np.cumsum(value_lengths, dtype=np.int64) - value_lengths).astype(offset_type)
    starts = starts[order]
    ends = starts + value_lengths[order]
    del order, value_lengths
    values = bytes(f.values)
    f.docs = f.weights = f.value_lengths = f.values = None
    total = len(docs)
    at = chunk_at = chunk_end = 0
    d = w = s = e = n = ()
    for number, count in zip(by_text, per_term, strict=True):
        end = at + count
        if end > chunk_end:  # the next slice of the sorted postings as Python lists
            chunk_at, chunk_end = at, max(end, min(at + _SLICE, total))
            d = docs[chunk_at:chunk_end].tolist()
            w = weights[chunk_at:chunk_end].tolist()
            s = starts[chunk_at:chunk_end].tolist()
            e = ends[chunk_at:chunk_end].tolist()
            n = doc_lengths[docs[chunk_at:chunk_end]].tolist()
        i, j = at - chunk_at, end - chunk_at
        yield (
            texts[number],
            d[i:j],
            w[i:j],
            [values[a:b] for a, b in zip(s[i:j], e[i:j], strict=True)],
            n[i:j],
        )
        at = end


class SegmentBuilder:
    """Documents in, finished segments out: a new segment each SEGMENT_BYTES of postings."""

    def __init__(self, ix, fields_of) -> None:
        self._ix = ix
        self._fields_of = fields_of  # IndexDoc -> the writer's field values
        self._writer = None
        self._pool: MemoryPool | None = None
        self.segments: list = []

    def add(self, doc: IndexDoc) -> None:
        if self._writer is None:
            self._pool = MemoryPool(self._ix.schema)
            codec = SidecarCodec(compression=0)
            self._writer = adapter.unlocked_segment_writer(self._ix, codec, self._pool)
        self._add_document(self._writer, self._fields_of(doc))
        if self._pool.nbytes >= SEGMENT_BYTES:
            self._close()

    def _add_document(self, writer, fields: dict) -> None:
        """SegmentWriter.add_document for the fields of index_fields (no vectors, spelling
        words or boosts), with positional text fields added as arrays."""
        schema = writer.schema
        if any(
            name.startswith("_") or schema[name].vector or schema[name].separate_spelling()
            for name in fields
        ):
            writer.add_document(**fields)
            return
        perdoc, pool, docnum = writer.perdocwriter, self._pool, writer.docnum
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                fmt = field.format
                grouped = None
                if sidecar.keeps(name, field):
                    grouped = fmt.grouped(value, field.analyzer)
                if grouped is not None:
                    pool.add_grouped(name, docnum, grouped)
                    length = int(grouped.counts.sum())
                else:
                    for btext, freq, weight, vbytes in field.index(value):
                        length += freq
                        pool.add((name, btext, docnum, weight, vbytes))
                if not field.scorable:
                    length = 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _close(self) -> None:
        writer, pool = self._writer, self._pool
        self._writer = self._pool = None
        if writer is None:
            return

        def write_postings(fieldwriter, lengths) -> None:
            _write_postings(pool, writer.schema, fieldwriter, lengths, writer.docnum)

        self.segments.append(adapter.flush_segment(writer, write_postings))

    def finish(self) -> list:
        self._close()
        return self.segments


def write_index(ix, fields_of, procs: int, progress=None) -> int:
    """Write every article into the (fresh, empty) index `ix` with `procs` processes, and
    commit; returns how many were written."""
    from search.models import Article

    ids = list(Article.objects.order_by("id").values_list("id", flat=True))
    LAST_WRITER_PEAKS_MB.clear()
    parts = max(1, min(procs, len(ids) // BATCH))
    if parts == 1:  # also an empty database: an empty index
        builder = SegmentBuilder(ix, fields_of)
        count = 0
        for count, doc in enumerate(documents(), 1):  # noqa: B007 - the count is returned
            builder.add(doc)
            if progress:
                progress(1)
        segments = builder.finish()
    else:
        ends = [len(ids) * k // parts for k in range(parts + 1)]
        ranges = [(ids[a], ids[b - 1]) for a, b in zip(ends, ends[1:], strict=False)]
        count, segments = _in_children(ix, fields_of, ranges, progress)
    with whoosh_write.index_writer(ix) as writer:
        adapter.commit_with(writer, segments)
    return count


def _in_children(ix, fields_of, ranges, progress) -> tuple[int, list]:
    """Each id range written by a child process; the parent reads the database (children
    need no connection of their own, and see what the parent's transaction sees)."""
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    children, pipes = [], []
    for _ in ranges:
        ours, theirs = context.Pipe()
        child = context.Process(target=_child, args=(ix, fields_of, theirs, parent), daemon=True)
        child.start()
        theirs.close()  # the child's end: a child that dies then breaks our sends
        children.append(child)
        pipes.append(ours)
    count = 0
    try:
        sources = [iter(documents(id_range=r)) for r in ranges]
        open_ = list(range(len(ranges)))
        while open_:
            for k in list(open_):
                batch = [doc for _, doc in zip(range(BATCH), sources[k], strict=False)]
                try:
                    pipes[k].send(batch or None)
                except (BrokenPipeError, ConnectionResetError):
                    open_.remove(k)  # the child failed: its answer says why
                    continue
                if not batch:
                    open_.remove(k)
                count += len(batch)
                if progress and batch:
                    progress(len(batch))
        segments = []
        for k, pipe in enumerate(pipes):
            try:
                status, found = pipe.recv()
            except EOFError:
                raise RuntimeError(f"index writer {k} died (exit {children[k].exitcode})") from None
            if status != "ok":
                raise RuntimeError(f"index writer {k} failed:\n{found}")
            found, peak_mb = found
            segments += found
            LAST_WRITER_PEAKS_MB.append(peak_mb)
        for child in children:
            child.join()
        return count, segments
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join()
        for pipe in pipes:
            pipe.close()


def _child(ix, fields_of, pipe, parent: int) -> None:
    adapter.die_with_parent(parent)
    try:
        builder = SegmentBuilder(ix, fields_of)
        while (batch := pipe.recv()) is not None:
            for doc in batch:
                builder.add(doc)
        segments = builder.finish()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        pipe.send(("ok", (segments, peak_mb)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
