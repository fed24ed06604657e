"""Cite an article: its page's citation_* tags read as Zotero's Embedded Metadata translator
reads them, its schema.org NewsArticle, and COinS spans in result lists."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
from bs4 import BeautifulSoup

from search.models import Article

pytestmark = pytest.mark.django_db

SITE = "https://archive.example.org"
WUXI = "Wuxi builds an IoT park for sensor makers"
# The fields of Zotero's Embedded Metadata translator (HIGHWIRE_MAPPINGS) that we emit.
HIGHWIRE = {
    "citation_title": "title",
    "citation_publication_date": "date",
    "citation_date": "date",
    "citation_journal_title": "publicationTitle",
    "citation_publisher": "publisher",
    "citation_public_url": "url",
    "citation_language": "language",
}


def zotero_embedded_metadata(html: bytes) -> dict:
    """The Highwire part of Zotero's Embedded Metadata translator, as it reads a page:
    <meta> tags of <head> whose name ends with the key (several joined with ", ", as
    ZU.xpathText does), whitespace trimmed; keywords split at semicolons."""
    head = BeautifulSoup(html, "lxml").head
    metas = [(m.get("name") or "", m.get("content")) for m in head.find_all("meta")]
    item = {}
    for key, field in HIGHWIRE.items():
        values = [c for n, c in metas if c is not None and any(t.endswith(key) for t in n.split())]
        value = ", ".join(values)
        if value.strip():
            item[field] = " ".join(value.split())
    tags = []
    for n, c in metas:
        if n == "citation_keywords" and c:
            tags += [t.strip() for t in c.split(";") if t.strip()]
    item["tags"] = tags
    return item


@pytest.fixture
def wuxi(corpus, settings):
    settings.SITE_URL = SITE
    article = Article.objects.get(pk=corpus[WUXI])
    article.source_url = "https://www.chinadaily.com.cn/a/201703/03/wuxi-iot.html"
    article.language = "en"
    article.save()
    return article


def test_article_page_citation_tags_as_zotero_reads_them(wuxi, client):
    item = zotero_embedded_metadata(client.get(wuxi.get_absolute_url()).content)
    assert item["title"] == WUXI
    assert item["date"] == "2017/03/03"
    assert item["publisher"] == "China Daily"
    assert item["url"] == "https://www.chinadaily.com.cn/a/201703/03/wuxi-iot.html"
    assert item["language"] == "en"
    assert item["tags"] == ["Wuxi", "China Mobile"]
    head = BeautifulSoup(client.get(wuxi.get_absolute_url()).content, "lxml").head
    archive = head.find("meta", attrs={"name": "citation_fulltext_html_url"})["content"]
    assert archive == SITE + wuxi.get_absolute_url()


def test_article_without_original_url_cites_the_archive_page(corpus, client, settings):
    settings.SITE_URL = SITE
    article = Article.objects.exclude(source_url__gt="").exclude(year__isnull=True).first()
    item = zotero_embedded_metadata(client.get(article.get_absolute_url()).content)
    assert item["url"] == SITE + article.get_absolute_url()


def test_news_article_json_ld_is_data_that_cannot_end_its_script(
    db, client, settings, django_capture_on_commit_callbacks
):
    from search.ingest import ingest

    settings.SITE_URL = SITE
    title = "Smart poles </script><script>alert(1)</script> & <!-- more -->"
    with django_capture_on_commit_callbacks(execute=True):
        article = ingest(
            f"{title}\n\nA body about smart poles with plenty of words for the cleaner to "
            "keep it as the article text.\n\nAnother paragraph follows.",
            fmt="text",
        ).article
    article.source_name, article.source_url = "Xinhua", "https://example.org/poles"
    article.save()
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1 and "<" not in scripts[0]
    data = json.loads(scripts[0])
    assert data["@type"] == "NewsArticle" and data["headline"] == article.title
    assert data["publisher"] == {"@type": "Organization", "name": "Xinhua"}
    assert data["isBasedOn"] == "https://example.org/poles"
    assert data["url"] == SITE + article.get_absolute_url()
    # Still no inline script allowed: the data block needs no exception in the policy.
    assert (
        "unsafe-inline"
        not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert "alert(1)</script>" not in html.split("<body")[0]


def test_result_list_carries_coins(wuxi, client):
    doc = BeautifulSoup(client.get("/", {"q": "sensor", "city": "Wuxi"}).content, "lxml")
    spans = doc.select("li.hit span.Z3988")
    assert len(spans) == len(doc.select("li.hit"))
    kev = {k: v[0] for k, v in parse_qs(spans[0]["title"]).items()}
    assert kev["ctx_ver"] == "Z39.88-2004"
    assert kev["rft.atitle"] == WUXI and kev["rft.jtitle"] == "China Daily"
    assert kev["rft.date"] == "2017-03-03"
    assert kev["rft_id"] == "https://www.chinadaily.com.cn/a/201703/03/wuxi-iot.html"
