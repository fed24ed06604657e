"""Champion lists (search/engines/postgres/champions.py): a ranked page of common words is
the exact score's best of the lists' articles, the same page as scoring every match where
the lists hold them, and an article written after the lists were made joins them."""

import pytest
from django.db import connection

from search.engines.base import SearchQuery
from search.engines.postgres import champions as pg_champions
from search.engines.postgres.backend import PostgresBackend
from tests.postgres.test_ranking import QUERIES, _answer, _both, corpus  # noqa: F401

pytestmark = pytest.mark.postgres


def _listed(lexeme: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT article_id FROM {pg_champions.TABLE} WHERE lexeme = %s ORDER BY score DESC",
            [lexeme],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def lists(corpus, pg, monkeypatch):  # noqa: F811
    """Every word of the 40-article corpus held by 5 articles or more has a list."""
    monkeypatch.setattr(pg_champions, "CHAMPION_DF", 5)
    pg.rebuild()
    assert _listed("citi") and _listed("sensor")


def test_pages_from_the_lists_are_the_exact_pages_when_the_lists_hold_every_match(lists, settings):
    for sq in QUERIES:
        gin, rum = _both(settings, sq)
        assert gin.total > 0, sq
        assert _answer(rum) == _answer(gin), sq


def test_short_lists_give_the_exact_score_s_best_of_their_articles(
    lists, pg, settings, monkeypatch
):
    monkeypatch.setattr(pg_champions, "CHAMPIONS", 4)
    pg.rebuild()
    listed = _listed("sensor")
    assert len(listed) == 4
    settings.SEARCH_POSTGRES_RUM = "auto"
    page = PostgresBackend().search(SearchQuery(q="sensor", per_page=3))
    assert {h.id for h in page.hits} <= set(listed)  # drawn from the list
    gin, _ = _both(settings, SearchQuery(q="sensor", per_page=40))
    exact = {h.id: round(h.score, 4) for h in gin.hits}
    assert [round(h.score, 4) for h in page.hits] == [exact[h.id] for h in page.hits]
    assert page.total == gin.total  # counts stay exact
    # Fewer listed matches than the page's depth: the index's order fills it, exactly.
    gin, rum = _both(settings, SearchQuery(q="sensor", per_page=10))
    assert _answer(rum) == _answer(gin)


def test_an_article_written_later_joins_the_lists(lists, pg, make_article, settings):
    article = make_article("Sensor sensor plan", "Sensor sensor sensor city sensor.")
    pg.update([article.id])
    assert article.id in _listed("sensor")
    gin, rum = _both(settings, SearchQuery(q="sensor city"))
    assert rum.hits[0].id == gin.hits[0].id == article.id
