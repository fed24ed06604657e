"""What every engine must do, checked against the database (the source of truth).

Runs on the seed articles and on a generated corpus, for each engine of conftest.ENGINES.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import transaction

from search import synthetic
from search.engines.base import FACETS, SearchQuery
from search.models import Article

pytestmark = pytest.mark.django_db(transaction=False)


def ids(engine, q: str = "", **kwargs) -> set[int]:
    """Every matching article id, read page by page."""
    found, page = [], 1
    while True:
        result = engine.search(SearchQuery(q=q, page=page, per_page=100, **kwargs))
        found += [h.id for h in result.hits]
        if page >= result.pages:
            assert len(found) == result.total
            return set(found)
        page += 1


def words(rank: int) -> str:
    return synthetic.vocabulary()[rank]


def city_counts(articles) -> Counter:
    return Counter(c.name for a in articles for c in a.cities.all())


# -- the query language -------------------------------------------------------------------


def test_words_are_all_required(corpus):
    a, b = words(len(synthetic.HEAD_WORDS) + 3), words(len(synthetic.HEAD_WORDS) + 8)
    both = ids(corpus, f"{a} {b}")
    assert both == ids(corpus, a) & ids(corpus, b)
    assert ids(corpus, a) and ids(corpus, b) and ids(corpus, a) != ids(corpus, b)


def test_or_gives_either(corpus):
    a, b = words(len(synthetic.HEAD_WORDS) + 3), words(len(synthetic.HEAD_WORDS) + 8)
    assert ids(corpus, f"{a} OR {b}") == ids(corpus, a) | ids(corpus, b)


def test_minus_excludes(corpus):
    a, b = words(20), words(len(synthetic.HEAD_WORDS) + 8)
    result = ids(corpus, f"{a} -{b}")
    assert result == ids(corpus, a) - ids(corpus, b)
    assert result and ids(corpus, a) & ids(corpus, b)


def test_phrase_needs_adjacent_words(corpus):
    a, b = words(0), words(1)
    phrase = ids(corpus, f'"{a} {b}"')
    anded = ids(corpus, f"{a} {b}")
    assert phrase and phrase < anded
    adjacent = re.compile(rf"\b{a}\W+{b}\b", re.IGNORECASE)
    for article in Article.objects.filter(id__in=phrase):
        assert adjacent.search(article.title + "\n" + article.body), article.id
    for article in Article.objects.filter(id__in=anded - phrase):
        assert not adjacent.search(article.title + "\n" + article.body), article.id


@pytest.mark.parametrize("field", ["city", "org"])
def test_field_value_selects_exactly_the_tagged_articles(corpus, field):
    article = Article.objects.order_by("id").first()
    if field == "city":
        name = article.cities.first().name
        tagged = set(Article.objects.filter(cities__name=name).values_list("id", flat=True))
    else:
        name = article.organisations.first().name
        tagged = set(Article.objects.filter(organisations__name=name).values_list("id", flat=True))
    assert ids(corpus, f'{field}:"{name}"') == tagged
    # Field values are matched without regard to case.
    assert ids(corpus, f'{field}:"{name.lower()}"') == tagged


def test_year_and_title_fields(corpus):
    in_2018 = set(Article.objects.filter(year=2018).values_list("id", flat=True))
    assert in_2018 and ids(corpus, "year:2018") == in_2018
    word = Article.objects.order_by("id").first().title.split()[-1].lower()
    in_titles = {
        a.id for a in Article.objects.all() if re.search(rf"\b{word}\b", a.title, re.IGNORECASE)
    }
    assert ids(corpus, f"title:{word}") == in_titles


def test_prefix_and_fuzzy(corpus):
    assert ids(corpus, "governmen*") >= ids(corpus, "government")
    assert ids(corpus, "goverment~") >= ids(corpus, "government")
    assert ids(corpus, "government")


@pytest.mark.parametrize("text", ['"unclosed smart', "AND OR", "(((", "smart AND OR city", "city)"])
def test_malformed_queries_answer_with_plain_words_and_a_note(corpus, text):
    page = corpus.search(SearchQuery(q=text))
    assert page.notes, text
    plain = " ".join(w for w in re.findall(r"\w+", text) if w not in {"AND", "OR", "NOT"})
    if plain:
        assert page.total == corpus.search(SearchQuery(q=plain)).total


def test_well_formed_queries_have_no_note(corpus):
    assert corpus.search(SearchQuery(q='"smart city" OR (data -energy) city:Shanghai')).notes == []


# -- facets ---------------------------------------------------------------------------------


def facet_dict(page, facet):
    return {f.value: f.count for f in page.facets[facet]}


def test_facet_counts_cover_the_whole_match_set(corpus):
    page = corpus.search(SearchQuery(q="", per_page=10))
    articles = list(Article.objects.prefetch_related("cities", "organisations"))
    assert page.total == len(articles)
    assert facet_dict(page, "city") == dict(city_counts(articles))
    years = Counter(str(a.year) if a.year else "undated" for a in articles)
    assert facet_dict(page, "year") == dict(years)
    orgs = Counter(o.name for a in articles for o in a.organisations.all())
    assert facet_dict(page, "organisation") == dict(orgs)


def test_facets_are_disjunctive(corpus):
    articles = list(Article.objects.prefetch_related("cities", "organisations"))
    first, second = [c for c, _ in city_counts(articles).most_common(2)]
    query = SearchQuery(filters={"city": (first, second)}, year_from=2012)
    page = corpus.search(query)
    in_range = [a for a in articles if a.year and a.year >= 2012]
    chosen = [a for a in in_range if {first, second} & {c.name for c in a.cities.all()}]
    assert page.total == len(chosen) > 0
    # The city facet ignores the city filter (other values show what they would add)...
    assert facet_dict(page, "city") == dict(city_counts(in_range))
    # ...while the other facets are counted within it.
    assert facet_dict(page, "year") == dict(Counter(str(a.year) for a in chosen))
    selected = {f.value for f in page.facets["city"] if f.selected}
    assert selected == {first, second}


def test_facets_and_between_each_other(corpus):
    article = Article.objects.order_by("id").first()
    city, org = article.cities.first().name, article.organisations.first().name
    page = corpus.search(SearchQuery(filters={"city": (city,), "organisation": (org,)}))
    expected = Article.objects.filter(cities__name=city).filter(organisations__name=org)
    assert page.total == expected.distinct().count() >= 1
    assert facet_dict(page, "organisation")[org] == page.total


def test_zero_counts_hidden_but_selected_values_listed(corpus):
    page = corpus.search(SearchQuery(q="government", filters={"city": ("Atlantis",)}))
    assert page.total == 0 and page.hits == []
    assert all(f.count > 0 for f in page.facets["year"])
    atlantis = [f for f in page.facets["city"] if f.value == "Atlantis"]
    assert atlantis and atlantis[0].selected and atlantis[0].count == 0
    assert all(f.count > 0 for f in page.facets["city"] if f.value != "Atlantis")


# -- hits, pages, sorting -------------------------------------------------------------------


def test_hits_carry_the_database_facts(corpus):
    page = corpus.search(SearchQuery(q="government", per_page=5))
    assert len(page.hits) == 5 and page.total > 5
    for hit in page.hits:
        article = Article.objects.get(id=hit.id)
        assert hit.title == article.title and hit.url == article.get_absolute_url()
        assert hit.date == article.published_date and hit.year == article.year
        assert set(hit.cities) == {c.name for c in article.cities.all()}
        assert set(hit.organisations) == {o.name for o in article.organisations.all()}
    assert [h.score for h in page.hits] == sorted((h.score for h in page.hits), reverse=True)


def test_pages_do_not_overlap(corpus):
    one = corpus.search(SearchQuery(q="data", page=1, per_page=7))
    two = corpus.search(SearchQuery(q="data", page=2, per_page=7))
    assert one.total == two.total and not {h.id for h in one.hits} & {h.id for h in two.hits}
    beyond = corpus.search(SearchQuery(q="data", page=one.pages + 5, per_page=7))
    assert beyond.hits == [] and beyond.total == one.total


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(corpus, sort):
    page = corpus.search(SearchQuery(q="data", sort=sort, per_page=50))
    dates = [h.date for h in page.hits if h.date]
    assert dates == sorted(dates, reverse=sort == "newest") and len(dates) > 10


def test_year_range(corpus):
    got = ids(corpus, year_from=2014, year_to=2015)
    assert got == set(Article.objects.filter(year__in=(2014, 2015)).values_list("id", flat=True))


# -- highlights and suggestions -------------------------------------------------------------


def test_snippet_marks_matches_and_escapes_the_rest(corpus, django_capture_on_commit_callbacks):
    from search.ingest import ingest

    raw = (
        "Beware of <script>alert('x')</script> tags\n\n"
        + "The <b>smart</b> quarantine & sensor grid of Kelowna was switched on today. " * 3
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = ingest(raw.encode(), fmt="text").article
    page = corpus.search(SearchQuery(q="quarantine"))
    hit = next(h for h in page.hits if h.id == created.id)
    assert "<mark>quarantine</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet and "&amp;" in hit.snippet
    assert re.sub(r"</?mark>", "", hit.snippet).count("<") == 0
    assert "<script>" not in hit.title_html


def test_stemmed_matches_are_marked(seeded_engine):
    page = seeded_engine.search(SearchQuery(q="cities"))
    assert page.total >= 1
    assert any(re.search(r"<mark>(cit(y|ies)|City|Cities)</mark>", h.snippet) for h in page.hits)


def test_suggestion_from_the_index_vocabulary(corpus):
    page = corpus.search(SearchQuery(q="goverment"))
    assert page.total == 0 and page.suggestion == "government"
    assert corpus.search(SearchQuery(q="government")).suggestion is None


def test_seed_search_finds_its_article(seeded_engine):
    page = seeded_engine.search(SearchQuery(q="Yinchuan summit"))
    assert page.hits[0].title == "Yinchuan showcases smarter city achievements at global summit"
    assert "<mark>" in page.hits[0].title_html


# -- index upkeep ---------------------------------------------------------------------------


def test_saves_and_deletes_reach_the_index_after_commit(corpus, django_capture_on_commit_callbacks):
    article = Article.objects.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article.title = "Zanzibarian quokka parliament"
        article.save()
    assert ids(corpus, "quokka") == {article.id}
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert ids(corpus, "quokka") == set()
    assert corpus.search(SearchQuery()).total == Article.objects.count()


def test_rolled_back_changes_never_reach_the_index(corpus, django_capture_on_commit_callbacks):
    article = Article.objects.order_by("id").first()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        article.title = "Zanzibarian quokka parliament"
        article.save()
        raise RuntimeError
    assert ids(corpus, "quokka") == set()


def test_every_facet_is_reported(corpus):
    assert set(corpus.search(SearchQuery(q="data")).facets) == set(FACETS)
