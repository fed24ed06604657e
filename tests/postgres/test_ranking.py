"""Ranked pages with and without the RUM index: the same answers, exact counts, and the GIN
fallback wherever the database has no RUM index."""

import datetime as dt

import pytest
from django.db import connection

from search.engines.base import SearchQuery
from search.engines.postgres import backend as pg_backend
from search.engines.postgres import schema as pg_schema
from search.engines.postgres.backend import PostgresBackend

pytestmark = pytest.mark.postgres

WORDS = ["sensor", "traffic", "energy", "grid", "water", "lighting", "parking", "transit"]


@pytest.fixture
def corpus(make_article, pg):
    """40 articles: every one says "city", each a different mix of the other words, titles
    naming some of them (so that title weight, repeats and lengths all move the score)."""
    for i in range(40):
        held = [w for j, w in enumerate(WORDS) if (i >> (j % 5)) & 1 or j == i % len(WORDS)]
        title = f"{WORDS[i % len(WORDS)].title()} plan number {i}"
        body = " ".join(["The city"] + [f"{w} " * (1 + (i + k) % 3) for k, w in enumerate(held)])
        make_article(
            title,
            body + " " + "filler words " * (i % 7),
            date=dt.date(2010 + i % 10, 1 + i % 12, 1),
            cities=["Lyon" if i % 3 else "Porto"],
        )
    pg.rebuild()


QUERIES = [
    SearchQuery(q="city"),
    SearchQuery(q="sensor"),
    SearchQuery(q="sensor traffic"),  # ranked: complete matches first, then partial
    SearchQuery(q='"city sensor"'),
    SearchQuery(q="grid OR water"),
    SearchQuery(q="city -parking"),
    SearchQuery(q="energy", filters={"city": ("Porto",)}),
    SearchQuery(q="city", page=2, per_page=5),
    SearchQuery(q="city:Lyon transit"),
    # Matches holding no word of the query (a facet value, an OR): they score 0 and come
    # last, newest first (the candidates' "newest" source).
    SearchQuery(q="grid OR city:Porto", per_page=40),
    SearchQuery(q="water lighting Porto"),  # a question naming a city
]


def _answer(page):
    return (
        page.total,
        [(h.id, round(h.score, 4)) for h in page.hits],
        {f: [(c.value, c.count) for c in counts] for f, counts in page.facets.items()},
    )


def _both(settings, sq):
    settings.SEARCH_POSTGRES_RUM = "off"
    gin = PostgresBackend()
    assert not gin.uses_rum()
    settings.SEARCH_POSTGRES_RUM = "auto"
    rum = PostgresBackend()
    assert rum.uses_rum()
    return gin.search(sq), rum.search(sq)


def test_the_migration_made_the_rum_index_where_the_extension_is_installed(db):
    with connection.cursor() as cursor:
        cursor.execute(pg_schema.RUM_AVAILABLE)
        if cursor.fetchone() is None:
            pytest.skip("this server has no RUM extension (make postgres installs it)")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [pg_schema.RUM_INDEX]
        )
        assert "USING rum" in cursor.fetchone()[0]


def test_rum_and_gin_rank_alike_when_the_matches_fit_the_candidates(corpus, settings):
    for sq in QUERIES:
        gin, rum = _both(settings, sq)
        assert gin.total > 0, sq
        assert _answer(rum) == _answer(gin), sq


def test_beyond_the_candidates_counts_stay_exact_and_the_page_is_scored_alike(
    corpus, settings, monkeypatch
):
    # Fewer candidates than matches: the page is the exact score's best of the index's best
    # twenty (ten per row of a two-row page); totals and facet counts count every match.
    monkeypatch.setattr(pg_backend, "RUM_CANDIDATES", 5)
    sq = SearchQuery(q="city sensor", per_page=2)
    gin, rum = _both(settings, sq)
    assert rum.total == gin.total > 20
    assert rum.facets == gin.facets
    assert len(rum.hits) == 2
    scores = [h.score for h in rum.hits]
    assert scores == sorted(scores, reverse=True)
    # Each hit's score is the exact one (the same BM25 as the GIN ranking gives it).
    settings.SEARCH_POSTGRES_RUM = "off"
    every = PostgresBackend().search(SearchQuery(q="city sensor", per_page=40))
    exact = {h.id: round(h.score, 4) for h in every.hits}
    assert all(exact[h.id] == round(h.score, 4) for h in rum.hits)


