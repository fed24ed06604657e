"""Entity pages, the comparison and the pair view through the Django test client, on the UI
corpus (Whoosh; the PostgreSQL session runs the link check on its engine too)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from search.admin_ops import merge_values
from search.entities import read_search
from search.models import City, Organisation, RetiredSlug

LINK = re.compile(r'<a [^>]*href="(?P<href>[^"]*)"[^>]*data-total="(?P<n>[^"]*)"')


def checked_links(client, html: str) -> int:
    """Every link that shows a number leads to a search with that total; returns how many."""
    seen = 0
    for m in LINK.finditer(html):
        href, shown = unescape(m["href"]), int(m["n"].replace(",", ""))
        assert href == "/" or href.startswith("/?"), href
        api = client.get("/api/search" + href[1:])
        assert api.status_code == 200
        assert api.json()["total"] == shown, (href, shown, api.json()["total"])
        seen += 1
    return seen


def svg_of(html: str) -> ET.Element:
    start = html.index('<svg class="chart"')
    return ET.fromstring(html[start : html.index("</svg>", start) + 6])


@pytest.fixture
def wuxi(corpus):
    return City.objects.get(name="Wuxi")


def test_entity_page_shows_names_coverage_neighbours_sources_and_latest(client, wuxi):
    wuxi.aliases = "无锡\nWu-hsi"
    wuxi.save()
    response = client.get(wuxi.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Wuxi 无锡</h1>" in html and "Wu-hsi" in html
    svg = svg_of(html)
    assert svg.get("role") == "img"
    assert "Wuxi" in svg.find("{http://www.w3.org/2000/svg}title").text
    assert '<table class="data">' in html and '<th scope="row">2017</th>' in html
    assert "China Mobile" in html and "Huawei" in html and "Nanjing" in html
    assert "China Daily" in html  # top source
    assert "Wuxi builds an IoT park" in html
    assert checked_links(client, html) >= 5


def test_entity_page_by_month_and_as_share(client, wuxi):
    html = client.get(wuxi.get_absolute_url() + "?by=month&scale=share").content.decode()
    assert "2017-03" in html and "2017-06" in html
    # Wuxi is 2 of the archive's 2 articles of 2017-03 and 2017-06: 100 %.
    assert "100.0 %" in html
    svg_of(html)
    # Unknown options fall back to the defaults, never an error.
    # A control character in any parameter is refused with a 400 (issue #14), for every view.
    assert client.get(wuxi.get_absolute_url() + "?by=%00&scale=x").status_code == 400
    assert client.get(wuxi.get_absolute_url() + "?by=x&scale=x").status_code == 200


def test_renamed_entity_keeps_its_old_url(client, wuxi):
    old = wuxi.get_absolute_url()
    wuxi.name = "Wuxi City"
    wuxi.save()
    assert wuxi.get_absolute_url() != old
    response = client.get(old + "?by=month")
    assert response.status_code == 301
    assert response["Location"] == wuxi.get_absolute_url() + "?by=month"
    # Renamed back: the first URL is its own again, the second redirects.
    middle = wuxi.get_absolute_url()
    wuxi.name = "Wuxi"
    wuxi.save()
    assert wuxi.get_absolute_url() == old
    assert client.get(old).status_code == 200
    assert client.get(middle)["Location"] == old


def test_merged_entity_url_leads_to_the_survivor(
    client, corpus, django_capture_on_commit_callbacks
):
    huawei = Organisation.objects.get(name="Huawei")
    byd = Organisation.objects.get(name="BYD")
    byd_url = byd.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        merge_values(huawei, [byd])
    assert client.get(byd_url)["Location"] == huawei.get_absolute_url()
    assert RetiredSlug.objects.filter(kind="organisation", target_id=huawei.pk).exists()


def test_slugs_are_unique_and_readable(corpus):
    a = City.objects.create(name="Tai'zhou")
    b = City.objects.create(name="Taizhou")
    c = City.objects.create(name="泰州")
    assert a.slug == "taizhou" and b.slug == "taizhou-2" and c.slug == "泰州"
    d = City.objects.create(name="!!!")
    assert d.slug == "city"


def test_lookup_by_name_and_unknown_pages(client, wuxi):
    url = reverse("search:city-lookup") + "?name=wuxi"
    assert client.get(url)["Location"] == wuxi.get_absolute_url()
    assert client.get(reverse("search:city-lookup") + "?name=Atlantis").status_code == 404
    assert client.get(reverse("search:city-lookup")).status_code == 404
    assert client.get("/organisations/no-such-org/").status_code == 404


def test_facet_values_and_article_tags_link_to_entity_pages(client, wuxi):
    html = client.get("/?q=iot").content.decode()
    assert 'href="/cities/?name=Wuxi"' in html
    assert 'href="/organisations/?name=China%20Mobile"' in html
    article = wuxi.articles.first()
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{wuxi.get_absolute_url()}"' in html


def compare_url(*searches, **options) -> str:
    return (
        reverse("search:compare")
        + "?"
        + urlencode([("s", s) for s in searches] + list(options.items()))
    )


def test_compare_three_searches(client, corpus):
    url = compare_url("q=iot", "city=Shenzhen", "org=China+Mobile")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    svg = svg_of(html)
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "3 searches per year"
    assert (
        len(
            [
                g
                for g in svg.iter("{http://www.w3.org/2000/svg}g")
                if "series" in (g.get("class") or "")
            ]
        )
        == 3
    )
    assert "“iot”" in html and "Shenzhen" in html and "China Mobile" in html
    # Legend links and every year cell lead to searches with the numbers shown.
    assert checked_links(client, html) >= 3 + 5


def test_compare_url_settles_to_one_canonical_form(client, corpus):
    response = client.get(compare_url("http://x/?city=Wuxi&q=", "  ", "/?q=iot&page=3"))
    assert response.status_code == 302
    assert response["Location"] == compare_url("city=Wuxi", "q=iot")
    assert client.get(response["Location"]).status_code == 200


def test_compare_share_and_months(client, corpus):
    html = client.get(compare_url("q=iot", "q=traffic", by="month", scale="share")).content.decode()
    assert "2017-03" in html and "%" in html
    svg_of(html)


def test_compare_with_too_few_or_too_many_searches(client, corpus):
    html = client.get(compare_url("q=iot")).content.decode()
    assert "at least two" in html
    many = [f"q={w}" for w in ("iot", "smart", "data", "city", "traffic", "grid")]
    response = client.get(compare_url(*many))
    assert response.status_code == 200 and "first 5 are shown" in response.content.decode()
    assert client.get(compare_url("\x00", "q=iot")).status_code == 400  # control character
    response = client.get(compare_url("year=abc", "q=%ZZ"), follow=True)
    assert response.status_code == 200
    # Unreadable searches name nothing (not the whole archive); one readable one is left.
    assert response.context["queries"] == [read_search("q=%ZZ")]


def test_compare_csv(client, corpus):
    url = (
        reverse("search:compare-csv")
        + "?"
        + urlencode([("s", "q=iot"), ("s", "city=Nanjing"), ("s", "city==HYPERLINK(1)")])
    )
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["year", "archive articles", "“iot” articles", "“iot” share %"]
    assert rows[0][6] == "'=HYPERLINK(1) articles"  # not a formula
    by_year = {r[0]: r for r in rows[2:]}
    assert by_year["2016"][4] == "1" and by_year["2016"][1] == "1"  # Nanjing 2016: 1 of 1
    assert by_year["2016"][5] == "100.0000"
    assert rows[1][2] == "http://testserver/?q=iot"
    assert client.get(reverse("search:compare-csv")).status_code == 400


def test_pairs_page(client, corpus):
    response = client.get(reverse("search:pairs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Who works with whom" in html and '<table class="matrix data">' in html
    assert "Shenzhen + Huawei" in html or "Shenzhen" in html
    assert checked_links(client, html) >= 10
    narrowed = client.get(reverse("search:pairs") + "?city=Shenzhen&city=Wuxi").content.decode()
    assert checked_links(client, narrowed) >= 3


@pytest.mark.postgres
def test_links_match_totals_on_postgres(client, corpus, settings):
    from search.engines import base

    settings.SEARCH_BACKEND = "postgres"
    base._backend.cache_clear()
    try:
        wuxi = City.objects.get(name="Wuxi")
        for url in (
            wuxi.get_absolute_url(),
            compare_url("q=iot", "city=Shenzhen", "org=China+Mobile"),
            reverse("search:pairs"),
            reverse("search:pairs") + "?city=Shenzhen&city=Wuxi",
        ):
            html = client.get(url).content.decode()
            assert checked_links(client, html) >= 3, url
    finally:
        base._backend.cache_clear()


def test_entity_without_articles_and_hostile_names(client, corpus):
    lonely = City.objects.create(name="Atlantis")
    response = client.get(lonely.get_absolute_url())
    assert response.status_code == 200
    assert "0 articles" in response.content.decode()
    hostile = Organisation.objects.create(name='<script>alert("x")</script>', aliases="<b>")
    hostile.articles.add(*City.objects.get(name="Wuxi").articles.all())
    html = client.get(hostile.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<b>" not in html
    svg_of(html)
    assert "<script>alert" not in client.get(reverse("search:pairs")).content.decode()
