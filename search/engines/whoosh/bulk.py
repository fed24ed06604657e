"""The rebuild's writer: Whoosh segments written from postings gathered in memory, by one
process per core, committed together in one table of contents.

Whoosh's own writer sends every posting through its PostingPool: a 5-tuple per posting,
sorted all together by (field, term, doc) at the end (spilled to disk and merged in Python
below ~1 GB), and its multi-process writer merged the children's postings again. Here each field's postings are kept as flat arrays (term number, doc number, weight, value
bytes) in the order documents arrive, so one stable argsort over the term numbers puts them
in the order the codec writes them (documents arrive in doc order). The segment files are
written by the same codec (SidecarCodec) through the same field and per-document writers,
so the index is the one an article-by-article build makes; the query path cannot tell.

With several processes the parent reads the articles (in id order) and sends each child the
documents of a contiguous range of ids (pickled, in batches); each child writes its own segment(s) and hands back the segment
objects, which the parent commits together, in id order (doc numbers then follow article
ids, as in a one-process build, so equal scores tie alike). No merge of the big segments.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from array import array

import numpy as np

from search.engines.base import IndexDoc, documents
from search.engines.whoosh import adapter
from search.engines.whoosh import write as whoosh_write
from search.engines.whoosh.positions import GroupedTerms, VarintPositions
from search.engines.whoosh.sidecar import SidecarCodec

# Postings gathered before a segment is written out (about 30 bytes each while gathered and
# written): bounds a writer's memory; 100,000 articles fit in one segment per process.
SEGMENT_POSTINGS = 24_000_000
# Documents sent to a child at once.
BATCH = 200
# Postings handed to the codec per slice of the sorted order (bounds the Python lists: a
# posting's numbers as Python objects take about 150 bytes).
_SLICE = 100_000


class _FieldPostings:
    """One field's postings in the order they were added."""

    def __init__(self) -> None:
        self.numbers: dict[bytes, int] = {}  # term -> term number here (first seen first)
        # An analyzer's term numbers (positions.GroupedTerms) -> ours (-1: not seen yet).
        self.analyzer_texts: list | None = None
        self.mapping = np.empty(0, np.int64)
        self.terms = array("I")
        self.docs = array("I")
        self.weights = array("f")
        self.value_lengths = array("I")
        self.values = bytearray()

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


class MemoryPool:
    """The PostingPool interface a SegmentWriter uses (add, cleanup), with the postings in
    flat arrays (see the module doc); `add_grouped` takes a whole text's postings at once."""

    def __init__(self) -> None:
        self.fields: dict[str, _FieldPostings] = {}
        self.count = 0

    def _field(self, fieldname: str) -> _FieldPostings:
        f = self.fields.get(fieldname)
        if f is None:
            f = self.fields[fieldname] = _FieldPostings()
        return f

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, value = item
        f = self._field(fieldname)
        numbers = f.numbers
        number = numbers.get(btext)
        if number is None:
            number = numbers[btext] = len(numbers)
        f.terms.append(number)
        f.docs.append(docnum)
        f.weights.append(weight)
        f.value_lengths.append(len(value) if value else 0)
        if value:
            f.values += value
        self.count += 1

    def add_grouped(self, fieldname: str, docnum: int, grouped: GroupedTerms, boost: float):
        """A text's postings (positions.VarintPositions.grouped), weights count * boost."""
        n = len(grouped.numbers)
        if not n:
            return
        f = self._field(fieldname)
        f.terms.frombytes(f.local_numbers(grouped).astype(np.uint32).tobytes())
        f.docs.frombytes(np.full(n, docnum, np.uint32).tobytes())
        f.weights.frombytes((grouped.counts * boost).astype(np.float32).tobytes())
        f.value_lengths.frombytes(np.diff(grouped.bounds).astype(np.uint32).tobytes())
        f.values += grouped.data
        self.count += n

    def cleanup(self) -> None:
        self.fields.clear()


def _write_postings(pool: MemoryPool, schema, fieldwriter, lengths, doc_count: int) -> None:
    """Every field's postings, ordered by field, term and doc as the codec takes them."""
    for fieldname in sorted(pool.fields):
        f = pool.fields.pop(fieldname)
        fieldwriter.begin_field(fieldname, schema[fieldname])
        doc_lengths = np.zeros(doc_count, np.int64)
        if lengths is not None:
            dfl = lengths.doc_field_length
            doc_lengths[:] = [dfl(d, fieldname) or 0 for d in range(doc_count)]
        for btext, ids, weights, values, field_lengths in _sorted_terms(f, doc_lengths):
            fieldwriter.add_term(btext, ids, weights, values, field_lengths)
        fieldwriter.finish_field()


def _sorted_terms(f: _FieldPostings, doc_lengths: np.ndarray):
    """(term, doc numbers, weights, values, doc field lengths) of each term in term order;
    the field's arrays are released as they are read."""
    texts = list(f.numbers)  # term number -> term
    by_text = sorted(range(len(texts)), key=texts.__getitem__)  # term numbers, term order
    rank = np.empty(len(texts), np.uint32)
    rank[by_text] = np.arange(len(texts), dtype=np.uint32)
    ranks = rank[np.frombuffer(f.terms, np.uint32)]
    # Stable: within a term the postings stay in the order added, the doc order.
    order = np.argsort(ranks, kind="stable")
    per_term = np.bincount(ranks, minlength=len(texts)).tolist()
    del ranks, rank
    docs = np.frombuffer(f.docs, np.uint32)[order]
    weights = np.frombuffer(f.weights, np.float32)[order]
    value_lengths = np.frombuffer(f.value_lengths, np.uint32)
    offset_type = np.uint32 if len(f.values) < 1 << 32 else np.int64
    starts = (np.cumsum(value_lengths, dtype=np.int64) - value_lengths).astype(offset_type)
    starts = starts[order]
    ends = starts + value_lengths[order]
    f.terms = None
    del order, value_lengths
    values = bytes(f.values)
    f.terms = f.docs = f.weights = f.value_lengths = f.values = None
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
    """Documents in, finished segments out: a new segment each SEGMENT_POSTINGS postings."""

    def __init__(self, ix, fields_of) -> None:
        self._ix = ix
        self._fields_of = fields_of  # IndexDoc -> the writer's field values
        self._writer = None
        self._pool: MemoryPool | None = None
        self.segments: list = []

    def add(self, doc: IndexDoc) -> None:
        if self._writer is None:
            self._pool = MemoryPool()
            codec = SidecarCodec(compression=0)
            self._writer = adapter.unlocked_segment_writer(self._ix, codec, self._pool)
        self._add_document(self._writer, self._fields_of(doc))
        if self._pool.count >= SEGMENT_POSTINGS:
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
                if isinstance(fmt, VarintPositions):
                    grouped = fmt.grouped(value, field.analyzer)
                if grouped is not None:
                    pool.add_grouped(name, docnum, grouped, fmt.field_boost)
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
            segments += found
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
        pipe.send(("ok", builder.finish()))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
