"""The facet-values endpoint answers a bounded page at a time ("show more" and the page
without script), while the find box still looks among every value."""

from urllib.parse import parse_qs, urlsplit

import pytest

from search import presenters
from tests.web.pages import HX, soup

pytestmark = pytest.mark.django_db


def values(doc) -> list[str]:
    return [i["value"] for i in doc.select("input[name=city]")]


def test_show_more_brings_a_page_and_a_link_to_the_next(corpus, client, monkeypatch):
    monkeypatch.setattr(presenters, "MORE_PAGE", 2)
    top = values(soup(client.get("/")).select_one("#facet-city"))
    first = soup(client.get("/facets/city/", headers=HX))
    assert len(values(first)) == 2 and not set(values(first)) & set(top)
    more = first.select_one("a[data-facet-more]")
    assert more.get_text(" ", strip=True) == "Show 1 more cities"
    assert more["hx-target"] == "this" and more["hx-swap"] == "outerHTML"
    # Asked with the search the form holds when clicked: the sidebar says so for its links.
    aside = soup(client.get("/")).select_one("aside.sidebar")
    assert aside["hx-include"] == "#search-form" and aside["hx-push-url"] == "false"
    assert parse_qs(urlsplit(more["hx-get"]).query) == {"start": ["2"]}
    assert not first.select("[autofocus]")  # the first page: the list's own script focuses
    second = soup(client.get(more["hx-get"], headers=HX))
    assert len(values(second)) == 1 and not second.select("a[data-facet-more]")
    assert second.select_one("input")["value"] == values(second)[0]
    assert second.select_one("input").has_attr("autofocus")  # the keyboard goes on from here
    # Together: every value once, top list included.
    assert sorted(top + values(first) + values(second)) == sorted(
        f["value"] for f in client.get("/api/search").json()["facets"]["city"]
    )


def test_a_tick_moving_a_value_into_the_top_list_shifts_no_page(corpus, client, monkeypatch):
    monkeypatch.setattr(presenters, "MORE_PAGE", 2)
    first = values(soup(client.get("/facets/city/", headers=HX)))
    later = values(soup(client.get("/facets/city/?start=2", headers=HX)))
    # The first page's first value ticked: it is shown in the top list now, and the next page
    # is still the same one (positions do not move).
    ticked = soup(client.get(f"/facets/city/?city={first[0]}&start=2", headers=HX))
    assert values(ticked) == later


def test_find_looks_among_every_value_a_page_at_a_time(corpus, client, monkeypatch):
    monkeypatch.setattr(presenters, "MORE_PAGE", 1)
    doc = soup(client.get("/facets/city/", {"find": "XIA"}, headers=HX))
    assert values(doc) == ["Xiamen"] and not doc.select("a[data-facet-more]")
    # More matches than a page: the link asks for the next page of the same find.
    rest = [f["value"] for f in client.get("/api/search").json()["facets"]["city"]][8:]
    needle = next(c for c in "aeiou" if sum(c in v.lower() for v in rest) >= 2)
    doc = soup(client.get("/facets/city/", {"find": needle}, headers=HX))
    more = doc.select_one("a[data-facet-more]")
    assert len(values(doc)) == 1
    assert parse_qs(urlsplit(more["hx-get"]).query) == {"find": [needle], "start": ["1"]}


def test_without_javascript_the_list_is_paged_and_keeps_the_search(corpus, client, monkeypatch):
    monkeypatch.setattr(presenters, "LIST_PAGE", 4)
    every = [f["value"] for f in client.get("/api/search?q=smart").json()["facets"]["city"]]
    seen, url, pages = [], "/facets/city/?q=smart", 0
    while url:
        doc = soup(client.get(url))
        links = doc.select(".facet-page-values a")
        assert 0 < len(links) <= 4
        assert all(a["href"].startswith("/?q=smart&city=") for a in links)
        seen += [parse_qs(urlsplit(a["href"]).query)["city"][0] for a in links]
        nxt = doc.select_one(".pager a[rel~=next]")
        url = nxt["href"] if nxt else None
        if pages:
            assert doc.select_one(".pager a[rel~=prev]")
        pages += 1
    assert seen == every and pages == -(-len(every) // 4)
    assert "of 11" in soup(client.get("/facets/city/?q=smart")).select_one("#values-range").text
    # Find looks among every value, not one page.
    found = soup(client.get("/facets/city/?q=smart&find=guangz"))
    assert [a.get_text(strip=True) for a in found.select(".facet-page-values a")] == [
        "Guangzhou 广州"
    ]


@pytest.mark.parametrize("start", ["abc", "-4", "²", "9" * 50, "99999", ""])
def test_any_start_is_answered(corpus, client, start, monkeypatch):
    monkeypatch.setattr(presenters, "LIST_PAGE", 4)
    page = soup(client.get("/facets/city/", {"start": start}))
    assert page.select(".facet-page-values a")  # the first page, or the last
    assert client.get("/facets/city/", {"start": start}, headers=HX).status_code == 200
