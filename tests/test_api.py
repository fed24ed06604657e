"""GET /api/search: the JSON shape of DESIGN.md, and no bad input ever gives a 500."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
CORPUS = 24


@pytest.fixture
def corpus(db, settings):
    settings.SEARCH_INDEX_PROCS = 1
    call_command("generate_corpus", CORPUS, seed=11, verbosity=0)


def test_json_shape(corpus, client):
    data = client.get("/api/search", {"q": "government", "per_page": 5}).json()
    assert set(data) >= {"query", "total", "page", "pages", "results", "facets", "suggestion"}
    assert data["query"] == "government" and data["page"] == 1 and len(data["results"]) == 5
    assert data["pages"] == -(-data["total"] // 5)
    hit = data["results"][0]
    assert set(hit) >= {"id", "title", "url", "date", "year", "source", "cities", "organisations", "snippet"}  # fmt: skip
    assert "<mark>" in hit["snippet"]
    assert set(data["facets"]) == {"year", "city", "organisation", "source", "language"}
    assert set(data["facets"]["city"][0]) == {"value", "count", "selected"}


def test_repeated_facet_parameters_are_ored(corpus, client):
    cities = [f["value"] for f in client.get("/api/search").json()["facets"]["city"][:2]]
    one = client.get("/api/search", {"city": cities[0]}).json()["total"]
    two = client.get("/api/search", {"city": cities[1]}).json()["total"]
    both = client.get("/api/search", {"city": cities}).json()
    assert max(one, two) <= both["total"] <= one + two
    assert {f["value"] for f in both["facets"]["city"] if f["selected"]} == set(cities)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "0"},
        {"per_page": "0"},
        {"sort": "sideways"},
        {"year": "abc"},
        {"year_from": "twenty"},
        {"q": "null\x00byte"},
    ],
)
def test_bad_parameters_get_a_json_400(corpus, client, params):
    response = client.get("/api/search", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def atlantis_selected(data: dict) -> bool:
    return {"value": "Atlantis", "count": 0, "selected": True} in data["facets"]["city"]


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"per_page": "100000"}, lambda d: len(d["results"]) == CORPUS and d["pages"] == 1),
        ({"page": "99999999999"}, lambda d: d["results"] == [] and d["total"] == CORPUS),
        ({"q": "smart " * 2000}, lambda d: len(d["query"]) <= 500),
        ({"city": "Atlantis"}, lambda d: d["total"] == 0 and atlantis_selected(d)),
        ({"org": ["", "  "]}, lambda d: d["total"] == CORPUS),
        ({"colour": "blue", "utm_source": "x"}, lambda d: d["total"] == CORPUS),
        ({"year_from": "2020", "year_to": "2012"}, lambda d: d["total"] > 0),
    ],
)
def test_odd_parameters_get_sane_defaults(corpus, client, params, check):
    response = client.get("/api/search", params)
    assert response.status_code == 200
    assert check(response.json())


NASTY_QUERIES = [
    '"unclosed', "AND OR", "(((", ")))", "year:abc", "year:[abc TO]", "year:[2015 TO 2012]",
    "city:", "title:", "org:", "*", "?", "~", '""', "-", "NOT", "government~99", "x*y*z*",
    "\\", "'", "%", "智慧城市", "😀 smart", "*:*", "id:5", "source:foo", "a" * 500,
    "smart^", "smart^abc", "[a TO", "{", "city:Wuxi OR", "-(((", "NOT NOT NOT city",
]  # fmt: skip


@pytest.mark.parametrize("q", NASTY_QUERIES)
def test_no_query_text_gives_a_500(corpus, client, q):
    response = client.get("/api/search", {"q": q})
    assert response.status_code == 200, q
    assert isinstance(response.json()["results"], list)


def test_malformed_query_is_answered_with_a_note(corpus, client):
    data = client.get("/api/search", {"q": '"smart government'}).json()
    assert data["total"] > 0 and data["notes"]


def test_post_is_refused(corpus, client):
    assert client.post("/api/search", {"q": "x"}).status_code == 405
