"""Ingest and re-extraction with what #12 added: original URL and language stored, listing
pages refused (unless allowed), the admin's block list honoured, re-extraction that never
erases what it cannot derive again, and a gazetteer rebuilt only when rows change."""

import datetime as dt

import pytest
from django.core.management import call_command

from search import ingest as ingest_module
from search.ingest import IngestError, current_gazetteer, ingest
from search.models import Article, City, Organisation
from search.reextraction import reextract_batch

pytestmark = pytest.mark.django_db

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Hangzhou tests smart traffic lights - Metro Ledger</title>
<meta property="og:site_name" content="Metro Ledger">
<link rel="canonical" href="https://metroledger.example/2021/05/04/hangzhou-lights">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
{"@type":"NewsArticle","headline":"Hangzhou tests smart traffic lights",
"datePublished":"2021-05-04T09:00:00+08:00"}]}</script></head><body>
<h1>Hangzhou tests smart traffic lights</h1>
<p>Hangzhou has started to let software time the traffic lights at forty junctions, the
city's traffic police said on Tuesday, after a pilot with Alibaba Cloud cut waiting times.</p>
<p>Engineers from Shanghai and Nanjing visited the control room to study how the system
reads queues from cameras and adjusts each signal every few seconds.</p>
<p>The city plans to extend the system to three hundred junctions before the end of the year,
officials told reporters at a briefing in the control centre.</p>
</body></html>"""

LISTING = (
    "<html><head><title>Smart cities | Metro Ledger</title></head><body><h1>Smart cities</h1>"
    "<ul>"
    + "".join(
        f"<li><a href='/a/{i}'>City number {i} tests a new idea for buses</a> "
        f"<span>June {i}, 2022</span></li>"
        for i in range(1, 25)
    )
    + "</ul></body></html>"
)


def test_ingest_stores_original_url_language_date_and_source():
    article = ingest(PAGE, fmt="html").article
    assert article.source_url == "https://metroledger.example/2021/05/04/hangzhou-lights"
    assert article.language == "en"
    assert article.published_date == dt.date(2021, 5, 4)
    assert article.source_name == "Metro Ledger"
    assert article.original_url == article.source_url


def test_original_url_is_only_http():
    article = ingest(PAGE, fmt="html", source_url="javascript:alert(1)").article
    assert article.original_url == ""


def test_a_listing_page_is_refused_with_the_reason_unless_allowed():
    with pytest.raises(IngestError, match="not an article"):
        ingest(LISTING, fmt="html")
    assert not Article.objects.exists()
    article = ingest(LISTING, fmt="html", allow_not_article=True).article
    assert article.pk is not None


def test_blocked_values_are_never_extracted_nor_kept_by_reextract():
    article = ingest(PAGE, fmt="html").article
    assert "Nanjing" in article.cities.values_list("name", flat=True)
    assert "Alibaba Cloud" in article.organisations.values_list("name", flat=True)
    City.objects.filter(name="Nanjing").update(blocked=True)
    Organisation.objects.filter(name="Alibaba Cloud").update(blocked=True)
    # .update() bypasses auto_now: bump the rows so the gazetteer fingerprint changes
    for row in [*City.objects.filter(blocked=True), *Organisation.objects.filter(blocked=True)]:
        row.save()
    call_command("reextract", "--all", verbosity=0)
    article.refresh_from_db()
    assert "Nanjing" not in article.cities.values_list("name", flat=True)
    assert "Shanghai" in article.cities.values_list("name", flat=True)
    assert "Alibaba Cloud" not in article.organisations.values_list("name", flat=True)


def test_reextract_keeps_what_it_cannot_derive_again():
    article = ingest(PAGE, fmt="html").article
    # Set by hand or from metadata the stored body no longer carries.
    Article.objects.filter(pk=article.pk).update(
        source_name="Hand-set Source", published_date=dt.date(2021, 5, 3), year=2021
    )
    article.refresh_from_db()
    report = reextract_batch([article])
    assert report.updated + report.unchanged == 1 and not report.failed
    article.refresh_from_db()
    assert article.published_date == dt.date(2021, 5, 3)
    assert article.source_name == "Hand-set Source"
    assert article.source_url.startswith("https://metroledger.example/")
    assert {"Hangzhou", "Shanghai"} <= set(article.cities.values_list("name", flat=True))


def test_gazetteer_is_cached_until_rows_change(django_assert_max_num_queries):
    first = current_gazetteer()
    with django_assert_max_num_queries(2):  # the fingerprint only, no row is read
        assert current_gazetteer() is first
    City.objects.create(name="Atlantis")
    second = current_gazetteer()
    assert second is not first
    assert second.city_index.entries.get("atlantis") == "Atlantis"
    ingest_module._cache.clear()
