"""The README's query syntax, row by row, on every engine over one shared corpus.

Each row gives the articles (by key) a query must find; every engine must find exactly those,
so the engines agree with each other. Rows that rank also name the articles that come first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from search.engines.base import SearchQuery
from search.engines.query import RANKED_FEW
from search.models import Article, City, Organisation

pytestmark = pytest.mark.django_db

PING_AN = "Ping An Insurance (Group) Company of China, Ltd."

# key: (title, body, cities, organisations, year)
ARTICLES = {
    "A": (
        "Smart city sensors in Wuxi",
        "The smart city programme of Wuxi installs traffic sensors and parking meters.",
        ["Wuxi"],
        ["Huawei"],
        2016,
    ),
    "B": (
        "Cloud computing deal",
        "Huawei signed a cloud computing agreement with the government of Shenzhen.",
        ["Shenzhen"],
        ["Huawei"],
        2017,
    ),
    "C": (
        "E-government portal opens",
        "The new e-government portal lets residents file forms online.",
        ["Nanjing"],
        [PING_AN],
        2018,
    ),
    "D": (
        "Résumé of the mayor",
        "The mayor's résumé lists a career in urban planning.",
        ["São Paulo"],
        [],
        2015,
    ),
    "E": (
        "Data platforms for parks",
        "Sensor data from the park and IoT devices feed an open data platform.",
        ["Wuxi"],
        ["Alibaba"],
        2019,
    ),
    "F": (
        "Government budget",
        "The government of Nanjing approved the budget for roads.",
        ["Nanjing"],
        [PING_AN],
        2016,
    ),
    "G": (
        "Smart parking",
        "Smart parking with IoT in a city park.",
        ["Shenzhen"],
        ["Alibaba"],
        2018,
    ),
    "H": ("Water supply", "A report about water pipes, not about cities.", [], [], None),
}
EVERY = set(ARTICLES)

# (query as typed, the articles found, the articles that must come first (in any order))
SYNTAX = [
    # words: all must match; word forms (stems), case and accents do not matter
    ("sensors", {"A", "E"}, set()),
    ("SENSOR", {"A", "E"}, set()),
    ("résumé", {"D"}, set()),
    ("resume", {"D"}, set()),
    ("smart AND city", {"A", "G"}, set()),
    # a plain list of words: complete matches first, then the best partial ones
    ("smart city", {"A", "G", "H"}, {"A", "G"}),
    (
        "which cities signed agreements with Huawei about cloud computing",
        {"A", "B", "G", "H"},
        {"B"},
    ),
    # phrases, straight or curly quotes; inner punctuation and one-letter words count
    ('"smart city"', {"A"}, set()),
    ("“smart city”", {"A"}, set()),
    ('"e-government"', {"C"}, set()),
    ("e-government", {"C"}, set()),
    ("e", {"C"}, set()),
    # OR, NOT / -, brackets
    ("smart OR water", {"A", "G", "H"}, set()),
    ("smart -sensors", {"G"}, set()),
    ("smart NOT sensors", {"G"}, set()),
    ("(iot OR sensors) AND park", {"A", "E", "G"}, set()),
    ("(iot OR sensors) park", {"A", "E", "G"}, set()),
    # fields: city, org, year (and ranges), title
    ("city:Wuxi", {"A", "E"}, set()),
    ("city:wuxi", {"A", "E"}, set()),
    ("city:Wux*", {"A", "E"}, set()),
    ('city:"Sao Paulo"', {"D"}, set()),
    (f'org:"{PING_AN}"', {"C", "F"}, set()),
    (f'organisation:"{PING_AN.upper()}"', {"C", "F"}, set()),
    ("year:2016", {"A", "F"}, set()),
    ("year:2016-2018", {"A", "B", "C", "F", "G"}, set()),
    ("title:smart", {"A", "G"}, set()),
    ("government -city:Nanjing", {"B"}, set()),
    # prefix and fuzzy terms
    ("governmen*", {"B", "C", "F"}, set()),
    ("platfor*", {"E"}, set()),
    ("goverment~", {"B", "C", "F"}, set()),
    # only very common words: every article, with a note
    ("the", EVERY, set()),
    ("smart or data", {"A", "E", "G"}, set()),
]


@pytest.fixture
def shared(engine, db):
    """The table's corpus, indexed by the engine under test; key -> article id."""
    keys = {}
    for key, (title, body, cities, orgs, year) in ARTICLES.items():
        article = Article.objects.create(
            title=title,
            body=body,
            raw_content=f"{title}\n\n{body}",
            content_hash=f"query-language-{key}",
            year=year,
            published_date=dt.date(year, 6, 1) if year else None,
        )
        article.cities.set([City.objects.get_or_create(name=n)[0] for n in cities])
        article.organisations.set([Organisation.objects.get_or_create(name=n)[0] for n in orgs])
        keys[key] = article.id
    engine.rebuild()
    return engine, keys


def found(engine, keys, q: str, **kwargs) -> list[str]:
    by_id = {v: k for k, v in keys.items()}
    page = engine.search(SearchQuery(q=q, per_page=100, **kwargs))
    assert page.total == len(page.hits)
    return [by_id[h.id] for h in page.hits]


@pytest.mark.parametrize("q, expected, first", SYNTAX, ids=[row[0] for row in SYNTAX])
def test_every_documented_syntax(shared, q, expected, first):
    engine, keys = shared
    got = found(engine, keys, q)
    assert set(got) == expected, q
    assert set(got[: len(first)]) == first, got


