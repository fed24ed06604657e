"""The journal, the index identity and the smaller write-path rules, in one process."""

from __future__ import annotations

import codecs
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from search import indexing
from search.engines import base
from search.engines.base import SearchQuery
from search.engines.whoosh.backend import SCHEMA, WhooshBackend
from search.engines.whoosh.state import MASK_CACHE_SIZE, FacetIndex
from search.ingest import decode_upload, ingest
from search.models import Article, City, IndexJournal
from tests.admin.conftest import article_text


@pytest.fixture
def engine(whoosh_engine):
    return whoosh_engine


def found(word: str) -> set[int]:
    return {h.id for h in base.get_backend().search(SearchQuery(q=word, all_copies=True)).hits}


# -- the journal ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_journal_row_and_a_committed_one_does(engine, settings):
    settings.SEARCH_INDEXER = "worker"  # nobody drains: the rows stay to be seen
    indexing.index_pending()  # creates the (empty) index
    with pytest.raises(RuntimeError), transaction.atomic():
        ingest(article_text("rolledword"))
        raise RuntimeError("the request failed")
    assert IndexJournal.objects.count() == 0 and Article.objects.count() == 0
    article = ingest(article_text("keptword")).article
    assert indexing.pending_ids() == {article.pk}
    assert found("keptword") == set()
    assert indexing.index_pending().indexed == {article.pk}
    assert found("keptword") == {article.pk} and indexing.pending_ids() == set()


@pytest.mark.django_db(transaction=True)
def test_a_change_made_while_its_article_is_indexed_stays_for_the_next_round(engine, settings):
    settings.SEARCH_INDEXER = "worker"
    indexing.index_pending()  # creates the (empty) index
    article = ingest(article_text("firstround")).article
    backend = base.get_backend()
    real_update = backend.update

    def update_then_change(ids, wait=None):
        done = real_update(ids, wait=wait)
        # Another admin saves while this batch is being committed.
        Article.objects.filter(pk=article.pk).update(title="Secondround title")
        indexing.enqueue([article.pk])
        return done

    backend.update = update_then_change
    try:
        indexing.index_pending(max_batches=1)
    finally:
        del backend.update
    assert indexing.pending_ids() == {article.pk}  # the newer row was not deleted
    indexing.index_pending()
    assert found("secondround") == {article.pk}


@pytest.mark.django_db(transaction=True)
def test_worker_mode_admin_says_searchable_in_a_moment_and_lists_it_waiting(
    engine, settings, admin_client
):
    ingest(article_text("alreadyword"))
    indexing.index_pending()
    settings.SEARCH_INDEXER = "worker"
    response = admin_client.post(
        reverse("admin:search_article_add"), {"raw": article_text("momentword")}, follow=True
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Saved; searchable in a moment" in text
    listing = admin_client.get(reverse("admin:search_article_changelist")).content.decode()
    assert listing.count('class="index-waiting"') == 1
    out = io.StringIO()
    call_command("run_indexer", "--once", stdout=out)
    assert "indexed 1 article(s); 0 pending" in out.getvalue()
    assert len(found("momentword")) == 1


@pytest.mark.django_db(transaction=True)
def test_the_reindex_action_on_many_articles_is_one_index_commit(engine, admin_client):
    call_command("generate_corpus", 30, seed=4, verbosity=0)
    before = engine.identity()
    ids = list(Article.objects.values_list("pk", flat=True))
    admin_client.post(
        reverse("admin:search_article_changelist"),
        {"action": "reindex_articles", "_selected_action": ids},
    )
    build, generation = before.rsplit(".", 1)
    assert engine.identity() == f"{build}.{int(generation) + 1}"  # one commit for 30


@pytest.mark.django_db(transaction=True)
def test_index_status_reports_counts_pending_and_identity(engine, settings):
    ingest(article_text("statusword"))
    settings.SEARCH_INDEXER = "worker"
    waiting = ingest(article_text("waitingword")).article
    out = io.StringIO()
    with pytest.raises(CommandError, match="index behind"):
        call_command("index_status", stdout=out)
    text = out.getvalue()
    assert "database:  2 article(s)" in text and "index:     1 article(s)" in text
    assert f"pending:   1 ({waiting.pk})" in text and f"identity:  {engine.identity()}" in text
    out = io.StringIO()
    call_command("index_status", "--replay", "--json", stdout=out)
    assert '"pending": []' in out.getvalue() and '"healthy": true' in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_clearing_a_citys_articles_reindexes_them(engine):
    article = ingest(article_text("clearword", city="Wuxi")).article
    assert {h.id for h in engine.search(SearchQuery(filters={"city": ("Wuxi",)})).hits} == {
        article.pk
    }
    City.objects.get(name="Wuxi").articles.clear()
    assert engine.search(SearchQuery(filters={"city": ("Wuxi",)})).total == 0


# -- identity ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_identity_changes_with_every_commit_and_rebuild_and_other_processes_see_it(engine):
    article = ingest(article_text("identword")).article
    first = engine.identity()
    other = WhooshBackend(str(engine.path))  # another server process's backend
    assert other.identity() == first
    Article.objects.filter(pk=article.pk).update(title="Changed numbat")
    indexing.enqueue([article.pk])
    indexing.index_pending()
    second = engine.identity()
    assert second != first and other.identity() == second
    indexing.rebuild()
    third = engine.identity()
    assert third.split(".")[0] != second.split(".")[0]  # a new build
    assert {h.id for h in other.search(SearchQuery(q="numbat")).hits} == {article.pk}
    assert other.identity() == third


@pytest.mark.django_db
def test_an_index_of_the_old_layout_is_served_and_replaced_by_a_rebuild(engine, index_dir):
    from whoosh import index

    article = ingest(article_text("legacyword")).article
    # What earlier versions left: Whoosh files directly in SEARCH_INDEX_DIR.
    index_dir.mkdir(parents=True)
    ix = index.create_in(index_dir, SCHEMA)
    with ix.writer() as w:
        w.add_document(id=article.pk, title="legacyword")
    legacy = WhooshBackend(str(index_dir))
    assert legacy.identity().startswith("legacy.")
    assert {h.id for h in legacy.search(SearchQuery(q="legacyword")).hits} == {article.pk}
    legacy.rebuild()
    assert not legacy.identity().startswith("legacy")
    assert not any(p.name.endswith(".toc") for p in index_dir.iterdir())
    assert {h.id for h in legacy.search(SearchQuery(q="legacyword")).hits} == {article.pk}


# -- smaller rules -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_uploads_with_a_byte_order_mark_are_text(settings, encoding):
    text = "Smart city pilot\n\n无锡 launches a sensor network."
    raw = text.encode(encoding)
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raw = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[encoding] + raw
    assert decode_upload(raw) == text


def test_binary_without_a_byte_order_mark_is_still_refused():
    from search.ingest import IngestError

    with pytest.raises(IngestError, match="binary"):
        decode_upload(b"PK\x03\x04\x00\x00binary")


def test_the_facet_mask_cache_is_bounded():
    n = MASK_CACHE_SIZE + 50
    fi = FacetIndex([f"v{i}" for i in range(n)], np.arange(n), np.arange(n, dtype=np.int32), n)
    for i in range(n):
        assert fi.mask([f"v{i}"])[i]
    assert len(fi._masks) == MASK_CACHE_SIZE
    fi.mask(["v60"])  # recently used stays; the oldest went
    assert 60 in fi._masks and 0 not in fi._masks
