"""Hostile parameters get a 400 with the reason, the API answers JSON on every error, and a
stored URL that is not http(s) never becomes a link."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client

from search.links import http_url
from search.models import Article

pytestmark = pytest.mark.django_db

WUXI = "Wuxi builds an IoT park for sensor makers"
CONTROL_VALUES = ["%00", "a%00b", "%01x", "%1b[31m", "%7f", "%C2%85"]


@pytest.mark.parametrize("param", ["q", "city", "org", "year", "sort", "page", "x"])
@pytest.mark.parametrize("path", ["/", "/api/search", "/export/csv/", "/export/json/"])
def test_nul_in_every_parameter_is_a_400_with_the_reason(corpus, client, path, param):
    response = client.get(f"{path}?{param}=a%00b")
    assert response.status_code == 400
    body = response.content.decode()
    assert f"“{param}”" in body or param in response.json()["error"]
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
        assert "control character" in response.json()["error"]
    else:
        assert "control character" in body


@pytest.mark.parametrize("value", CONTROL_VALUES)
def test_other_control_characters_are_refused_too(corpus, client, value):
    assert client.get(f"/?city={value}").status_code == 400
    assert client.get(f"/api/search?org={value}").status_code == 400


def test_control_character_in_a_parameter_name_or_path(corpus, client):
    assert client.get("/?ci%00ty=Wuxi").status_code == 400
    assert client.get("/articles/1/a%00b/").status_code == 400


def test_tabs_and_line_breaks_are_words_apart_not_errors(corpus, client):
    assert client.get("/?q=sensor%0Amakers").status_code in (200, 302)
    assert client.get("/api/search?q=sensor%09makers").status_code == 200


# -- the API answers JSON on every error -------------------------------------------------


def test_api_404_and_405_are_json(corpus, client):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]
    post = client.post("/api/search")
    assert post.status_code == 405 and post.json()["status"] == 405
    assert post["Allow"] == "GET"


def test_api_500_is_json(corpus, settings):
    settings.SEARCH_BACKEND = "no-such-engine"  # a misconfigured server raises in the view
    response = Client(raise_request_exception=False).get("/api/search?q=sensor")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Internal error", "status": 500}


def test_the_html_page_keeps_its_html_500(corpus, settings):
    settings.SEARCH_BACKEND = "no-such-engine"
    response = Client(raise_request_exception=False).get("/?q=sensor")
    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_api_and_page_answer_503_while_the_database_is_down(corpus_committed):
    """The connection is pointed at a closed port, as in a database outage (SQLite's test
    database lives in memory and cannot go away, so this runs in the PostgreSQL session)."""
    client = Client(raise_request_exception=False)
    assert client.get("/api/search?q=sensor").status_code == 200
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/api/search?q=makers")  # not answered before: needs the database
        cached = client.get("/api/search?q=sensor")  # answered before: from the cache
        page = client.get("/?q=makers")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "unavailable" in response.json()["error"]
    assert response["Retry-After"]
    assert cached.status_code == 200 and cached.json()["total"]
    # The search page says the same in HTML: a 503 to retry, not a 500.
    assert page.status_code == 503 and page["Retry-After"]
    assert "database is unavailable" in page.content.decode()


# -- links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://example.org/a", True),
        ("HTTP://example.org/a", True),
        ("javascript:alert(document.cookie)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("vbscript:x", False),
        ("//evil.example/x", False),
        ("http:///no-host", False),
        ("ftp://example.org/x", False),
        ("", False),
    ],
)
def test_only_http_and_https_urls_become_links(url, shown):
    assert bool(http_url(url)) is shown


def test_a_stored_javascript_source_url_is_not_a_link(corpus, client):
    article = Article.objects.get(pk=corpus[WUXI])
    # Stored by a bulk import or an older version; the model field does not stop it.
    Article.objects.filter(pk=article.pk).update(source_url="javascript:alert(document.cookie)")
    response = client.get(article.get_absolute_url())
    doc = BeautifulSoup(response.content, "lxml")
    assert "javascript:" not in response.content.decode()
    assert "China Daily" in doc.select_one(".meta").get_text(" ", strip=True)
    assert not [a for a in doc.select("a[href]") if "javascript" in a["href"].lower()]
