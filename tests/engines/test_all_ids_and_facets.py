"""The parts of the contract that exports, feeds and the source/language facets rely on:
all_ids (every match in order, from one run of the query) and the single-valued facets
source, language and year with "undated"."""

from __future__ import annotations

from collections import Counter

import pytest

from search import synthetic
from search.engines.base import SORTS, UNDATED, SearchQuery
from search.models import Article

pytestmark = pytest.mark.django_db(transaction=False)

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "")


def paged(engine, query: SearchQuery) -> list[int]:
    out, page = [], 1
    while True:
        result = engine.search(SearchQuery(**{**query.__dict__, "page": page, "per_page": 100}))
        out += [h.id for h in result.hits]
        if page >= result.pages:
            return out
        page += 1


@pytest.fixture
def tagged(corpus):
    """The corpus with languages set, some articles undated and some without a source."""
    for n, article in enumerate(Article.objects.order_by("id")):
        article.language = LANGUAGES[n % len(LANGUAGES)]
        if n % 7 == 0:
            article.published_date, article.year = None, None
        if n % 11 == 0:
            article.source_name = ""
        article.save()
    corpus.rebuild()
    return corpus


@pytest.mark.parametrize("sort", SORTS)
def test_all_ids_are_every_match_in_the_search_order(tagged, sort):
    word = synthetic.vocabulary()[25]
    for query in (
        SearchQuery(q=word, sort=sort),
        SearchQuery(sort=sort, filters={"language": ("en", "zh-Hans")}),
    ):
        matched = tagged.all_ids(query)
        expected = paged(tagged, query)
        assert matched.total == len(expected) > 0
        if sort == "relevance" and query.q:
            # Equal scores may tie in either order; the set and the scores' order must hold.
            assert set(matched.ids) == set(expected)
        else:
            assert list(matched.ids) == expected
        cut = tagged.all_ids(query, limit=5)
        assert cut.total == matched.total and list(cut.ids) == list(matched.ids)[:5]
    assert tagged.all_ids(SearchQuery(q="zzzqqqxx")).total == 0


def test_added_sort_is_newest_addition_first(tagged):
    ids = list(tagged.all_ids(SearchQuery(sort="added")).ids)
    created = dict(Article.objects.values_list("id", "created"))
    assert ids == sorted(created, key=lambda i: (created[i], i), reverse=True)


def test_source_and_language_facets_count_and_filter(tagged):
    articles = list(Article.objects.all())
    page = tagged.search(SearchQuery())
    counts = {f: {c.value: c.count for c in page.facets[f]} for f in ("source", "language")}
    assert counts["source"] == dict(Counter(a.source_name for a in articles if a.source_name))
    assert counts["language"] == dict(Counter(a.language for a in articles if a.language))

    query = SearchQuery(filters={"language": ("zh-Hans", "zh-Hant")})
    page = tagged.search(query)
    chosen = [a for a in articles if a.language in ("zh-Hans", "zh-Hant")]
    assert page.total == len(chosen)
    # Disjunctive: the language facet ignores its own selection, the others count within it.
    assert {c.value: c.count for c in page.facets["language"]} == counts["language"]
    assert {c.value for c in page.facets["language"] if c.selected} == {"zh-Hans", "zh-Hant"}
    sources = Counter(a.source_name for a in chosen if a.source_name)
    assert {c.value: c.count for c in page.facets["source"]} == dict(sources)

    source = sources.most_common(1)[0][0]
    both = tagged.search(SearchQuery(filters={"language": ("zh-Hans",), "source": (source,)}))
    assert both.total == sum(
        1 for a in articles if a.language == "zh-Hans" and a.source_name == source
    )


def test_undated_is_a_year_value(tagged):
    articles = list(Article.objects.all())
    undated = {a.id for a in articles if a.year is None}
    page = tagged.search(SearchQuery())
    years = [c.value for c in page.facets["year"]]
    assert years[-1] == UNDATED and years[:-1] == sorted(years[:-1], reverse=True)
    assert dict((c.value, c.count) for c in page.facets["year"])[UNDATED] == len(undated)
    some_year = years[0]
    query = SearchQuery(filters={"year": (UNDATED, some_year)})
    expected = undated | {a.id for a in articles if str(a.year) == some_year}
    assert set(tagged.all_ids(query).ids) == expected
    assert tagged.search(query).total == len(expected)
