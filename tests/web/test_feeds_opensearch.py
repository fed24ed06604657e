"""Follow a search: its Atom feed read by feedparser, the OpenSearch description checked
against the OpenSearch 1.1 specification, and the suggestions it names."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from bs4 import BeautifulSoup
from lxml import etree

from search.models import Article

pytestmark = pytest.mark.django_db

SITE = "https://archive.example.org"
OS = "http://a9.com/-/spec/opensearch/1.1/"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE


def feed(client, **params):
    response = client.get("/feed/", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return response, feedparser.parse(response.content)


def test_feed_lists_newest_additions_matching_the_search(corpus, client, site):
    # The order of addition, not of publication: make the oldest article the newest addition.
    oldest = Article.objects.order_by("published_date").first()
    Article.objects.filter(pk=oldest.pk).update(created=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    _, parsed = feed(client, city="Wuxi")
    assert not parsed.bozo, parsed.bozo_exception
    wuxi = Article.objects.filter(cities__name="Wuxi").order_by("-created", "-id")
    assert [e.title for e in parsed.entries] == [a.title for a in wuxi]
    assert parsed.feed.opensearch_totalresults == str(wuxi.count())
    assert "Wuxi" in parsed.feed.title

    _, everything = feed(client)
    assert everything.entries[0].title == oldest.title  # most recently added first
    assert everything.feed.opensearch_totalresults == str(Article.objects.count())

    entry = next(e for e in parsed.entries if e.title.startswith("Wuxi builds"))
    article = Article.objects.get(title=entry.title)
    assert entry.link == SITE + article.get_absolute_url()
    assert entry.id == entry.link
    assert entry.published_parsed[:3] == (2017, 3, 3)
    assert entry.source.title == "China Daily"
    terms = {(t.term, t.label) for t in entry.tags}
    assert ("Wuxi", "City: Wuxi") in terms and (
        "China Mobile",
        "Organisation: China Mobile",
    ) in terms


def test_feed_of_a_query_with_no_match_is_valid_and_empty(corpus, client, site):
    _, parsed = feed(client, q="zzzqqqxx")
    assert not parsed.bozo and parsed.entries == []
    assert parsed.feed.opensearch_totalresults == "0"
    assert client.get("/feed/", {"year": "abc"}).status_code == 400


def test_search_page_links_its_feed_and_the_opensearch_document(corpus, client, site):
    doc = BeautifulSoup(client.get("/", {"q": "iot", "city": "Wuxi"}).content, "lxml")
    alternate = doc.select_one('link[rel=alternate][type="application/atom+xml"]')
    assert alternate["href"] == "/feed/?q=iot&city=Wuxi"
    visible = doc.find("a", string="Follow (Atom)")
    assert visible and visible["href"] == alternate["href"]
    search = doc.select_one('link[rel=search][type="application/opensearchdescription+xml"]')
    assert search["href"] == "/opensearch.xml" and search["title"]


def test_opensearch_description_meets_the_specification(client, site, db):
    """The required elements and limits of OpenSearch 1.1 (draft 6), checked with lxml."""
    response = client.get("/opensearch.xml")
    assert response["Content-Type"].startswith("application/opensearchdescription+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{OS}}}OpenSearchDescription"
    short = root.findall(f"{{{OS}}}ShortName")
    assert len(short) == 1 and 0 < len(short[0].text) <= 16 and "<" not in short[0].text
    description = root.findall(f"{{{OS}}}Description")
    assert len(description) == 1 and 0 < len(description[0].text) <= 1024
    urls = root.findall(f"{{{OS}}}Url")
    assert urls
    params = re.compile(r"\{(\w+:)?\w+\??\}")
    for url in urls:
        assert url.get("type") and url.get("template")
        assert url.get("rel", "results") in {"results", "suggestions", "self", "collection"}
        template = url.get("template")
        assert template.startswith(SITE + "/")
        # Every parameter is a well-formed template parameter; searchTerms is there to fill.
        assert all(params.fullmatch(p) for p in re.findall(r"\{[^}]*\}", template))
    types = {u.get("type"): u.get("template") for u in urls}
    assert types["text/html"] == SITE + "/?q={searchTerms}"
    assert types["application/atom+xml"] == SITE + "/feed/?q={searchTerms}"
    assert types["application/x-suggestions+json"] == SITE + "/suggest?q={searchTerms}"
    for query in root.findall(f"{{{OS}}}Query"):
        assert query.get("role") in {
            "request",
            "example",
            "related",
            "correction",
            "subset",
            "superset",
        }
    # Elements allowed once at most.
    for name in ("ShortName", "Description", "Tags", "Contact", "LongName", "Developer",
                 "Attribution", "SyndicationRight", "AdultContent"):  # fmt: skip
        assert len(root.findall(f"{{{OS}}}{name}")) <= 1


def test_suggestions_from_facet_names_and_titles(corpus, client, site):
    data = client.get("/suggest", {"q": "shen"}).json()
    assert data[0] == "shen"
    assert data[1][0] == "Shenzhen" and data[2][0] == "City"
    assert data[3][0] == SITE + "/?city=Shenzhen"
    assert "Shenzhen Daily" in data[1]  # a source
    assert "Shenzhen tests driverless buses" in data[1]  # a title
    assert len(data[1]) == len(data[2]) == len(data[3]) <= 10
    assert client.get("/suggest", {"q": "s"}).json() == ["s", [], [], []]
    assert client.get("/suggest", {"q": "a\x00b"}).status_code == 200
