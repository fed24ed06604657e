"""Follow and cite in a real browser: the feed and OpenSearch document a browser discovers
from the page, the citation tags it exposes to a reference manager, the alert form."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree
from playwright.sync_api import expect

from search.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OS = "http://a9.com/-/spec/opensearch/1.1/"


@pytest.fixture
def served(site, settings):
    # Links in feeds and tags are absolute from SITE_URL: here, the live server itself.
    settings.SITE_URL = site
    return site


def test_follow_a_search_from_the_page(served, page, shot):
    page.goto(served + "/?city=Wuxi")
    alternate = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    href = alternate.get_attribute("href")
    follow = page.get_by_role("link", name="Follow (Atom)")
    expect(follow).to_be_visible()
    assert follow.get_attribute("href") == href
    shot(page, "follow-search-desktop")

    response = page.request.get(served + href)
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.body())
    assert not parsed.bozo
    expected = Article.objects.filter(cities__name="Wuxi").order_by("-created", "-id")
    assert [e.title for e in parsed.entries] == [a.title for a in expected]
    assert parsed.feed.opensearch_totalresults == str(expected.count())
    assert all(e.link.startswith(served + "/articles/") for e in parsed.entries)

    # The browser's search-engine discovery: <link rel="search"> to a valid description.
    description = page.locator('link[rel="search"]').get_attribute("href")
    xml = page.request.get(served + description)
    root = etree.fromstring(xml.body())
    assert root.tag == f"{{{OS}}}OpenSearchDescription"
    templates = {u.get("type"): u.get("template") for u in root.findall(f"{{{OS}}}Url")}
    html_search = templates["text/html"].replace("{searchTerms}", "driverless")
    page.goto(html_search)
    expect(page.locator(".hit-title").first).to_contain_text("driverless")
    suggestions = page.request.get(
        templates["application/x-suggestions+json"].replace("{searchTerms}", "Shen")
    ).json()
    assert "Shenzhen" in suggestions[1]


def test_citation_tags_and_coins_in_the_browser(served, page):
    article = Article.objects.get(title__startswith="Wuxi builds")
    page.goto(served + article.get_absolute_url())
    # What a reference manager's page script sees: the DOM's meta tags.
    meta = page.evaluate(
        """() => Object.fromEntries([...document.head.querySelectorAll('meta[name^="citation_"]')]
              .filter(m => m.name !== 'citation_keywords').map(m => [m.name, m.content]))"""
    )
    assert meta["citation_title"] == article.title
    assert meta["citation_publication_date"] == "2017/03/03"
    assert meta["citation_publisher"] == "China Daily"
    assert meta["citation_public_url"] == served + article.get_absolute_url()
    ld = page.evaluate(
        "() => JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert ld["@type"] == "NewsArticle" and ld["headline"] == article.title
    # Results swapped in by htmx still carry one COinS span per hit.
    page.goto(served + "/")
    page.get_by_label("Search articles").fill("iot")
    page.wait_for_url("**/?q=iot")
    page.wait_for_load_state("networkidle")
    assert page.locator("li.hit span.Z3988").count() == page.locator("li.hit").count() > 0


def test_alert_form_page_and_new_facets(served, page, phone, shot):
    for n, article in enumerate(Article.objects.order_by("id")):
        article.language = "zh-Hans" if n % 3 == 0 else "en"
        if n == 2:
            article.published_date, article.year = None, None
        article.save()  # indexed as it commits (transactional test)
    page.goto(served + "/")
    expect(page.locator("#facet-language")).to_contain_text("Chinese (Simplified)")
    page.locator("#f-year-undated").check()
    page.wait_for_url("**/?year=undated")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#result-count")).to_contain_text("1 article")
    shot(page, "search-undated-desktop")

    page.goto(served + "/?q=sensors")
    page.get_by_role("link", name="Email alerts").click()
    expect(page.get_by_role("heading", name="Email alerts")).to_be_visible()
    expect(page.get_by_text("“sensors”")).to_be_visible()
    shot(page, "alerts-new-desktop")
    phone.goto(served + "/alerts/new/?q=sensors")
    shot(phone, "alerts-new-phone")
    phone.goto(served + "/?lang=en&lang=zh-Hans")
    phone.locator("details.filters > summary").click()
    shot(phone, "search-facets-phone")
