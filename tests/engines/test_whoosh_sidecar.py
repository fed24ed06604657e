"""The Whoosh engine's own posting file (search/engines/whoosh/sidecar.py) and its faster
indexing path (positions.VarintPositions.word_values): each must give exactly what Whoosh
itself gives, on a real index in a temporary folder."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3Codec, W3TermsReader
from whoosh.formats import Positions
from whoosh.writing import CLEAR

from search.engines import base
from search.engines.base import IndexDoc, SearchBackend, SearchQuery
from search.engines.whoosh import adapter, sidecar
from search.engines.whoosh.backend import SCHEMA, index_fields
from search.engines.whoosh.sidecar import SidecarCodec
from search.engines.whoosh.state import SearchState

WORDS = [
    "smart",
    "city",
    "sensor",
    "parking",
    "water",
    "energy",
    "traffic",
    "data",
    "platform",
    "government",
    "urban",
]


@pytest.fixture
def engine(whoosh_engine):
    return whoosh_engine


def _docs(first: int, count: int, seed: int) -> list[IndexDoc]:
    rng = np.random.RandomState(seed)
    docs = []
    for n in range(first, first + count):
        # Long bodies too: position deltas past one byte, counts past one per posting.
        length = int(rng.choice([3, 40, 400]))
        body = " ".join(rng.choice(WORDS, size=length))
        docs.append(
            IndexDoc(
                n,
                f"The {rng.choice(WORDS)} of {rng.choice(WORDS)}",
                body,
                "",
                None,
                2015,
                ("Wuxi",),
                (),
            )
        )
    return docs


def _write(ix, docs, codec, delete=()):
    with ix.writer(codec=codec) as writer:
        for n in delete:
            writer.delete_by_term("id", n)
        for doc in docs:
            writer.add_document(**index_fields(doc))


def _assert_sidecars_equal_whoosh(ix) -> int:
    """Every term of title and body, in every segment with a sidecar: the same doc numbers,
    weights and positions as Whoosh's own postings. Returns how many segments had one."""
    searcher = ix.searcher()
    state = SearchState(searcher, "test")
    try:
        checked = 0
        for leaf, _ in state.leaves:
            wanted = np.random.RandomState(1).rand(leaf.doc_count_all()) < 0.6
            for fieldname in ("title", "body"):
                sidecar = state._sidecar(leaf, fieldname)
                if sidecar is None:
                    continue
                checked += 1
                for btext in leaf.lexicon(fieldname):
                    ids, weights = adapter.leaf_postings(leaf, fieldname, btext)
                    s_ids, s_weights = sidecar.postings(fieldname, btext)
                    assert s_ids.tolist() == ids.tolist(), btext
                    assert s_weights.tolist() == weights.tolist(), btext
                    assert sidecar.doc_frequency(fieldname, btext) == leaf.doc_frequency(
                        fieldname, btext
                    )
                    theirs = adapter.leaf_positions(leaf, fieldname, btext, wanted)
                    ours = sidecar.positions(fieldname, btext, wanted)
                    assert ours.tolist() == theirs.tolist(), btext
        return checked
    finally:
        state.close()


def test_sidecars_hold_what_whoosh_holds_through_updates_and_merges(tmp_path, monkeypatch):
    # Positions decoded a few hundred bytes at a time: many chunks, as in a large segment.
    monkeypatch.setattr(sidecar, "_DECODE_CHUNK", 300)
    ix = index.create_in(str(tmp_path), SCHEMA)
    codec = SidecarCodec(compression=0)
    _write(ix, _docs(1, 60, 1), codec)
    _write(ix, _docs(61, 40, 2), codec, delete=[3, 4, 70])
    assert _assert_sidecars_equal_whoosh(ix) == 2 * len(ix.searcher().reader().leaf_readers())
    # A merge of every segment (deleted documents dropped, doc numbers renumbered).
    ix.writer(codec=codec).commit(optimize=True)
    assert len(ix.searcher().reader().leaf_readers()) == 1
    assert _assert_sidecars_equal_whoosh(ix) == 2
    state = SearchState(ix.searcher(), "test")
    for word in [*WORDS, "absent"]:
        assert state.doc_frequency("body", word) == state.searcher.doc_frequency("body", word)
    state.close()


