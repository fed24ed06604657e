"""The PostgreSQL engine counts from each process's in-memory facet columns
(search/engines/postgres/facets.py): the same numbers as counting in SQL, and never stale
after a write made by another backend instance, another process, a rename, or a rolled back
savepoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from search.engines.base import SearchQuery
from search.engines.postgres.backend import PostgresBackend
from search.models import Article, City, Organisation
from tests.postgres.servers import database_url, manage, production_env

pytestmark = pytest.mark.postgres

QUERIES = [
    SearchQuery(),
    SearchQuery(q="data"),
    SearchQuery(q='"smart city"'),
    SearchQuery(q="data -transport"),
    SearchQuery(q="title:city"),
    SearchQuery(q="data platform sensors energy"),  # ranked: complete matches lifted
    SearchQuery(q="data", year_from=2015, year_to=2019),
    SearchQuery(q="", year_from=2018),
    SearchQuery(q="data", all_copies=True),
    SearchQuery(q="data OR city:Hangzhou"),
]


def _with_filters(engine) -> list[SearchQuery]:
    """The queries again with a selection in each facet (values the corpus has)."""
    page = engine.search(SearchQuery())
    top = {f: [c.value for c in page.facets[f][:2]] for f in page.facets}
    out = list(QUERIES)
    for facet, values in top.items():
        out.append(SearchQuery(q="data", filters={facet: tuple(values)}))
        out.append(SearchQuery(filters={facet: tuple(values[:1])}))
    out.append(
        SearchQuery(filters={"city": tuple(top["city"]), "organisation": (top["organisation"][0],)})
    )
    return out


def _answers(engine, sq: SearchQuery) -> tuple:
    page = engine.search(sq)
    facets = {f: [(c.value, c.count, c.selected) for c in v] for f, v in page.facets.items()}
    pairs = engine.cooccurrences(
        sq, [("city", "organisation"), ("organisation", "organisation")], 8
    )
    overview = engine.overview(sq, {"city": 5, "organisation": 5, "source": 5}, 5)
    return (
        page.total,
        [h.id for h in page.hits],
        facets,
        engine.timeline(sq),
        engine.value_counts(sq, "source", 10),
        [(p.total, p.rows, p.cols, p.cells) for p in pairs],
        (overview.timeline, overview.archive, overview.values, [h.id for h in overview.newest]),
    )


@pytest.mark.django_db
def test_columns_count_what_sql_counts(settings):
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = 0
    call_command("generate_corpus", 200, seed=3, no_index=True, verbosity=0)
    engine = PostgresBackend(None)
    engine.rebuild()
    for sq in _with_filters(engine):
        settings.SEARCH_POSTGRES_FACET_COLUMNS = "off"
        in_sql = _answers(engine, sq)
        settings.SEARCH_POSTGRES_FACET_COLUMNS = "on"
        in_memory = _answers(engine, sq)
        assert in_memory == in_sql, sq
        assert in_sql[0] > 0 or sq.q == "data -transport"
    assert engine._facet_columns._columns, "the columns were used"


def _city_count(engine, city: str, q: str = "") -> int:
    page = engine.search(SearchQuery(q=q))
    return {c.value: c.count for c in page.facets["city"]}.get(city, 0)


def _add(title: str, city: str, day: dt.date) -> Article:
    article = Article.objects.create(
        title=title,
        body=f"{title}. A pilot of the sensors in {city}.",
        raw_content=title,
        content_hash=title,
        year=day.year,
        published_date=day,
    )
    article.cities.set([City.objects.get_or_create(name=city)[0]])
    return article


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reload_seconds", [0, 3600])
def test_a_write_through_another_instance_is_counted_at_once(settings, reload_seconds):
    """Two app servers in one: each write made through one is counted by the other's next
    search, whether it reloads its columns (0) or may not yet and counts in SQL (3600)."""
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = reload_seconds
    reader, writer = PostgresBackend(None), PostgresBackend(None)
    _add("Wuxi opens a data platform", "Wuxi", dt.date(2020, 3, 1))
    assert _city_count(reader, "Wuxi", "data") == 1
    columns = reader._facet_columns._columns["default"]
    second = _add("Wuxi adds parking sensors data", "Wuxi", dt.date(2021, 5, 2))
    writer.update([second.id])
    assert _city_count(reader, "Wuxi", "data") == 2
    assert reader.timeline(SearchQuery(filters={"city": ("Wuxi",)})).years == {2020: 1, 2021: 1}
    # A rename touches no article row: the new name is counted, the old one is gone.
    City.objects.filter(name="Wuxi").update(name="Wúxī")
    assert _city_count(reader, "Wúxī") == 2 and _city_count(reader, "Wuxi") == 0
    second.delete()
    assert _city_count(reader, "Wúxī") == 1
    if reload_seconds:  # counted in SQL meanwhile: the old columns were never used again
        assert reader._facet_columns._columns["default"] is columns
    else:
        assert reader._facet_columns._columns["default"] is not columns


@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_is_counted_at_once(settings, tmp_path):
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = 0
    reader = PostgresBackend(None)
    _add("Suzhou opens a data platform", "Suzhou", dt.date(2020, 3, 1))
    assert _city_count(reader, "Suzhou") == 1
    env = production_env(database_url(connection.settings_dict), tmp_path / "var")
    code = (
        "import datetime; from search.models import Article, City; "
        "a = Article.objects.create(title='Suzhou metro data', body='Suzhou metro data.', "
        "raw_content='x', content_hash='other-process', year=2022, "
        "published_date=datetime.date(2022, 1, 5)); "
        "a.cities.set([City.objects.get(name='Suzhou')])"
    )
    manage(env, "shell", "-c", code)
    assert _city_count(reader, "Suzhou") == 2
    assert reader.timeline(SearchQuery(filters={"city": ("Suzhou",)})).total == 2


@pytest.mark.django_db
def test_a_rolled_back_savepoint_leaves_no_stale_columns(settings):
    """Columns loaded inside a savepoint that is rolled back are not used afterwards, even
    when a later write brings the data to another state (a counter could repeat itself)."""
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = 0
    engine = PostgresBackend(None)
    _add("Ningbo port data", "Ningbo", dt.date(2019, 1, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        _add("Ningbo metro data", "Ningbo", dt.date(2019, 2, 1))
        assert _city_count(engine, "Ningbo") == 2
        raise RuntimeError
    assert _city_count(engine, "Ningbo") == 1
    other = Article.objects.create(
        title="Hefei data", body="Hefei data.", raw_content="x", content_hash="hefei", year=2019
    )
    other.organisations.set([Organisation.objects.create(name="Zorblax")])
    assert _city_count(engine, "Ningbo") == 1
    page = engine.search(SearchQuery())
    assert {c.value: c.count for c in page.facets["organisation"]} == {"Zorblax": 1}


@pytest.mark.django_db
def test_without_the_version_table_counts_are_made_in_sql(settings):
    settings.SEARCH_BACKEND = "postgres"
    engine = PostgresBackend(None)
    _add("Xiamen data", "Xiamen", dt.date(2019, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE search_data_version RENAME TO search_data_version_gone")
    assert _city_count(engine, "Xiamen") == 1
    assert not engine._facet_columns._columns


@pytest.mark.django_db(transaction=True)
def test_the_article_count_that_weighs_words_is_kept_under_the_data_version(settings):
    """idf's article count is read again only after a write: a search with nothing written
    since the last does not count the table, and an article added meanwhile weighs the
    next search's words at once."""
    settings.SEARCH_BACKEND = "postgres"
    engine = PostgresBackend(None)
    _add("Wuxi opens a data platform", "Wuxi", dt.date(2020, 3, 1))
    _add("Suzhou counts parking sensors", "Suzhou", dt.date(2020, 4, 1))
    before = engine.search(SearchQuery(q="platform")).hits[0].score
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert engine.search(SearchQuery(q="platform")).hits[0].score == before
    assert not [s for s in statements if "count(*), max(id)" in s]
    _add("Nanjing times its traffic lights", "Nanjing", dt.date(2021, 1, 1))
    assert engine.search(SearchQuery(q="platform")).hits[0].score > before
