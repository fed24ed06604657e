"""The Whoosh private API the engine relies on (search/engines/whoosh/adapter.py): these
tests fail loudly when the installed Whoosh renames or changes any of it."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest
from whoosh import query as wq

from search.engines.base import IndexDoc
from search.engines.whoosh import adapter
from search.engines.whoosh.backend import SCHEMA, index_fields


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


@pytest.fixture
def leaf(tmp_path):
    """A real one-segment index of three documents (one deleted)."""
    from whoosh import index

    (tmp_path / "ix").mkdir()
    ix = index.create_in(tmp_path / "ix", SCHEMA)
    with ix.writer() as writer:
        for n, body in enumerate(["smart city sensors", "smart smart parking", "water"]):
            doc = IndexDoc(n + 1, f"title {n}", body, "", None, 2015 + n, ("Wuxi",), ())
            writer.add_document(**index_fields(doc))
    with ix.writer() as writer:
        writer.delete_by_term("id", 3)
    searcher = ix.searcher()
    yield searcher.reader().leaf_readers()[0][0], searcher
    searcher.close()


def test_private_names_are_where_the_adapter_reads_them(leaf):
    reader, searcher = leaf
    matcher = reader.postings("body", "smart")
    if hasattr(matcher, "child"):
        matcher = matcher.child
    live = {
        "whoosh.reading.SegmentReader": reader,
        "whoosh.codec.whoosh3.W3PerDocReader": reader._perdoc,
        "whoosh.codec.whoosh3.W3LeafMatcher": matcher,
        "whoosh.columns.NumericColumn.Reader": reader.column_reader("year", translate=False),
        "whoosh.query.MultiTerm": wq.Prefix("body", "sma"),
    }
    for owner, names in adapter.PRIVATE_NAMES.items():
        cls = _resolve(owner)
        instance = live.get(owner)
        for name in names:
            # Instance attributes of classes without a live object here: set in their code.
            present = (
                hasattr(cls, name)
                or (instance is not None and hasattr(instance, name))
                or f"self.{name} =" in inspect.getsource(cls)
            )
            assert present, f"{owner}.{name} is gone from the installed Whoosh"


def test_adapter_reads_what_the_public_api_reads(leaf):
    reader, _ = leaf
    ids, weights = adapter.leaf_postings(reader, "body", "smart")
    public = list(reader.postings("body", "smart").items_as("weight"))
    assert ids.tolist() == [i for i, _ in public]
    assert weights.tolist() == [w for _, w in public]
    years = adapter.numeric_column(reader, "year", np.int64, 0)
    assert years.tolist()[:2] == [2015, 2016]
    assert adapter.deleted_docs(reader) == [2]
    lengths = adapter.field_lengths(reader, "body")
    assert lengths[0] == reader.doc_field_length(0, "body")
    assert sorted(adapter.expand(wq.Prefix("body", "sma"), reader)) == [b"smart"]
    keys = adapter.leaf_positions(reader, "body", "smart", np.ones(3, dtype=bool))
    assert sorted((int(k >> 32), int(k & 0xFFFFFFFF)) for k in keys) == [(0, 0), (1, 0), (1, 1)]


@pytest.mark.parametrize("positional", [True, False], ids=["varint", "whoosh-pickle"])
def test_positions_read_in_bulk_equal_whoosh_s_own_reading(tmp_path, positional):
    """Positions of many postings, long and short gaps, in the varint format this engine
    writes and in Whoosh's pickled format (indexes built before it), as Whoosh reads them."""
    import random

    from whoosh import fields, index

    from search.engines.whoosh.positions import PositionalText

    field = PositionalText() if positional else fields.TEXT()
    ix = index.create_in(str(tmp_path), fields.Schema(body=field))
    rng = random.Random(4)
    with ix.writer() as writer:
        for n in range(300):  # more than one posting block
            words = [rng.choice(["smart", "city", "data"]) for _ in range(rng.randint(1, 400))]
            if n % 7 == 0:  # gaps of two and three varint bytes
                words = ["city"] * rng.choice([200, 20_000]) + ["smart"] + words
            writer.add_document(body=" ".join(words))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        wanted = np.zeros(reader.doc_count_all(), dtype=bool)
        wanted[::3] = True
        keys = adapter.leaf_positions(reader, "body", "smart", wanted)
        public = [
            (doc, pos)
            for doc, positions in reader.postings("body", "smart").items_as("positions")
            if wanted[doc]
            for pos in positions
        ]
    assert [(int(k >> 32), int(k & 0xFFFFFFFF)) for k in keys] == public
    assert max(pos for _, pos in public) > 16_384
