"""The aggregates behind the entity, compare and pair pages, checked against the database
(the source of truth) and against the engine's own search totals, on every engine."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import combinations

import pytest
from django.core.management import call_command

from search.engines import base
from search.engines.base import SearchQuery
from search.models import Article, City, Organisation

pytestmark = pytest.mark.django_db(transaction=False)


def busiest(model, n: int = 1) -> list[str]:
    """The names most articles carry."""
    rel = "cities" if model is City else "organisations"
    names = Counter(
        x.name for a in Article.objects.prefetch_related(rel) for x in getattr(a, rel).all()
    )
    return [name for name, _ in names.most_common(n)]


def test_timeline_counts_years_and_months_as_the_database_does(corpus):
    city = busiest(City)[0]
    timeline = corpus.timeline(SearchQuery(filters={"city": (city,)}))
    articles = Article.objects.filter(cities__name=city)
    assert timeline.total == articles.count() > 0
    assert timeline.years == dict(sorted(Counter(a.year for a in articles if a.year).items()))
    assert timeline.months == dict(
        sorted(
            Counter(
                a.published_date.strftime("%Y-%m") for a in articles if a.published_date
            ).items()
        )
    )
    assert list(timeline.years) == sorted(timeline.years)
    assert timeline.undated == sum(1 for a in articles if not a.year)


def test_timeline_of_a_text_search_agrees_with_the_search(corpus):
    query = SearchQuery(q="data", filters={"organisation": tuple(busiest(Organisation, 3))})
    page = corpus.search(query)
    timeline = corpus.timeline(query)
    assert timeline.total == page.total > 0
    years = {int(f.value): f.count for f in page.facets["year"] if f.count and f.value.isdigit()}
    assert timeline.years == years
    # Facet filters of one kind widen; the whole archive has everything.
    everything = corpus.timeline(SearchQuery())
    assert everything.total == Article.objects.count()
    assert all(everything.years[y] >= n for y, n in timeline.years.items())


def test_value_counts_include_the_query_s_own_filter(corpus):
    city = busiest(City)[0]
    query = SearchQuery(filters={"city": (city,)})
    orgs = corpus.value_counts(query, "organisation", 5)
    truth = Counter(
        o.name for a in Article.objects.filter(cities__name=city) for o in a.organisations.all()
    )
    expected = sorted(truth.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(f.value, f.count) for f in orgs] == expected
    cities = corpus.value_counts(query, "city", 3)
    assert cities[0].value == city and cities[0].count == corpus.search(query).total
    sources = corpus.value_counts(query, "source", 50)
    assert (
        sum(f.count for f in sources)
        == Article.objects.filter(cities__name=city).exclude(source_name="").count()
    )
    with pytest.raises(ValueError):
        corpus.value_counts(query, "colour", 5)


def test_each_pair_count_is_the_total_of_the_search_for_both(corpus):
    query = SearchQuery(q="data")
    pairs = corpus.cooccurrence(query, "city", "organisation", 6)
    assert pairs.total == corpus.search(query).total
    assert [f.value for f in pairs.rows] == [f.value for f in corpus.value_counts(query, "city", 6)]
    assert len(pairs.rows) == 6 and len(pairs.cols) == 6
    assert pairs.cells
    for row in pairs.rows:
        for col in pairs.cols:
            both = SearchQuery(
                q="data", filters={"city": (row.value,), "organisation": (col.value,)}
            )
            assert pairs.count(row.value, col.value) == corpus.search(both).total


def test_organisation_pairs_within_one_facet(corpus):
    pairs = corpus.cooccurrence(SearchQuery(), "organisation", "organisation", 8)
    names = [f.value for f in pairs.rows]
    assert names == [f.value for f in pairs.cols]
    orgs_of = [
        {o.name for o in a.organisations.all()}
        for a in Article.objects.prefetch_related("organisations")
    ]
    for a, b in combinations(names, 2):
        expected = sum(1 for orgs in orgs_of if a in orgs and b in orgs)
        assert pairs.count(a, b) == pairs.count(b, a) == expected
    ranked = pairs.pairs()
    assert ranked and all(p.row < p.col for p in ranked)
    assert [p.count for p in ranked] == sorted((p.count for p in ranked), reverse=True)
    assert pairs.count(names[0], names[0]) == pairs.rows[0].count


def test_aggregates_of_a_search_matching_nothing(corpus):
    query = SearchQuery(q="zzzzqqqq")
    assert corpus.timeline(query).total == 0
    assert corpus.timeline(query).years == {} and corpus.timeline(query).months == {}
    assert corpus.value_counts(query, "city", 5) == []
    nothing = corpus.cooccurrence(query, "city", "organisation", 5)
    assert nothing.rows == [] and nothing.cells == {} and nothing.pairs() == []


@pytest.mark.postgres
def test_both_engines_give_the_same_numbers(settings, index_dir, db):
    """One corpus, both engines, every aggregate equal."""
    call_command("generate_corpus", 150, seed=7, no_index=True, verbosity=0)
    results = []
    for name in ("whoosh", "postgres"):
        settings.SEARCH_BACKEND = name
        settings.SEARCH_INDEX_PROCS = 1
        base._backend.cache_clear()
        engine = base.get_backend()
        engine.rebuild()
        city, org = busiest(City)[0], busiest(Organisation)[0]
        queries = [
            SearchQuery(),
            SearchQuery(q="data"),
            SearchQuery(filters={"city": (city,)}),
            SearchQuery(q="energy", filters={"organisation": (org,)}, year_from=2014),
        ]
        results.append(
            [
                (
                    engine.timeline(q),
                    engine.value_counts(q, "organisation", 10),
                    engine.value_counts(q, "source", 10),
                    engine.cooccurrence(q, "city", "organisation", 10),
                    engine.cooccurrence(q, "organisation", "organisation", 10),
                )
                for q in queries
            ]
        )
    base._backend.cache_clear()
    assert results[0] == results[1]


def test_archive_timeline_follows_index_updates(corpus):
    before = corpus.timeline(SearchQuery())
    article = Article.objects.filter(year__isnull=False).first()
    article.year, article.published_date = 1999, None
    article.save()
    corpus.update([article.id])
    after = corpus.timeline(SearchQuery())
    assert after.total == before.total
    assert after.years[1999] == 1 and 1999 not in before.years


@pytest.mark.parametrize("kind", ["city", "organisation"])
def test_overview_answers_as_the_separate_aggregates_do(corpus, kind):
    """An entity page's one call (overview) against timeline, value_counts and a search by
    date: the same numbers and the same newest articles, on every engine."""
    model = City if kind == "city" else Organisation
    other = "organisation" if kind == "city" else "city"
    for name in busiest(model, 3):
        query = SearchQuery(filters={kind: (name,)})
        tallies = {other: 12, kind: 13, "source": 10}
        seen = corpus.overview(query, tallies, newest=10)
        assert seen.timeline == corpus.timeline(query)
        assert seen.timeline.total > 0
        assert seen.archive == corpus.timeline(SearchQuery())
        for facet, limit in tallies.items():
            assert seen.values[facet] == corpus.value_counts(query, facet, limit)
        by_date = corpus.search(SearchQuery(filters=query.filters, sort="newest", per_page=10))
        assert [h.id for h in seen.newest] == [h.id for h in by_date.hits]
        assert [h.title for h in seen.newest] == [h.title for h in by_date.hits]


def test_overview_of_a_text_query_with_a_copy_left_out(corpus):
    """With words and a facet, and a copy that is not its group's representative: the
    archive and the query count only representatives, as searches do."""
    article = Article.objects.filter(cities__isnull=False).order_by("id").first()
    city = article.cities.first().name
    Article.objects.filter(pk=article.pk).update(is_representative=False)
    corpus.update([article.pk])
    query = SearchQuery(q="data", filters={"city": (city,)})
    seen = corpus.overview(query, {"organisation": 5}, newest=3)
    assert seen.timeline == corpus.timeline(query)
    assert seen.archive == corpus.timeline(SearchQuery())
    assert seen.archive.total == Article.objects.count() - 1
    assert seen.values["organisation"] == corpus.value_counts(query, "organisation", 5)
    by_date = corpus.search(replace(query, sort="newest", per_page=3))
    assert [h.id for h in seen.newest] == [h.id for h in by_date.hits]
    with pytest.raises(ValueError):
        corpus.overview(query, {"year": 3}, newest=1)


def test_timelines_answer_as_one_timeline_each(corpus):
    """A comparison page asks several at once (words, a facet, a year range, nothing)."""
    city = busiest(City)[0]
    queries = [
        SearchQuery(),
        SearchQuery(q="data"),
        SearchQuery(filters={"city": (city,)}),
        SearchQuery(q='"smart city" OR energy', year_from=2015, year_to=2019),
    ]
    assert corpus.timelines(queries) == [corpus.timeline(q) for q in queries]
    assert corpus.timelines([]) == []
