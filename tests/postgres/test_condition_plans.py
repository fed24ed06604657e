"""Conditions that used to read each candidate's stored vector (~6 kB, out of line): a
`-word` is an anti-join with the word's rows from the full-text index, and a `title:` word
is answered by the titles' own index (schema.TITLE_INDEX). Same matches as before."""

import pytest
from django.db import connection, transaction

from search.engines.base import SearchQuery, parse_query
from search.engines.postgres import schema as pg_schema
from search.engines.postgres import sql as pg_sql

pytestmark = pytest.mark.postgres


def _where(pg, q: str) -> pg_sql.Sql:
    parsed = parse_query(q)
    with pg._reading():
        literals = pg._literals(parsed, [], [])
    return pg_sql.match_where(pg_sql.condition(parsed.tree, literals), SearchQuery(q=q))


def _plan_and_titles(where: pg_sql.Sql) -> tuple[str, list[str]]:
    sql = f"SELECT a.title FROM search_article a WHERE {where.sql}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, where.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(sql + " ORDER BY a.title", where.params)
        return plan, [row[0] for row in cursor.fetchall()]


@pytest.fixture
def articles(pg, make_article):
    made = [
        make_article("Energy grid in Wuxi", "The grid stores solar power."),
        make_article("Parking sensors", "Sensors report energy use of the grid."),
        make_article("Energy prices", "Prices rise."),
        make_article("城市 energy 能源", "能源 data."),
    ]
    pg.update([a.id for a in made])  # the CJK tokens


def test_a_negated_word_is_an_anti_join(pg, articles):
    plan, titles = _plan_and_titles(_where(pg, "grid -solar"))
    assert "Anti Join" in plan or "hashed SubPlan" in plan
    assert titles == ["Parking sensors"]
    _, titles = _plan_and_titles(_where(pg, "energy -(grid OR prices)"))
    assert titles == ["城市 energy 能源"]


def test_a_title_word_reads_the_title_index(pg, articles):
    plan, titles = _plan_and_titles(_where(pg, "title:energy"))
    assert pg_schema.TITLE_INDEX in plan
    assert "ts_filter" not in plan
    assert titles == ["Energy grid in Wuxi", "Energy prices", "城市 energy 能源"]
    _, titles = _plan_and_titles(_where(pg, "title:能源"))
    assert titles == ["城市 energy 能源"]
    # A phrase is still checked on the title's positions.
    _, titles = _plan_and_titles(_where(pg, 'title:"energy grid"'))
    assert titles == ["Energy grid in Wuxi"]
    _, titles = _plan_and_titles(_where(pg, 'title:"grid energy"'))
    assert titles == []
    assert pg.search(SearchQuery(q="title:energy")).total == 3


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_article'")
        return {row[0] for row in cursor.fetchall()}


def test_a_bulk_load_builds_the_title_index_after_the_rows(db):
    from search.engines.postgres import bulk

    assert pg_schema.TITLE_INDEX in _indexes()
    with bulk.deferred_vector_indexes(connection):
        assert pg_schema.TITLE_INDEX not in _indexes()
    assert pg_schema.TITLE_INDEX in _indexes()
