"""One facet value for one place whatever the script: a Chinese article and an English one
about Shenzhen share the value Shenzhen, shown with both names, found by either name in the
facet's find box and selected by either name in a URL."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search.engines import base
from search.ingest import ingest
from search.models import City, Organisation

pytestmark = pytest.mark.django_db

CHINESE = (
    "深圳智慧城市建设提速\n\n3月20日，深圳市南山区与华为技术有限公司签约，推进数字孪生城市建设。"
)
ENGLISH = (
    "Shenzhen signs smart city deal with Huawei\n\n"
    "Shenzhen signed an agreement with Huawei on Monday to build a digital twin of the city."
)


@pytest.fixture
def archive(settings, django_capture_on_commit_callbacks):
    settings.SEARCH_INDEX_PROCS = 1
    base._backend.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        ids = [ingest(text, fmt="text").article.pk for text in (CHINESE, ENGLISH)]
    base.get_backend().rebuild()
    yield ids
    base._backend.cache_clear()


def test_both_scripts_tag_one_row_with_its_chinese_name_and_place_id(archive):
    shenzhen = City.objects.get(name="Shenzhen")
    assert shenzhen.articles.count() == 2
    assert shenzhen.name_zh == "深圳" and shenzhen.geonameid == 1795565
    assert "深圳市" in shenzhen.alias_list
    huawei = Organisation.objects.get(name="Huawei")
    assert huawei.articles.count() == 2 and huawei.name_zh == "华为"
    assert not City.objects.filter(name__contains="南山").exists()


def test_facets_show_both_names_and_find_either(archive, client):
    page = BeautifulSoup(client.get("/").content, "html.parser")
    assert "Shenzhen 深圳" in page.get_text()
    found = BeautifulSoup(client.get("/facets/city/?find=深圳").content, "html.parser")
    links = found.select(".facet-page-values a")
    assert len(links) == 1 and "Shenzhen 深圳" in links[0].get_text()
    assert links[0]["href"] == "/?city=Shenzhen"
    by_chinese = client.get("/api/search", {"city": "深圳"})
    if by_chinese.status_code in (301, 302):
        by_chinese = client.get(by_chinese["Location"])
    assert {r["id"] for r in by_chinese.json()["results"]} == set(archive)


def test_the_entity_page_shows_both_names(archive, client):
    page = BeautifulSoup(
        client.get(City.objects.get(name="Shenzhen").get_absolute_url()).content, "html.parser"
    )
    assert page.h1.get_text(strip=True) == "Shenzhen 深圳"
