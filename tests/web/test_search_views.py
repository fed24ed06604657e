"""The search page through Django's test client, on the real Whoosh index."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.web.pages import HX, soup

pytestmark = pytest.mark.django_db


def titles(doc) -> list[str]:
    return [" ".join(h.get_text().split()) for h in doc.select(".hit-title")]


def count(doc) -> str:
    return doc.select_one("#result-count").get_text(" ", strip=True)


def facet_counts(doc, facet: str) -> dict[str, int]:
    out = {}
    for li in doc.select(f"#facet-{facet} li"):
        box = li.select_one("input[type=checkbox]")
        out[box["value"]] = int(li.select_one(".n").get_text(" ", strip=True).split()[0])
    return out


def checked(doc, param: str) -> list[str]:
    return sorted(i["value"] for i in doc.select(f"input[name={param}][checked]"))


# -- parameter combinations ---------------------------------------------------------------


def test_landing_page_lists_everything_with_facets(corpus, client):
    doc = soup(client.get("/"))
    assert count(doc) == "1–10 of 12 articles"
    assert facet_counts(doc, "city")["Wuxi"] == 2
    assert facet_counts(doc, "year") == {
        "2016": 1, "2017": 2, "2018": 1, "2019": 2, "2020": 2, "2021": 2, "2022": 2,
    }  # fmt: skip
    assert doc.select_one("#q")["value"] == ""
    assert not doc.select(".chips")


def test_query_only(corpus, client):
    doc = soup(client.get("/", {"q": "iot"}))
    assert count(doc) == "3 articles for “iot”"
    assert doc.select_one("#q")["value"] == "iot"
    assert all(h.select("mark") for h in doc.select(".hit-title"))


def test_values_of_one_facet_are_ored(corpus, client):
    doc = soup(client.get("/?city=Chengdu&city=Wuxi"))
    assert count(doc) == "3 articles"
    assert checked(doc, "city") == ["Chengdu", "Wuxi"]
    # Disjunctive counts: another city shows what it would add.
    assert facet_counts(doc, "city")["Beijing"] == 1


def test_facets_are_anded_and_chips_show_each_value(corpus, client):
    doc = soup(client.get("/?q=iot&city=Chengdu&city=Wuxi&year=2017"))
    assert sorted(titles(doc)) == [
        "Nanjing and Wuxi share IoT traffic data",
        "Wuxi builds an IoT park for sensor makers",
    ]
    chips = [a.get_text(" ", strip=True) for a in doc.select(".chip")]
    assert chips == ["City Chengdu ×", "City Wuxi ×", "Year 2017 ×"]
    remove_chengdu = doc.select(".chip")[0]
    assert remove_chengdu["href"] == "/?q=iot&city=Wuxi&year=2017"
    assert remove_chengdu["aria-label"] == "Remove filter City: Chengdu"
    assert doc.select_one(".clear-all")["href"] == "/?q=iot"
    assert checked(doc, "year") == ["2017"]


def test_organisation_facet_uses_org_param(corpus, client):
    doc = soup(client.get("/?org=Huawei"))
    assert count(doc) == "2 articles"
    assert checked(doc, "org") == ["Huawei"]
    assert doc.select_one(".chip")["aria-label"] == "Remove filter Organisation: Huawei"


def test_year_range_and_histogram(corpus, client):
    doc = soup(client.get("/?year_from=2017&year_to=2019"))
    assert count(doc) == "5 articles"
    # The histogram keeps every year so the range can grow; the range is marked.
    years = [li.select_one("input")["value"] for li in doc.select(".bars li")]
    assert years == ["2016", "2017", "2018", "2019", "2020", "2021", "2022"]
    in_range = [li.select_one("input")["value"] for li in doc.select(".bars li.in-range")]
    assert in_range == ["2017", "2018", "2019"]
    assert doc.select_one("#year_from option[selected]").get_text() == "2017"
    chip = doc.select_one(".chip")
    assert chip.get_text(" ", strip=True) == "Years 2017–2019 ×"
    assert chip["href"] == "/"
    # Bars are as long as their counts (the tallest is 100%).
    widths = {
        li.select_one("input")["value"]: li.select_one(".fill")["style"]
        for li in doc.select(".bars li")
    }
    assert widths["2017"] == "width: 100%" and widths["2016"] == "width: 50%"


def test_reversed_range_is_read_the_right_way_round(corpus, client):
    response = client.get("/?year_from=2019&year_to=2017")
    assert response["Location"] == "/?year_from=2017&year_to=2019"
    assert count(soup(client.get(response["Location"]))) == "5 articles"


def test_sort_newest_and_oldest(corpus, client):
    newest = titles(soup(client.get("/?sort=newest")))
    oldest = titles(soup(client.get("/?sort=oldest&per_page=12")))
    assert newest[0] == "Xiamen port goes digital"
    assert oldest[0] == "Nanjing smart grid trial ends"
    assert oldest[::-1][:10] == newest


def test_paging_and_per_page(corpus, client):
    doc = soup(client.get("/?sort=oldest&per_page=5&page=2"))
    assert count(doc) == "6–10 of 12 articles"
    assert doc.select_one("ol.hits")["start"] == "6"
    pager = {a.get_text(" ", strip=True): a["href"] for a in doc.select(".pager a")}
    assert pager["← Previous"] == "/?sort=oldest&per_page=5"
    assert pager["Next →"] == "/?sort=oldest&per_page=5&page=3"
    assert doc.select_one(".pager [aria-current=page]").get_text(" ", strip=True) == "Page 2"
    # per_page survives a form submit as a hidden field.
    assert doc.select_one("input[type=hidden][name=per_page]")["value"] == "5"


def test_no_match_with_filters_offers_to_drop_them(corpus, client):
    doc = soup(client.get("/?q=iot&city=Beijing"))
    assert count(doc) == "No articles for “iot”"
    empty = doc.select_one(".empty")
    assert "No articles match “iot” with these filters" in empty.get_text(" ", strip=True)
    links = {a.get_text(" ", strip=True): a["href"] for a in empty.select("a")}
    assert links["Search “iot” without filters"] == "/?q=iot"
    assert links["Browse all articles"] == "/"
    assert [c["aria-label"] for c in doc.select(".chip")] == ["Remove filter City: Beijing"]
    assert not doc.select(".export")


def test_unknown_facet_value_is_shown_as_a_removable_filter(corpus, client):
    doc = soup(client.get("/?q=iot&city=Atlantis"))
    assert [c["aria-label"] for c in doc.select(".chip")] == ["Remove filter City: Atlantis"]
    assert checked(doc, "city") == ["Atlantis"]  # ticked, so it can be unticked


def test_no_results_without_filters(corpus, client):
    doc = soup(client.get("/?q=zeppelinxyz"))
    empty = doc.select_one(".empty").get_text(" ", strip=True)
    assert "No articles match “zeppelinxyz”" in empty
    assert "Check the spelling" in empty


@pytest.mark.parametrize(
    "q",
    ['"unbalanced', "iot AND", "(smart OR", "*", "title:", "城市 智慧", "a" * 2000, "OR AND NOT"],
)
def test_malformed_queries_never_fail(corpus, client, q):
    response = client.get("/", {"q": q}, follow=True)  # an overlong q is cut, then redirected
    assert response.status_code == 200
    doc = soup(response)
    assert doc.select_one("#result-count")


@pytest.mark.parametrize(
    "query, message",
    [
        ("q=iot&year=20x7", "year must be a four-digit year"),
        ("q=iot&sort=sideways", "sideways"),
        ("q=iot&page=0", "greater than or equal to 1"),
        ("q=iot&page=abc", "whole number"),
        ("q=iot&year_from=12", "greater than or equal to 1000"),
    ],
)
def test_bad_parameters_get_a_message_and_the_rest_of_the_search(corpus, client, query, message):
    response = client.get(f"/?{query}")
    doc = soup(response)  # 200, not a redirect that would swallow the message
    assert message in doc.select_one("[role=alert]").get_text(" ", strip=True)
    assert count(doc) == "3 articles for “iot”"


def test_page_past_the_end_offers_the_last_page(corpus, client):
    doc = soup(client.get("/?q=smart&page=40"))
    empty = doc.select_one(".empty")
    assert "Page 40 is past the end" in empty.get_text(" ", strip=True)
    assert empty.select_one("a")["href"] == "/?q=smart&page=2"


def test_per_page_is_capped(corpus, client):
    response = client.get("/?per_page=100000")
    assert response["Location"] == "/?per_page=100"
    doc = soup(client.get(response["Location"]))
    assert count(doc) == "12 articles"


def test_suggestion_is_a_link_when_the_engine_has_one(corpus, client):
    # The engine decides when to suggest; whatever it suggests must be a working link.
    doc = soup(client.get("/?q=sensr"))
    link = doc.select_one(".suggestion a")
    if link is not None:
        assert link["href"].startswith("/?q=")
        assert link["rel"] == ["nofollow"]


# -- canonical URLs ----------------------------------------------------------------------


def test_no_js_form_submit_redirects_to_the_readable_url(corpus, client):
    response = client.get(
        "/?q=iot&year=2017&city=Wuxi&city=Chengdu&year_from=&year_to=&sort=relevance"
    )
    assert response.status_code == 302
    assert response["Location"] == "/?q=iot&city=Chengdu&city=Wuxi&year=2017"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/", "/?q=iot", "/?q=smart+city&city=Wuxi&org=Huawei&year=2017&sort=newest&page=2",
     "/?year_from=2017&year_to=2019&per_page=5"],
)  # fmt: skip
def test_canonical_urls_are_served_as_they_are(corpus, client, url):
    assert client.get(url).status_code == 200


def test_empty_query_submit_lands_on_the_bare_page(corpus, client):
    response = client.get("/?q=&sort=relevance")
    assert response.status_code == 302 and response["Location"] == "/"


# -- htmx fragment versus full page ----------------------------------------------------


def test_htmx_request_gets_only_the_region(corpus, client):
    full = client.get("/?q=iot&city=Wuxi")
    part = client.get("/?q=iot&city=Wuxi", headers=HX)
    assert b"<html" in full.content and b"<html" not in part.content
    assert b'id="search-form"' in full.content and b'id="search-form"' not in part.content
    part_doc = soup(part)
    assert part_doc.select_one("#region") is not None
    assert part_doc.title.get_text() == "“iot” · Wuxi — Smart City Search"
    # Same results, same facets in both renderings.
    assert titles(part_doc) == titles(soup(full))
    assert facet_counts(part_doc, "city") == facet_counts(soup(full), "city")
    for response in (full, part):
        assert "HX-Request" in response["Vary"]


def test_htmx_request_pushes_the_canonical_url(corpus, client):
    # The form serialises in page order with empty fields; the address bar gets the clean URL.
    part = client.get(
        "/?q=iot&year_from=&year_to=&sort=relevance&city=Wuxi&year=2017&city=Chengdu", headers=HX
    )
    assert part.status_code == 200
    assert part["HX-Push-Url"] == "/?q=iot&city=Chengdu&city=Wuxi&year=2017"


def test_htmx_history_restore_gets_the_full_page(corpus, client):
    response = client.get("/?q=iot", headers={**HX, "HX-History-Restore-Request": "true"})
    assert b"<html" in response.content
    assert "HX-Push-Url" not in response


def test_htmx_bad_parameters_still_render(corpus, client):
    part = client.get("/?q=iot&year=abc&page=-3", headers=HX)
    doc = soup(part)
    assert doc.select_one("[role=alert]")
    assert part["HX-Push-Url"] == "/?q=iot"


# -- works without JavaScript -----------------------------------------------------------


def test_page_without_javascript_is_a_plain_get_form(corpus, client):
    doc = soup(client.get("/?q=iot"))
    form = doc.select_one("form#search-form")
    assert form["method"] == "get" and form["action"] == "/"
    # Every control the htmx version uses is a named field of the same form.
    names = {el.get("name") for el in form.select("input, select") if el.get("name")}
    # (No "lang": this corpus has no languages, so that facet has no values to tick.)
    assert names == {
        "q",
        "city",
        "org",
        "source",
        "lang",
        "year",
        "year_from",
        "year_to",
        "sort",
        "copies",
    }
    assert form.select_one("button.nojs-only[type=submit]").get_text() == "Apply filters"
    # Every link works as a plain link: hx-get always has the same href beside it.
    for a in doc.select("a[hx-get]"):
        assert a["href"] == a["hx-get"]
    for label in doc.select("label"):
        assert doc.select_one(f"#{label['for']}") is not None


def test_every_control_has_a_label(corpus, client):
    doc = soup(client.get("/"))
    for el in doc.select("input:not([type=hidden]), select"):
        labelled = el.get("aria-label") or doc.select_one(f"label[for='{el['id']}']")
        assert labelled, el


def test_landmarks_and_headings(corpus, client):
    doc = soup(client.get("/?q=iot"))
    assert doc.select_one("header") and doc.select_one("main#main") and doc.select_one("footer")
    assert doc.select_one("[role=search]") and doc.select_one("aside[aria-labelledby]")
    assert [h.get_text(strip=True) for h in doc.select("h1")] == ["Search the archive"]
    # The search page skips straight to the results (issue #20: 16 Tabs to the first one).
    assert doc.select_one("a.skip-link")["href"] == "#results"
    assert doc.select_one("#results[tabindex='-1'] .hit-title a")
    assert doc.html["lang"] == "en"


# -- crawlers --------------------------------------------------------------------------


def test_search_links_are_nofollow(corpus, client):
    doc = soup(client.get("/?q=smart&city=Wuxi&sort=newest&per_page=1"))
    links = doc.select(".chip, .clear-all, .tags a, .pager a, .export a")
    assert links
    for a in links:
        assert "nofollow" in a["rel"], a
    assert doc.select_one("meta[name=robots]")["content"] == "noindex, follow"
    assert soup(client.get("/")).select_one("meta[name=robots]") is None


def test_robots_txt_disallows_parameterised_search_urls(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Disallow: /?" in lines and "Disallow: /*?" in lines
    assert "Allow: /articles/" in lines


def test_static_files_are_served_by_the_app(client):
    from django.contrib.staticfiles import finders

    for path in ("css/site.css", "js/search.js", "django_htmx/htmx-2.min.js"):
        assert finders.find(path), path


def test_hit_tags_narrow_the_current_search(corpus, client):
    doc = soup(client.get("/?q=iot"))
    tag = next(a for a in doc.select(".tag-city") if a.get_text(strip=True).endswith("Nanjing"))
    assert dict(parse_qsl(urlsplit(tag["href"]).query)) == {"q": "iot", "city": "Nanjing"}


def test_long_facet_lists_carry_the_top_values_and_link_to_the_rest(corpus, client):
    doc = soup(client.get("/"))
    more = doc.select_one("#facet-city .facet-more-link")
    assert more.get_text(" ", strip=True) == "Show 3 more cities"
    assert more["href"] == more["hx-get"] == "/facets/city/"
    assert len(doc.select("#facet-city li")) == 8  # the rest is not in the page
    assert doc.select_one("#facet-organisation .facet-filter")["aria-label"] == (
        "Find an organisation"
    )
    assert not doc.select_one("#facet-city .facet-filter").get("name")  # not a search field
    # A ticked value stays in view even when its count would put it under "show more".
    doc = soup(client.get("/?q=smart&city=Yinchuan"))
    shown = [i["value"] for i in doc.select("#facet-city .facet-top input")]
    assert "Yinchuan" in shown
    assert doc.select_one("#facet-city .facet-more-link")["href"] == (
        "/facets/city/?q=smart&city=Yinchuan"
    )


def test_show_more_fragment_has_the_rest_as_checkboxes_of_the_search(corpus, client):
    top = [i["value"] for i in soup(client.get("/")).select("#facet-city input[name=city]")]
    response = client.get("/facets/city/", headers=HX)
    assert "HX-Request" in response["Vary"]
    doc = soup(response)
    rest = [i["value"] for i in doc.select("input[name=city]")]
    assert len(rest) == 3 and not set(rest) & set(top)
    assert len(top) + len(rest) == 11


def test_find_asks_among_every_value_below_the_top(corpus, client):
    doc = soup(client.get("/facets/city/", {"find": "XIA"}, headers=HX))
    assert [i["value"] for i in doc.select("input")] == ["Xiamen"]
    doc = soup(client.get("/facets/org/", {"find": "zzz"}, headers=HX))
    assert not doc.select("input")


def test_facet_values_keep_the_current_filters(corpus, client):
    doc = soup(client.get("/facets/city/", {"org": "China Mobile"}))
    values = {a.get_text(strip=True): a["href"] for a in doc.select(".facet-page-values a")}
    # China Mobile tags Wuxi, Beijing, Xiamen; the counts are those of the filtered search.
    # Facet lists show the Chinese name beside the English one (the gazetteer's).
    assert set(values) == {"Wuxi 无锡", "Beijing 北京", "Xiamen 厦门"}
    assert values["Xiamen 厦门"] == "/?city=Xiamen&org=China+Mobile"


def test_without_javascript_show_more_is_a_page_of_every_value(corpus, client):
    doc = soup(client.get("/facets/city/?q=smart"))
    assert doc.h1.get_text() == "Every city in this search"
    links = doc.select(".facet-page-values a")
    assert len(links) == len(client.get("/api/search?q=smart").json()["facets"]["city"]) > 8
    assert all(a["href"].startswith("/?q=smart&city=") for a in links)
    assert doc.select_one("a.back")["href"] == "/?q=smart"
    # Its own find box works without script, keeping the search in hidden fields.
    form = doc.select_one("form.facet-page-find")
    assert {(i["name"], i["value"]) for i in form.select("input[type=hidden]")} == {("q", "smart")}
    found = soup(client.get("/facets/city/?q=smart&find=hangz"))
    assert [a.get_text(strip=True) for a in found.select(".facet-page-values a")] == [
        "Hangzhou 杭州"
    ]
    selected = soup(client.get("/facets/city/?city=Wuxi"))
    wuxi = next(a for a in selected.select(".facet-page-values a") if "Wuxi" in a.get_text())
    assert "Remove" in wuxi.get_text() and wuxi["href"] == "/"


@pytest.mark.parametrize("path", ["/facets/year/", "/facets/nope/", "/facets/organisation/"])
def test_unknown_facets_are_404(corpus, client, path):
    assert client.get(path).status_code == 404


def test_head_requests_are_answered(corpus, client):
    assert client.head("/?q=iot").status_code == 200
    assert client.head("/robots.txt").status_code == 200
    assert client.post("/?q=iot").status_code == 405
