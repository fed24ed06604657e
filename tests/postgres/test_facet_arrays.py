"""The facet id arrays (schema.FACET_ARRAYS) that PostgreSQL facet counts and pairs read are
kept equal to the link tables by every kind of write, and the bulk load answers searches as
article-by-article inserts do."""

import pytest
from django.core.management import call_command
from django.db import connection

from search.admin_ops import merge_values
from search.engines.base import SearchQuery
from search.engines.postgres import schema as pg_schema
from search.models import Article, City, Organisation

pytestmark = pytest.mark.postgres


def _arrays() -> dict[int, tuple[list, list]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT article_id, city_ids, org_ids FROM {pg_schema.FACET_ARRAYS} "
            "WHERE cardinality(city_ids) + cardinality(org_ids) > 0"
        )
        return {pk: (sorted(c), sorted(o)) for pk, c, o in cursor.fetchall()}


def _links() -> dict[int, tuple[list, list]]:
    out: dict[int, tuple[list, list]] = {}
    for article in Article.objects.prefetch_related("cities", "organisations"):
        cities = sorted(c.pk for c in article.cities.all())
        orgs = sorted(o.pk for o in article.organisations.all())
        if cities or orgs:
            out[article.pk] = (cities, orgs)
    return out


def _link_counts(model) -> dict[str, int]:
    return {v.name: n for v in model.objects.all() if (n := v.articles.count())}


def _facets(pg, **filters) -> dict[str, dict[str, int]]:
    page = pg.search(SearchQuery(q="", filters=filters))
    return {f: {c.value: c.count for c in page.facets[f]} for f in ("city", "organisation")}


def test_arrays_follow_edits_merges_and_deletes(pg, make_article):
    a = make_article("Wuxi sensors", "Sensors in Wuxi.", cities=["Wuxi"], orgs=["Huawei"])
    b = make_article("Nanjing grid", "A grid.", cities=["Nanjing", "Wuxi"], orgs=["ZTE"])
    c = make_article("Suzhou parks", "Parks.", cities=["Suzhou"], orgs=["Huawei", "ZTE"])
    make_article("No places", "Nothing named.")
    assert _arrays() == _links()

    # An admin's edit of one article's values.
    a.cities.set([City.objects.get(name="Nanjing")])
    a.organisations.add(Organisation.objects.get(name="ZTE"))
    b.organisations.remove(Organisation.objects.get(name="ZTE"))
    assert _arrays() == _links()

    # A merge moves every link of the merged values to the target and deletes them.
    merge_values(City.objects.get(name="Nanjing"), [City.objects.get(name="Suzhou")])
    assert _arrays() == _links()

    # A link row changed in place (raw SQL, as a data fix would).
    baidu = Organisation.objects.create(name="Baidu")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_article_organisations SET organisation_id = %s "
            "WHERE article_id = %s AND organisation_id = %s",
            [baidu.pk, c.pk, Organisation.objects.get(name="Huawei").pk],
        )
    assert _arrays() == _links()

    # A deleted article takes its arrays with it.
    b.delete()
    assert _arrays() == _links()
    assert _facets(pg) == {
        "city": _link_counts(City),
        "organisation": _link_counts(Organisation),
    }
    nanjing = _facets(pg, city=("Nanjing",))
    assert nanjing["organisation"] == {
        o.name: n
        for o in Organisation.objects.all()
        if (n := o.articles.filter(cities__name="Nanjing").count())
    }


def test_pairs_count_from_the_arrays_as_from_the_links(pg, make_article):
    make_article("One", "Text.", cities=["Wuxi", "Nanjing"], orgs=["Huawei", "ZTE"])
    make_article("Two", "Text.", cities=["Wuxi"], orgs=["Huawei"])
    make_article("Three", "Text.", cities=["Nanjing"], orgs=["Baidu"])
    # Both tables of the pairs page from one statement.
    pairs, org_pairs = pg.cooccurrences(
        SearchQuery(), [("city", "organisation"), ("organisation", "organisation")], 10
    )
    expected = {
        (city.name, org.name): n
        for city in City.objects.all()
        for org in Organisation.objects.all()
        if (n := Article.objects.filter(cities=city).filter(organisations=org).count())
    }
    assert pairs.cells == expected
    assert pairs.total == org_pairs.total == 3
    assert org_pairs.cells == {
        (a.name, b.name): n
        for a in Organisation.objects.all()
        for b in Organisation.objects.all()
        if (n := Article.objects.filter(organisations=a).filter(organisations=b).count())
    }
    assert {c.value: c.count for c in org_pairs.rows} == {"Huawei": 2, "ZTE": 1, "Baidu": 1}
    single = pg.cooccurrence(SearchQuery(), "organisation", "organisation", 10)
    assert single == org_pairs


SEARCHES = [
    SearchQuery(q=""),
    SearchQuery(q="city"),
    SearchQuery(q="smart city", sort="newest"),
    SearchQuery(q='"city project"'),
]


def _answers(pg) -> list:
    """Each search's total, facet counts and hits (by content, ids differ between loads)."""
    hashes = dict(Article.objects.values_list("id", "content_hash"))
    out = []
    for sq in SEARCHES:
        page = pg.search(sq)
        facets = {f: [(c.value, c.count) for c in page.facets[f]] for f in page.facets}
        out.append((page.total, facets, [hashes[h.id] for h in page.hits]))
    return out


@pytest.mark.django_db(transaction=True)
def test_bulk_load_answers_as_article_by_article_inserts(settings):
    settings.SEARCH_BACKEND = "postgres"
    from search.engines.base import get_backend

    pg = get_backend()
    # Two connections COPYing, the vector's indexes dropped and built again afterwards.
    call_command("generate_corpus", 80, seed=11, no_index=True, workers=2, verbosity=0)
    pg.rebuild()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'search_article' "
            f"AND indexdef LIKE '%%{pg_schema.VECTOR_COLUMN}%%'"
        )
        assert cursor.fetchone()[0] >= 1  # built again
    assert _arrays() == _links()
    with connection.cursor() as cursor:
        # Vacuumed after the load (each article's arrays row was written twice).
        cursor.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = %s "
            "AND last_vacuum IS NOT NULL",
            [pg_schema.FACET_ARRAYS],
        )
        assert cursor.fetchone()[0] == 1
    bulk = _answers(pg)
    Article.objects.all().delete()
    call_command("generate_corpus", 80, seed=11, no_index=True, workers=1, verbosity=0)
    pg.rebuild()
    assert _answers(pg) == bulk
