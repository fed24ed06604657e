"""The whole archive's timeline is counted from the partial dates index (schema.DATES_INDEX),
and no search's condition lets the planner take that index for a list of every row."""

import pytest
from django.db import connection, transaction

from search.engines.base import SearchQuery
from search.engines.postgres import aggregate as pg_aggregate
from search.engines.postgres import schema as pg_schema
from search.engines.postgres import sql as pg_sql

pytestmark = pytest.mark.postgres


def _plan(sql: str, params: list) -> str:
    # Sequential scans priced out, as the engine does for word searches: what is left is
    # whether an index *can* answer the statement (a few test rows make any scan cheap).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_archive_timeline_reads_the_dates_index(pg, make_article):
    make_article("Grid", "A grid.", year=2019)
    flags = pg_sql.facet_flags(SearchQuery())
    statement = pg_aggregate.timeline(pg_sql.archive_where(), flags)
    plan = _plan(statement.sql, statement.params)
    assert pg_schema.DATES_INDEX in plan


def test_a_search_s_condition_cannot_use_the_dates_index(pg, make_article):
    make_article("Grid", "A grid.", year=2019)
    where = pg_sql.match_where(pg_sql.condition(None, {}), SearchQuery())
    # The index's columns, so that nothing but its predicate could keep it out.
    sql = f"SELECT a.year, a.published_date FROM search_article a WHERE {where.sql}"
    plan = _plan(sql, where.params)
    assert pg_schema.DATES_INDEX not in plan


def test_the_archive_condition_counts_what_searches_count(pg, make_article):
    for i, representative in enumerate((True, False, True)):
        article = make_article(f"Story {i}", "Text.", year=2019)
        type(article).objects.filter(pk=article.pk).update(is_representative=representative)
    search = pg_sql.match_where(pg_sql.condition(None, {}), SearchQuery())
    with connection.cursor() as cursor:
        counts = []
        for where in (search, pg_sql.archive_where()):
            cursor.execute(f"SELECT count(*) FROM search_article a WHERE {where.sql}", where.params)
            counts.append(cursor.fetchone()[0])
    assert counts == [2, 2]


def test_a_timeline_reads_no_facet_arrays(pg, make_article):
    """A timeline needs the dates only: the facet arrays' table stays out of its statement
    (joined, it was most of a comparison's time at 100,000 matches)."""
    make_article("Grid", "A grid in Wuxi.", year=2019, cities=["Wuxi"])
    query = SearchQuery(filters={"city": ("Wuxi",)})
    where = pg_sql.match_where(pg_sql.condition(None, {}), query)
    statement = pg_aggregate.timeline(where, pg_sql.facet_flags(query))
    assert pg_schema.FACET_ARRAYS not in statement.sql
    timeline = pg.timeline(query)
    assert (timeline.total, timeline.years) == (1, {2019: 1})