def test_without_the_rum_index_the_engine_falls_back_to_gin(corpus, settings):
    settings.SEARCH_POSTGRES_RUM = "auto"
    before = PostgresBackend().search(SearchQuery(q="sensor traffic"))
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"DROP INDEX IF EXISTS {pg_schema.RUM_INDEX}")
    fresh = PostgresBackend()
    assert not fresh.uses_rum()
    assert _answer(fresh.search(SearchQuery(q="sensor traffic"))) == _answer(before)


def _exact(settings, monkeypatch, sq):
    """The page with every match scored (GIN, no rare-word candidates)."""
    settings.SEARCH_POSTGRES_RUM = "off"
    with monkeypatch.context() as m:
        m.setattr(pg_backend, "RARE_POOL", 0)
        return PostgresBackend().search(sq)


def test_complete_matches_lead_wherever_the_index_ranks_them(
    make_article, pg, settings, monkeypatch
):
    """Two articles hold both words, short and once each; thirty hold one of them many
    times, which the RUM index ranks higher. With ten candidates from the index, the
    complete matches still come first, as with every match scored."""
    for i in range(30):
        make_article(f"Report {i}", "sensor " * (5 + i % 4) + "other words " * 3)
    both = [
        make_article(f"Note {i}", "sensor traffic " + "long filler text " * 60) for i in range(2)
    ]
    pg.rebuild()
    monkeypatch.setattr(pg_backend, "RUM_CANDIDATES", 1)
    sq = SearchQuery(q="sensor traffic", per_page=1)
    settings.SEARCH_POSTGRES_RUM = "auto"
    rum = PostgresBackend()
    assert rum.uses_rum()
    page = rum.search(sq)
    assert page.hits[0].id in {a.pk for a in both}
    assert _answer(page) == _answer(_exact(settings, monkeypatch, sq))
    second = rum.search(SearchQuery(q="sensor traffic", per_page=1, page=2))
    assert {page.hits[0].id, second.hits[0].id} == {a.pk for a in both}


def test_a_question_s_rare_words_choose_the_candidates(make_article, pg, settings, monkeypatch):
    """A question mixing a rare word with common ones scores the articles holding the rare
    word (with the RUM index): here the same page as scoring every match; and
    when a selection leaves too few of them for the page, the other matches fill it."""
    for i in range(24):
        make_article(
            f"City plan {i}",
            "city traffic plan " * (1 + i % 3) + "more text " * (i % 5),
            date=dt.date(2015, 1, 1 + i),
            cities=["Lyon" if i % 2 else "Porto"],
        )
    rare = [
        make_article(f"Drone {i}", "city drone trial " + "text " * (10 * i), cities=["Lyon"])
        for i in range(3)
    ]
    pg.rebuild()
    monkeypatch.setattr(pg_backend, "RUM_CANDIDATES", 2)
    monkeypatch.setattr(pg_backend, "RARE_POOL", 6)
    settings.SEARCH_POSTGRES_RUM = "auto"
    engine = PostgresBackend()
    sq = SearchQuery(q="why is the city traffic plan a drone", per_page=3)
    engine.search(sq)
    assert engine._rare_words(["citi", "traffic", "plan", "drone"]) == "'drone'"
    page = engine.search(sq)
    assert {h.id for h in page.hits} == {a.pk for a in rare}
    assert _answer(page) == _answer(_exact(settings, monkeypatch, sq))
    # Porto has none of the rare word's articles: the page comes from the other matches.
    porto = SearchQuery(q=sq.q, filters={"city": ("Porto",)}, per_page=3)
    settle = engine.search(porto)
    assert len(settle.hits) == 3
    assert _answer(settle) == _answer(_exact(settings, monkeypatch, porto))
