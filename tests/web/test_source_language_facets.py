"""The source and language facets and "Undated" on the search page and in the API."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search.models import Article

pytestmark = pytest.mark.django_db

WUXI = "Wuxi builds an IoT park for sensor makers"


@pytest.fixture
def languages(corpus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n, article in enumerate(Article.objects.order_by("id")):
            article.language = "zh-Hans" if n % 3 == 0 else "en"
            if n == 1:
                article.published_date, article.year = None, None
            article.save()
    return corpus


def test_api_counts_and_filters_by_source_and_language(languages, client):
    data = client.get("/api/search").json()
    sources = {f["value"]: f["count"] for f in data["facets"]["source"]}
    assert sources["China Daily"] == Article.objects.filter(source_name="China Daily").count()
    assert "" not in sources  # articles without a source are not a value
    langs = {f["value"]: f["count"] for f in data["facets"]["language"]}
    assert langs == {"en": 8, "zh-Hans": 4}
    both = client.get("/api/search", {"source": ["Xinhua", "China Daily"], "lang": "en"}).json()
    expected = Article.objects.filter(
        source_name__in=["Xinhua", "China Daily"], language="en"
    ).count()
    assert both["total"] == expected > 0
    assert {f["value"] for f in both["facets"]["source"] if f["selected"]} == {
        "Xinhua",
        "China Daily",
    }
    assert all("language" in r and "source_url" in r for r in both["results"])


def test_undated_is_selectable_in_the_year_facet(languages, client):
    data = client.get("/api/search", {"year": ["undated", "2017"]}).json()
    undated = Article.objects.filter(year__isnull=True).count()
    assert data["total"] == undated + Article.objects.filter(year=2017).count()
    assert data["facets"]["year"][-1] == {"value": "undated", "count": 1, "selected": True}


def test_search_page_shows_the_new_facets_with_names(languages, client):
    response = client.get("/", {"lang": "zh-Hans"})
    doc = BeautifulSoup(response.content, "lxml")
    labels = [s.get_text() for s in doc.select("#facet-language .v")]
    assert labels == ["English", "Chinese (Simplified)"]
    box = doc.select_one('#facet-language input[value="zh-Hans"]')
    assert box.has_attr("checked") and box["name"] == "lang"
    assert doc.select_one('#facet-source input[value="Xinhua"]')["name"] == "source"
    chip = doc.select_one(".chips .chip").get_text(" ", strip=True)
    assert chip.startswith("Language Chinese (Simplified)")
    undated = BeautifulSoup(client.get("/").content, "lxml").select_one("#f-year-undated")
    assert undated["name"] == "year" and undated["value"] == "undated"
    # The no-JS form submit of the checkbox gives the canonical URL.
    response = client.get("/", {"year": "undated", "lang": "zh-Hans", "q": ""})
    assert response.status_code == 302 and response["Location"] == "/?lang=zh-Hans&year=undated"