def test_the_corpus_has_fewer_complete_matches_than_ranking_needs():
    # The ranked rows above rely on partial matches being listed: fewer than RANKED_FEW
    # articles hold every word.
    assert len(ARTICLES) < RANKED_FEW


def test_ranked_results_say_so_in_one_note(shared):
    engine, _ = shared
    page = engine.search(
        SearchQuery(q="which cities signed agreements with Huawei about cloud computing")
    )
    assert page.total and len(page.notes) == 1 and "every word" in page.notes[0]
    assert page.hits[0].score > page.hits[-1].score


def test_stop_words_only_shows_everything_with_a_note(shared):
    engine, _ = shared
    page = engine.search(SearchQuery(q="the of and"))
    assert page.total == len(ARTICLES)
    assert page.notes and "very common words" in page.notes[0]


def test_a_comma_named_organisation_is_one_facet_value(shared):
    engine, keys = shared
    page = engine.search(SearchQuery(filters={"organisation": (PING_AN,)}))
    assert {h.id for h in page.hits} == {keys["C"], keys["F"]}
    values = {f.value: f.count for f in page.facets["organisation"]}
    assert values[PING_AN] == 2 and not any("China  Ltd" in v for v in values)


def test_a_600_character_query_is_cut_at_a_word_and_says_so(shared):
    engine, keys = shared
    q = ("sensors " * 80).strip()  # 639 characters
    page = engine.search(SearchQuery(q=q))
    assert {h.id for h in page.hits} == {keys["A"], keys["E"]}
    assert any("longer than 500 characters" in n for n in page.notes)


def test_suggestion_comes_from_facet_names_and_is_never_for_an_indexed_word(shared):
    engine, _ = shared
    assert engine.search(SearchQuery(q="Wuxii")).suggestion == "Wuxi"
    # Every word is in the index: nothing to suggest, however few the results.
    for q in ("budget portal", "mayor water", "sensors"):
        assert engine.search(SearchQuery(q=q)).suggestion is None, q


def test_a_name_word_suggested_for_a_lower_case_word_is_written_in_lower_case(engine, db):
    """The nearest word to "citty" is "City" of an organisation's name, and "city" is also a
    word of the texts: the suggestion keeps the reader's lower case."""
    for n in range(3):
        article = Article.objects.create(
            title=f"A smart city plan {n}",
            body="The city council approved the smart city plan.",
            raw_content="x",
            content_hash=f"citty-{n}",
        )
        article.organisations.set([Organisation.objects.get_or_create(name="City Brain Lab")[0]])
    engine.rebuild()
    assert engine.search(SearchQuery(q="citty council")).suggestion == "city council"
    assert engine.search(SearchQuery(q="Citty council")).suggestion == "City council"


def test_suggestion_only_when_it_finds_more(shared):
    engine, _ = shared
    page = engine.search(SearchQuery(q="goverment"))
    assert page.total == 0 and page.suggestion == "government"
    # "qqqzx" has no near word: no suggestion at all.
    assert engine.search(SearchQuery(q="qqqzx")).suggestion is None


def test_prefix_expansion_is_bounded_with_a_note(engine, db):
    words = [f"zq{a}{b}{c}" for a in "abcde" for b in "abcdefghij" for c in "abcde"]  # 250
    for n in range(5):
        part = words[n * 50 : (n + 1) * 50]
        Article.objects.create(
            title=f"Word list {n}",
            body=" ".join(part),
            raw_content=" ".join(part),
            content_hash=f"prefix-budget-{n}",
        )
    # One word held by three articles of its own: of 251 words it is the most frequent, so
    # it is among the 100 searched, and those articles are found.
    for n in range(3):
        Article.objects.create(
            title=f"Frequent {n}", body="zqzzz", raw_content="zqzzz", content_hash=f"freq-{n}"
        )
    engine.rebuild()
    page = engine.search(SearchQuery(q="zq*", per_page=100))
    # One note per typed term (Whoosh expands it in titles and bodies apart), the same on
    # every engine.
    assert [n for n in page.notes if "“zq*”" in n] == [
        "“zq*” matches more than 100 words; searched for the 100 most frequent. "
        "Type more letters to narrow it."
    ]
    assert {f"Frequent {n}" for n in range(3)} <= {h.title for h in page.hits}
    # Within the budget: no note.
    assert engine.search(SearchQuery(q="zqaa*")).notes == []


def test_too_many_prefixes_are_read_as_words_with_a_note(shared):
    engine, _ = shared
    page = engine.search(SearchQuery(q="a* b* c* d* e* f* g* h*"))
    assert any("terms with * or ~" in n for n in page.notes)


def test_a_search_past_its_time_limit_answers_with_a_note(shared, settings):
    engine, _ = shared
    settings.SEARCH_TIMEOUT_MS = 1 if engine.__class__.__name__ == "PostgresBackend" else 0
    page = engine.search(SearchQuery(q="smart* OR cit* OR gov* OR data OR park"))
    assert page.total == 0 and page.hits == []
    assert any("longer than" in n and "stopped" in n for n in page.notes), page.notes


@pytest.mark.parametrize("q", ["-" * 33, "NOT " * 120 + "smart", "(" * 40 + "smart" + ")" * 40])
def test_hostile_queries_get_an_answer(shared, q):
    engine, _ = shared
    page = engine.search(SearchQuery(q=q))
    assert page.total >= 0
