"""What a search page and a facet click carry (issue #14: a search page <= 60 kB of HTML before
compression, a facet click <= 40 kB). Bytes are behaviour: measured here on a synthetic archive
with hundreds of cities and organisations, long titles and many tags per article, the kind the
load bench serves."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from search.engines import base
from search.engines.base import SearchQuery
from search.models import City, Organisation
from search.presenters import kept_groups

pytestmark = pytest.mark.django_db

PAGE_MAX = 60_000
CLICK_MAX = 40_000
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def click_headers(on: str) -> dict[str, str]:
    """What htmx sends for a tick in the search form of the page `on`."""
    return {
        "HX-Request": "true",
        "HX-Current-URL": f"http://testserver{on}",
        "HX-Trigger": "search-form",
    }


def busiest(model, n: int) -> list[str]:
    from django.db.models import Count

    rows = model.objects.annotate(k=Count("articles")).order_by("-k", "name")[:n]
    return [r.name for r in rows]


@pytest.fixture
def synthetic(settings):
    settings.SEARCH_INDEX_PROCS = 1
    call_command("generate_corpus", 600, seed=1, no_index=True, verbosity=0)
    base._backend.cache_clear()
    base.get_backend().rebuild()
    yield
    base._backend.cache_clear()


def test_search_pages_and_facet_clicks_stay_light(synthetic, client):
    cities, orgs = busiest(City, 3), busiest(Organisation, 3)
    assert City.objects.count() > 100 and Organisation.objects.count() > 100
    searches = [{}, {"q": "city"}, {"q": "smart city", "year_from": 2014, "year_to": 2018}]
    sizes, full = [], 0
    for spec in searches:
        page_url = f"/?{urlencode(spec)}" if spec else "/"
        page = client.get(page_url)
        assert page.status_code == 200 and len(page.content) <= PAGE_MAX, len(page.content)
        for param, value in [("city", cities[0]), ("city", cities[2]), ("org", orgs[1])]:
            url = f"/?{urlencode({**spec, param: value})}"
            click = client.get(url, headers=click_headers(page_url))
            assert click.status_code == 200
            sizes.append(len(click.content))
            doc = BeautifulSoup(click.content, "lxml")
            full += len(doc.select("li.hit .tags")) == 10  # ten rows, each with its tags
            # The clicked facet's group stays as the reader has it; the others are redrawn.
            clicked = "city" if param == "city" else "organisation"
            kept = doc.select_one(f"#facet-{clicked}")
            assert kept.has_attr("hx-preserve") and not kept.contents
            assert doc.select("#facet-source li") and doc.select("#facet-year .bars li")
    assert full >= 6 and max(sizes) <= CLICK_MAX, (full, sizes)


def test_a_click_leaves_out_only_the_groups_that_did_not_change():
    page = SearchQuery(q="iot", filters={"city": ("Wuxi",)})
    ticked = SearchQuery(q="iot", filters={"city": ("Wuxi", "Nanjing")})
    # A tick in the form: its own group (counts leave its own filter out) is unchanged.
    assert kept_groups(page, ticked, from_form=True) == {"city"}
    # The same change made by a link (a tag, a chip): the boxes on screen are not ticked.
    assert kept_groups(page, ticked, from_form=False) == frozenset()
    # Another page or another order of the same search: every group as it is.
    everything = {"city", "organisation", "source", "language", "year"}
    assert kept_groups(page, SearchQuery(q="iot", filters=page.filters, page=3), False) == (
        everything
    )
    assert kept_groups(page, SearchQuery(q="iot", filters=page.filters, sort="newest"), True) == (
        everything
    )
    # A year tick keeps the histogram; a range redraws every group (it filters them all).
    years = SearchQuery(q="iot", filters={**page.filters, "year": ("2017",)})
    assert kept_groups(page, years, from_form=True) == {"year"}
    ranged = SearchQuery(q="iot", filters=page.filters, year_from=2017)
    assert kept_groups(page, ranged, from_form=True) == frozenset()
    assert kept_groups(page, SearchQuery(q="iot sensor", filters=page.filters), True) == (
        frozenset()
    )
    assert kept_groups(None, ticked, from_form=True) == frozenset()


def test_a_group_is_left_out_only_for_a_search_page_htmx_names(corpus, client):
    on = "/?q=iot"
    url = "/?q=iot&city=Wuxi"
    click = client.get(url, headers=click_headers(on))
    assert BeautifulSoup(click.content, "lxml").select_one("#facet-city").has_attr("hx-preserve")
    assert "HX-Current-URL" in click["Vary"] and "HX-Trigger" in click["Vary"]
    # Asked from another page (an article), or without naming one: every group drawn.
    for headers in (
        {**click_headers("/articles/1/x/"), "HX-Current-URL": "http://testserver/articles/1/x/"},
        {"HX-Request": "true"},
    ):
        whole = client.get(url, headers=headers)
        doc = BeautifulSoup(whole.content, "lxml")
        assert not doc.select("[hx-preserve]") and doc.select("#facet-city li")
        # Another representation of the same URL: another validator, another kept answer.
        assert whole["ETag"] != click["ETag"]
    again = client.get(url, headers={**click_headers(on), "If-None-Match": click["ETag"]})
    assert again.status_code == 304


def test_a_page_without_javascript_draws_every_group(corpus, client):
    page = client.get("/?q=iot&city=Wuxi", headers={"HX-Current-URL": "http://testserver/?q=iot"})
    doc = BeautifulSoup(page.content, "lxml")
    assert not doc.select("[hx-preserve]") and doc.select("#facet-city li")


def test_rows_leave_out_the_values_the_search_is_filtered_by(corpus, client):
    doc = BeautifulSoup(client.get("/?q=iot&city=Wuxi").content, "lxml")
    rows = doc.select("li.hit")
    assert rows
    tags = [t.get_text(" ", strip=True) for r in rows for t in r.select(".tag-city")]
    assert "City: Wuxi" not in tags and "City: Nanjing" in tags
    # Unfiltered, the same rows name Wuxi.
    doc = BeautifulSoup(client.get("/?q=iot").content, "lxml")
    assert "City: Wuxi" in [t.get_text(" ", strip=True) for t in doc.select("li.hit .tag-city")]


def test_pages_carry_no_template_indentation(corpus, client):
    html = client.get("/?q=iot").content.decode()
    assert not re.search(r"\n[ \t]+<", html)
    # Indentation is taken out of the template source, where no <pre> or <textarea> would
    # show it (a mail body, plain text, keeps its own).
    for path in TEMPLATES.rglob("*.html"):
        assert not re.search(r"<(pre|textarea)\b", path.read_text()), path
