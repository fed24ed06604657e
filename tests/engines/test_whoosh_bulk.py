"""The rebuild's bulk writer (search/engines/whoosh/bulk.py): the segments it writes hold
exactly what Whoosh's own writer writes article by article, an index written by several
processes answers as one built article by article, and the index stays writable after it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from django.core.management import call_command
from whoosh import index

from search.engines.base import IndexDoc, SearchQuery
from search.engines.whoosh import adapter, bulk
from search.engines.whoosh.backend import SCHEMA, index_fields
from search.engines.whoosh.sidecar import SidecarCodec
from search.engines.whoosh.state import SCORED_FIELDS, SearchState
from search.models import Article

WORDS = ["smart", "city", "sensor", "the", "of", "water", "energy", "traffic", "data"]


def _docs(count: int, seed: int) -> list[IndexDoc]:
    rng = np.random.RandomState(seed)
    docs = []
    for n in range(1, count + 1):
        length = int(rng.choice([0, 3, 40, 400]))  # empty bodies, deltas past one byte
        body = " ".join(rng.choice(WORDS, size=length))
        if n % 7 == 0:
            body += " 深圳 Huawei在深圳发布5G 的 智慧城市 Ünïcödé"
        docs.append(
            IndexDoc(
                n,
                f"The {rng.choice(WORDS)} of {rng.choice(WORDS)}",
                body,
                "Source" if n % 3 else "",
                None,
                2015 + n % 4 if n % 5 else None,
                tuple(rng.choice(["Wuxi", "Shenzhen", "Ping An, Ltd."], size=n % 3)),
                ("Huawei",) if n % 2 else (),
                is_representative=n % 6 != 0,
                language="en",
            )
        )
    return docs


def _values(matcher) -> list:
    out = []
    while matcher.is_active():
        out.append((matcher.id(), matcher.value()))
        matcher.next()
    return out


def _everything(ix) -> dict:
    """What the query path can read of an index, segment by segment."""
    searcher = ix.searcher()
    state = SearchState(searcher, "test")
    try:
        out = {"stored": list(searcher.all_stored_fields()), "segments": []}
        for leaf, _ in state.leaves:
            seg = {"count": leaf.doc_count_all(), "terms": {}, "columns": {}, "lengths": {}}
            for fieldname, btext in leaf.all_terms():
                m = leaf.postings(fieldname, btext)
                info = leaf.term_info(fieldname, btext)
                seg["terms"][fieldname, btext] = (
                    list(m.items_as("weight")),
                    _values(leaf.postings(fieldname, btext)),
                    (info.weight(), info.doc_frequency(), info.max_weight()),
                    (info.min_length(), info.max_length()),
                )
                sidecar = state._sidecar(leaf, fieldname)
                if sidecar is not None:
                    wanted = np.ones(leaf.doc_count_all(), dtype=bool)
                    seg["terms"][fieldname, btext] += (
                        sidecar.postings(fieldname, btext)[1].tolist(),
                        sidecar.positions(fieldname, btext, wanted).tolist(),
                    )
            for fieldname in ("id", "year", "date", "copy"):
                seg["columns"][fieldname] = adapter.numeric_column(leaf, fieldname, np.int64, 0)
            for fieldname in SCORED_FIELDS:
                seg["lengths"][fieldname] = adapter.field_lengths(leaf, fieldname).tolist()
                seg["columns"][fieldname] = leaf.field_length(fieldname)
            seg["columns"] = {k: np.asarray(v).tolist() for k, v in seg["columns"].items()}
            out["segments"].append(seg)
        return out
    finally:
        state.close()


def test_a_bulk_segment_holds_what_whoosh_writes_article_by_article(tmp_path, monkeypatch):
    docs = _docs(120, 1)
    (tmp_path / "bulk").mkdir()
    (tmp_path / "whoosh").mkdir()
    ours = index.create_in(str(tmp_path / "bulk"), SCHEMA)
    # Small slices of the sorted postings: terms cut across slices too.
    monkeypatch.setattr(bulk, "_SLICE", 50)
    builder = bulk.SegmentBuilder(ours, index_fields)
    for doc in docs:
        builder.add(doc)
    with ours.writer() as writer:
        adapter.commit_with(writer, builder.finish())
    theirs = index.create_in(str(tmp_path / "whoosh"), SCHEMA)
    with theirs.writer(codec=SidecarCodec(compression=0)) as writer:
        for doc in docs:
            writer.add_document(**index_fields(doc))
    assert _everything(ours) == _everything(theirs)


def test_postings_given_one_by_one_keep_weights_of_their_own(tmp_path):
    """The pool's generic path (a posting as Whoosh's writer gives it: a weight, positions
    as varints) in a field the sidecar keeps: a weight that is not the count times the
    field's boost is kept, in Whoosh's blocks and the sidecar alike, and the positions
    reach the sidecar."""
    ix = index.create_in(str(tmp_path), SCHEMA)
    builder = bulk.SegmentBuilder(ix, index_fields)
    for doc in _docs(6, 4):
        builder.add(doc)
    builder._pool.add(("body", b"zebra", 5, 7.5, b"\x03\x04"))  # positions 3 and 7
    with ix.writer() as writer:
        adapter.commit_with(writer, builder.finish())
    state = SearchState(ix.searcher(), "test")
    try:
        ((leaf, _),) = state.leaves
        side = state._sidecar(leaf, "body")
        for btext in leaf.lexicon("body"):
            ids, weights = adapter.leaf_postings(leaf, "body", btext)
            assert [w.tolist() for w in side.postings("body", btext)] == [
                ids.tolist(),
                weights.tolist(),
            ]
        assert side.postings("body", b"zebra")[1].tolist() == [7.5]
        assert side.term("body", b"zebra")[2].tolist() == [3, 7]
        assert side.postings("body", b"smart")[1].tolist() == [
            float(n) for n in side.term("body", b"smart")[1]
        ]
    finally:
        state.close()


def test_segments_are_cut_at_the_byte_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "SEGMENT_BYTES", 20_000)
    ix = index.create_in(str(tmp_path), SCHEMA)
    builder = bulk.SegmentBuilder(ix, index_fields)
    for doc in _docs(120, 2):
        builder.add(doc)
    segments = builder.finish()
    assert len(segments) > 2
    with ix.writer() as writer:
        adapter.commit_with(writer, segments)
    searcher = ix.searcher()
    ids = [f["id"] for f in searcher.all_stored_fields()]
    assert ids == list(range(1, 121))  # doc numbers follow the ids across segments


QUERIES = [
    "smart city",
    '"smart city"',
    "data OR energy",
    "government -transport",
    "title:smart",
    "tra*",
    "sensr~",
    "",
]


def _pages(engine) -> list:
    out = []
    for q in QUERIES:
        for sq in (SearchQuery(q=q), SearchQuery(q=q, filters={"year": ("2016", "2017")})):
            page = engine.search(sq)
            out.append(
                (
                    page.total,
                    [(h.id, round(h.score, 4), h.title_html, h.snippet) for h in page.hits],
                    {f: [(c.value, c.count) for c in counts] for f, counts in page.facets.items()},
                )
            )
    return out


@pytest.mark.django_db
def test_a_parallel_rebuild_answers_as_an_index_built_article_by_article(
    whoosh_engine, index_dir, monkeypatch
):
    engine = whoosh_engine
    call_command("generate_corpus", 160, seed=5, no_index=True, verbosity=0)
    monkeypatch.setattr(bulk, "BATCH", 16)  # several batches per child
    assert engine.rebuild(procs=2) == 160
    state = engine.state()
    assert len(state.leaves) == 2  # one segment per process, not merged
    assert state.article_ids.tolist() == sorted(Article.objects.values_list("id", flat=True))
    bulk_pages = _pages(engine)
    # The same articles added one by one through the update path, into a new index.
    engine._close()
    shutil.rmtree(index_dir)
    engine.update(Article.objects.values_list("id", flat=True))
    assert _pages(engine) == bulk_pages


@pytest.mark.django_db
def test_an_article_added_after_a_parallel_rebuild_is_found_at_once(whoosh_engine, monkeypatch):
    engine = whoosh_engine
    call_command("generate_corpus", 60, seed=6, no_index=True, verbosity=0)
    monkeypatch.setattr(bulk, "BATCH", 8)
    engine.rebuild(procs=2)
    article = Article.objects.order_by("id").first()
    article.pk = None
    article.title = "Zyxwvut quarterly report"
    article.slug = "zyxwvut-quarterly-report"
    article.content_hash = "zyxwvut"
    article.save()
    engine.update([article.pk])
    page = engine.search(SearchQuery(q="zyxwvut"))
    assert [h.id for h in page.hits] == [article.pk]
    assert engine.count() == 61


@pytest.mark.django_db
def test_a_failed_child_leaves_the_live_index_serving(whoosh_engine, monkeypatch):
    engine = whoosh_engine
    call_command("generate_corpus", 60, seed=6, no_index=True, verbosity=0)
    engine.rebuild()
    before = _pages(engine)
    monkeypatch.setattr(bulk, "BATCH", 8)

    def broken(doc):
        if doc.id % 40 == 0:
            raise ValueError("a broken article")
        return index_fields(doc)

    monkeypatch.setattr("search.engines.whoosh.backend.index_fields", broken)
    with pytest.raises(RuntimeError, match="a broken article"):
        engine.rebuild(procs=2)
    assert _pages(engine) == before


@pytest.mark.django_db
@pytest.mark.parametrize("procs", [1, 2])
def test_an_empty_database_rebuilds_an_empty_index(whoosh_engine, procs):
    assert whoosh_engine.rebuild(procs=procs) == 0
    assert whoosh_engine.exists() and whoosh_engine.count() == 0
    assert whoosh_engine.search(SearchQuery(q="smart")).total == 0