@pytest.mark.django_db
def test_segments_without_a_sidecar_answer_alike(engine, tmp_path):
    """An index written by Whoosh's own codec (built before the sidecar) is read through
    Whoosh's postings, and a query answers as on an index with sidecars."""
    from django.core.management import call_command

    call_command("generate_corpus", 120, seed=3, no_index=True, verbosity=0)
    engine.rebuild()
    queries = [
        "smart city",
        '"smart city"',
        "data OR energy",
        "government -transport",
        "title:smart",
    ]
    with_sidecar = [_answer(engine.search(SearchQuery(q=q))) for q in queries]
    assert engine.state()._sidecars  # the rebuild wrote them
    # Rewrite the same build with Whoosh's codec alone.
    writer = engine._index().writer(codec=W3Codec(compression=0))
    for doc in base.documents():
        writer.add_document(**index_fields(doc))
    writer.commit(mergetype=CLEAR)  # the old segments dropped
    state = engine.state()
    assert not state._sidecars
    assert [_answer(engine.search(SearchQuery(q=q))) for q in queries] == with_sidecar


def _answer(page):
    return page.total, [(h.id, round(h.score, 4)) for h in page.hits]


TEXTS = [
    "The smart city of the future: sensors, e-government and résumé writing in 2020.",
    "of the and a",  # stop words alone
    "the the Smart smart SMART city",  # the first kept word after stop words
    "深圳 Huawei在深圳发布5G 的 智慧城市 in the city",
    "U.S.A. data 3.14 co-operation Ünïcödé ÉCOLE",
    " ".join(["traffic"] + ["of"] * 300 + ["traffic"] * 3),  # a delta past one byte
    # Deltas of one, two and three varint bytes in one text (20,000 distinct words between).
    " ".join(["traffic", "city"] + [f"w{i}" for i in range(20_000)] + ["traffic"] * 2),
    "",
]


@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_word_values_equal_whoosh_positions(fieldname):
    """The cached per-word path indexes exactly what Whoosh's token stream indexes."""
    schema = pickle.loads(pickle.dumps(SCHEMA))  # as a writer reads it from the index
    field = schema[fieldname]
    for text in TEXTS:
        ours = sorted(field.format.word_values(text, field.analyzer, mode="index"))
        theirs = sorted(Positions.word_values(field.format, text, field.analyzer, mode="index"))
        assert ours == theirs, text
        decoded = {w: field.format.decode_positions(v) for w, _, _, v in ours}
        tokens = field.analyzer(text, positions=True, mode="index")
        expected: dict[str, list[int]] = {}
        for t in tokens:
            expected.setdefault(t.text, []).append(t.pos)
        assert decoded == expected, text


@pytest.mark.django_db
def test_suggestion_count_equals_the_pages_count(engine):
    from django.core.management import call_command

    call_command("generate_corpus", 120, seed=3, no_index=True, verbosity=0)
    engine.rebuild()
    sq = SearchQuery(q="x", filters={"year": ("2016", "2017")})
    for text in ["smart city", "smart", "data OR energy", "zzzz", "where is the smart city data"]:
        for query in (sq, SearchQuery(q="x")):
            assert engine.suggestion_count(query, text) == SearchBackend.suggestion_count(
                engine, query, text
            ), text


def _phrase_by_keys(leaf, fieldname, words, wanted) -> list[int]:
    """Docs where the words follow each other, from Whoosh's own positions."""
    keys = None
    for i, word in enumerate(words):
        these = set((adapter.leaf_positions(leaf, fieldname, word, wanted) - i).tolist())
        keys = these if keys is None else keys & these
    return sorted({k >> 32 for k in keys})


def test_sidecar_phrases_find_what_whoosh_positions_find(tmp_path):
    ix = index.create_in(str(tmp_path), SCHEMA)
    _write(ix, _docs(1, 150, 4), SidecarCodec(compression=0))
    state = SearchState(ix.searcher(), "test")
    try:
        (leaf, _), *_ = state.leaves
        sidecar = state._sidecar(leaf, "body")
        rng = np.random.RandomState(2)
        phrases = [["smart", "citi"], ["citi", "smart"], ["smart", "smart"]]
        phrases += [["water", "energi", "traffic"], ["data", "data", "data"], ["sensor", "absent"]]
        found = 0
        for words in phrases:
            for share in (1.0, 0.5, 0.05):
                wanted = rng.rand(leaf.doc_count_all()) < share
                ours = sidecar.phrase_docs("body", [w.encode() for w in words], wanted)
                expected = _phrase_by_keys(leaf, "body", words, wanted)
                assert ours.tolist() == expected, words
                found += len(expected)
        assert found > 100  # phrases found in many documents, not only none
    finally:
        state.close()


