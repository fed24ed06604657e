"""The PostgreSQL engine counts from each process's in-memory facet columns
(search/engines/postgres/facets.py): the same numbers as counting in SQL, and never stale
after a write made by another backend instance, another process, a rename, or a rolled back
savepoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection, transaction

from search.engines.base import SearchBackend, SearchQuery
from search.engines.postgres import facets as pg_facets
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
    # Trees of atoms combined in memory (facets.matches): nested ORs and NOTs, prefixes and
    # fuzzy words, years and facets as query terms, title phrases.
    SearchQuery(q="(energy OR parking) -metro"),
    SearchQuery(q="energy -(parking OR city:Hangzhou)"),
    SearchQuery(q="city:Han* OR metro"),
    SearchQuery(q="year:2018 energy"),
    SearchQuery(q='title:"smart city" OR ener*'),
    SearchQuery(q="enrgy~ platform"),
    SearchQuery(q="-metro"),
    # Pages by date from the columns (undated last either way; ties broken by id).
    SearchQuery(sort="oldest"),
    SearchQuery(sort="newest", page=3),
    SearchQuery(q="energy", sort="oldest", page=2),
    SearchQuery(q="energy", sort="added"),
    SearchQuery(q="data", sort="newest", page=20),
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
    # Undated: the first article (row 0 of the columns) and three more; two on one day
    # (ordered by id within it).
    Article.objects.filter(pk=Article.objects.order_by("id")[0].pk).update(
        published_date=None, year=None
    )
    for i in range(3):
        Article.objects.create(
            title=f"Energy data note {i}",
            body="Energy data.",
            raw_content="x",
            content_hash=f"u{i}",
        )
        _add(f"Energy data day {i}", "Wuxi", dt.date(2016, 6, 1))
    engine = PostgresBackend(None)
    engine.rebuild()
    for sq in _with_filters(engine):
        settings.SEARCH_POSTGRES_FACET_COLUMNS = "off"
        in_sql = _answers(engine, sq)
        settings.SEARCH_POSTGRES_FACET_COLUMNS = "on"
        in_memory = _answers(engine, sq)
        assert in_memory == in_sql, sq
        assert in_sql[0] > 0, sq
    assert engine._facet_columns._columns, "the columns were used"


@contextmanager
def _recorded() -> Iterator[list[tuple[str, list]]]:
    """The statements run inside the block, with their parameters."""
    statements: list[tuple[str, list]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


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
    with _recorded() as statements:
        assert engine.search(SearchQuery(q="platform")).hits[0].score == before
    assert not [s for s, _ in statements if "count(*), coalesce(max(id)" in s]
    _add("Nanjing times its traffic lights", "Nanjing", dt.date(2021, 1, 1))
    assert engine.search(SearchQuery(q="platform")).hits[0].score > before


def _fetched(statements: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """Each statement fetching ids (facets.matches), with its parameters: "whole" when it
    fetches a whole condition (with match_where's clauses), else "atoms"."""
    return [
        ("whole" if "is_representative" in sql else "atoms", params)
        for sql, params in statements
        if "string_agg(int8send(a.id)" in sql
    ]


@pytest.mark.django_db(transaction=True)
def test_a_word_s_matches_are_kept_until_the_next_write(settings):
    """A word's matches, once fetched, serve the next searches holding it without reading
    them again; a write anywhere makes them be fetched again, with the new article. Only
    atoms are fetched, never a whole condition, and nothing before the columns are loaded."""
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = 0
    engine, writer = PostgresBackend(None), PostgresBackend(None)
    _add("Wuxi opens a data platform", "Wuxi", dt.date(2020, 3, 1))
    _add("Suzhou counts parking sensors for data", "Suzhou", dt.date(2020, 4, 1))

    def fetched(sq: SearchQuery, total: int) -> list[tuple[str, list]]:
        with _recorded() as statements:
            assert engine.search(sq).total == total
        return _fetched(statements)

    data, data_not_parking = SearchQuery(q="data"), SearchQuery(q="data -parking")
    assert fetched(data, 2) == [("atoms", ["'data'"])]
    assert fetched(data, 2) == []
    assert fetched(data_not_parking, 1) == [("atoms", ["'park'"])]
    assert fetched(data_not_parking, 1) == []
    third = _add("Ningbo shares its port data", "Ningbo", dt.date(2021, 1, 1))
    writer.update([third.id])
    assert fetched(data_not_parking, 2) == [("atoms", ["'data'", "'park'"])]


def test_kept_matches_stay_within_their_budget_least_recently_used_first():
    n = 8 * 1024  # 1 kB of bits per mask
    kept = pg_facets.Kept(budget_mb=3 / 1024)
    every = np.ones(n, bool)
    for key in ("a", "b", "c"):
        kept.put((key,), every)
    assert kept.get(("a",)) is not None  # a is now more recent than b
    kept.put(("d",), every)
    assert kept.get(("b",)) is None
    assert all(kept.get((k,)) is not None for k in "acd")
    assert np.array_equal(kept.get(("d",)), every)
    few = np.zeros(n, bool)
    few[:10] = True  # under KEEP_SHARE of the rows: cheap to find again, not kept
    kept.put(("few",), few)
    assert kept.get(("few",)) is None


@pytest.mark.django_db
@pytest.mark.parametrize("columns", ["on", "off"])
def test_a_suggestion_is_weighed_by_a_count_without_a_page(settings, columns):
    """The engine's suggestion_count counts what the suggested query's page would show
    (the base's answer), without ranking, counting facets or highlighting that page."""
    settings.SEARCH_BACKEND = "postgres"
    settings.SEARCH_POSTGRES_FACET_COLUMNS = columns
    call_command("generate_corpus", 120, seed=3, no_index=True, verbosity=0)
    engine = PostgresBackend(None)
    engine.rebuild()
    filtered = SearchQuery(q="x", filters={"year": ("2016", "2017")})
    texts = ["smart city", "smart", "data OR energy", "zzzz", "where is the smart city data"]
    for text in texts:
        for sq in (filtered, SearchQuery(q="x"), SearchQuery(q="x", year_from=2017)):
            with _recorded() as statements:
                count = engine.suggestion_count(sq, text)
            assert count == SearchBackend.suggestion_count(engine, sq, text), (text, sq)
            assert not [s for s, _ in statements if "'hit'" in s or "search_article_cities" in s]


@pytest.mark.django_db(transaction=True)
def test_word_frequencies_are_counted_again_once_a_share_of_the_archive_changed(settings):
    """A word's document frequencies (a pass over its rows) are kept while under DF_DRIFT
    (1 %) of the archive has been added or deleted since they were counted; the article
    count in idf is always the current one."""
    settings.SEARCH_BACKEND = "postgres"
    call_command("generate_corpus", 200, seed=3, no_index=True, verbosity=0)
    engine = PostgresBackend(None)
    engine.rebuild()

    def score_and_counted() -> tuple[float, bool]:
        with _recorded() as statements:
            score = engine.search(SearchQuery(q="platform")).hits[0].score
        return score, any("quote_literal(w)" in s for s, _ in statements)

    first, counted = score_and_counted()
    assert counted
    assert score_and_counted() == (first, False)
    _add("Wuxi opens a platform", "Wuxi", dt.date(2020, 3, 1))  # 1 of 200 articles added
    score, counted = score_and_counted()
    assert not counted and score != first  # one more article: idf moved, df kept
    deleted = Article.objects.order_by("id").first()
    deleted.delete()  # 2 of 200 changed: still within 1 %
    assert not score_and_counted()[1]
    _add("Suzhou opens a platform", "Suzhou", dt.date(2020, 4, 1))  # 3 of 200
    assert score_and_counted()[1]