def _whoosh_block_values(leaf, fieldname: str) -> list:
    """The values Whoosh's own posting blocks hold for every term of a field (read with
    W3's matcher, not the sidecar's)."""
    found = []
    terms = leaf._terms
    fmt = leaf.schema[fieldname].format
    for btext in leaf.lexicon(fieldname):
        m = W3TermsReader.matcher(terms, fieldname, btext, fmt)
        while True:
            m._read_data()
            found += [v for v in m._data[2] if v]
            if m._lastblock:
                break
            m._goto(m._nextoffset)
    return found


def _assert_positions_once(ix) -> None:
    """Title and body positions in every segment: in its sidecar, none in Whoosh's blocks,
    and Whoosh's matchers still read them (from the sidecar)."""
    state = SearchState(ix.searcher(), "test")
    try:
        for leaf, _ in state.leaves:
            for fieldname in ("title", "body"):
                assert state._sidecar(leaf, fieldname).positions_only(fieldname)
                assert _whoosh_block_values(leaf, fieldname) == [], fieldname
                wanted = np.ones(leaf.doc_count_all(), dtype=bool)
                for btext in leaf.lexicon(fieldname):
                    assert len(adapter.leaf_positions(leaf, fieldname, btext, wanted))
    finally:
        state.close()


def test_positions_are_stored_once_through_bulk_writes_updates_and_merges(tmp_path):
    """Word positions of title and body live in the sidecar only (they were in Whoosh's
    posting blocks too): after a bulk build, incremental writes with deletions, and a
    merge of every segment; the sidecar keeps answering what Whoosh's matchers read."""
    from search.engines.whoosh import bulk

    ix = index.create_in(str(tmp_path), SCHEMA)
    builder = bulk.SegmentBuilder(ix, index_fields)
    for doc in _docs(1, 80, 5):
        builder.add(doc)
    with ix.writer() as writer:
        adapter.commit_with(writer, builder.finish())
    codec = SidecarCodec(compression=0)
    _write(ix, _docs(81, 30, 6), codec, delete=[2, 5, 90])
    _assert_positions_once(ix)
    assert _assert_sidecars_equal_whoosh(ix) == 2 * len(ix.searcher().reader().leaf_readers())
    ix.writer(codec=codec).commit(optimize=True)
    assert len(ix.searcher().reader().leaf_readers()) == 1
    _assert_positions_once(ix)
    assert _assert_sidecars_equal_whoosh(ix) == 2


def _phrase_ids(words: list[str]) -> set[int]:
    """Articles whose title or body holds the words one after the other (by the analyzer,
    from the database text)."""
    from search.engines.highlight import ANALYZER
    from search.models import Article

    found = set()
    for article in Article.objects.all():
        for text in (article.title, article.body):
            at = {(t.text, t.pos) for t in ANALYZER(text, positions=True)}
            if any(
                all((w, pos + i) in at for i, w in enumerate(words))
                for word, pos in at
                if word == words[0]
            ):
                found.add(article.id)
    return found


@pytest.mark.django_db
def test_phrases_after_updates_deletes_and_a_merge(engine):
    """Phrases are answered from the sidecars' positions: after a rebuild, updates of
    single articles, a deletion and a merge of every segment into one, each phrase finds
    exactly the articles whose text holds it."""
    from django.core.management import call_command

    from search.models import Article

    call_command("generate_corpus", 80, seed=9, no_index=True, verbosity=0)
    engine.rebuild()
    articles = list(Article.objects.order_by("id"))
    for n, article in enumerate(articles[:12]):
        article.body = f"{article.body} quokka parliament {'wombat senate' if n % 2 else ''}"
        article.save()
        engine.update([article.id])  # one segment per update
    Article.objects.filter(id=articles[1].id).delete()
    engine.update([articles[1].id])
    phrases = ['"quokka parliament"', '"parliament wombat"', '"wombat senate"', '"smart city"']
    stems = [["quokka", "parliament"], ["parliament", "wombat"], ["wombat", "senat"]]
    stems.append(["smart", "citi"])

    def found(q):
        return set(engine.all_ids(SearchQuery(q=q, all_copies=True)).ids)

    assert len(engine.state().leaves) > 1
    before = [found(q) for q in phrases]
    assert before == [_phrase_ids(s) for s in stems]
    assert len(before[0]) == 11 and len(before[2]) == 5
    engine._index().writer(codec=SidecarCodec(compression=0)).commit(optimize=True)
    assert len(engine.state().leaves) == 1
    assert [found(q) for q in phrases] == before
    _assert_positions_once(engine._index())
