"""The researcher's day in a real browser: Debian's Chromium driven by Playwright."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def titles(page) -> list[str]:
    return page.locator(".hit-title").all_inner_texts()


def count_text(page) -> str:
    return page.locator("#result-count").inner_text()


def wait_url(page, pattern: str) -> None:
    page.wait_for_url(re.compile(pattern))
    page.wait_for_load_state("networkidle")


def test_type_tick_back_reload(site, page, shot):
    page.goto(site + "/")
    expect(page.locator("#result-count")).to_contain_text("12 articles")
    shot(page, "01-landing")

    # Typing searches after a pause (debounced) and pushes the URL; no submit needed.
    page.locator("#q").press_sequentially("iot", delay=40)
    wait_url(page, r"/\?q=iot$")
    expect(page.locator("#result-count")).to_contain_text("3 articles for “iot”")
    assert page.locator("#q").evaluate("el => el === document.activeElement")
    shot(page, "02-typed-query")
    wuxi_count = page.locator("label[for^=f-city-wuxi] .n").inner_text()
    assert wuxi_count.startswith("2")

    # Tick two cities and a year: each tick swaps results and facets and pushes the URL.
    page.get_by_role("checkbox", name=re.compile(r"^Wuxi")).check()
    wait_url(page, r"city=Wuxi")
    expect(page.locator("#result-count")).to_contain_text("2 articles")
    page.get_by_role("checkbox", name=re.compile(r"^Chengdu")).check()
    wait_url(page, r"city=Chengdu")
    expect(page.locator("#result-count")).to_contain_text("3 articles")
    page.locator("label[for=f-year-2017]").click()
    wait_url(page, r"year=2017")
    expect(page.locator("#result-count")).to_contain_text("2 articles")
    assert params(page.url) == [
        ("q", "iot"),
        ("city", "Chengdu"),
        ("city", "Wuxi"),
        ("year", "2017"),
    ]
    # Disjunctive counts: the other cities still show what they would add.
    expect(page.locator("label[for^=f-city-nanjing] .n")).to_contain_text("1")
    expect(page.locator(".chip")).to_have_count(3)
    filtered_titles = titles(page)
    assert sorted(filtered_titles) == [
        "Nanjing and Wuxi share IoT traffic data",
        "Wuxi builds an IoT park for sensor makers",
    ]
    shot(page, "03-two-cities-and-a-year")

    # Back: the state before the year was ticked, exactly.
    page.go_back()
    wait_url(page, r"city=Chengdu&city=Wuxi$")
    expect(page.locator("#result-count")).to_contain_text("3 articles")
    expect(page.locator("#f-year-2017")).not_to_be_checked()
    expect(page.locator("#q")).to_have_value("iot")
    page.go_forward()
    wait_url(page, r"year=2017$")
    expect(page.locator("#result-count")).to_contain_text("2 articles")
    expect(page.locator("#f-year-2017")).to_be_checked()

    # Reloading (or opening a bookmark) reproduces the same page.
    bookmarked = page.url
    page.reload()
    assert page.url == bookmarked
    assert titles(page) == filtered_titles
    fresh = page.context.new_page()
    fresh.goto(bookmarked)
    assert titles(fresh) == filtered_titles
    expect(fresh.locator("#q")).to_have_value("iot")
    fresh.close()

    # A chip removes its filter; "Clear all" keeps the query.
    page.get_by_role("link", name="Remove filter Year: 2017").click()
    wait_url(page, r"city=Wuxi$")
    page.get_by_role("link", name="Clear all").click()
    wait_url(page, r"/\?q=iot$")
    expect(page.locator("#result-count")).to_contain_text("3 articles")


def test_sort_and_page_push_urls(site, page):
    page.goto(site + "/?per_page=5")
    page.select_option("#sort", "oldest")
    wait_url(page, r"sort=oldest")
    assert params(page.url) == [("sort", "oldest"), ("per_page", "5")]
    assert titles(page)[0] == "Nanjing smart grid trial ends"
    page.get_by_role("link", name="Next →").focus()
    page.keyboard.press("Enter")
    wait_url(page, r"page=2$")
    expect(page.locator("#result-count")).to_be_focused()  # not lost with the swapped link
    expect(page.locator(".pager .current")).to_have_text("Page 2")
    expect(page.locator("#result-count")).to_contain_text("6–10 of 12")
    page.go_back()
    wait_url(page, r"per_page=5$")
    expect(page.locator("#result-count")).to_contain_text("1–5 of 12")


def test_a_hit_tag_narrows_the_search_in_place(site, page):
    page.goto(site + "/?q=iot")
    page.evaluate("window.__samePage = true")
    page.locator(".hit .tag-city", has_text="Nanjing").first.click()
    wait_url(page, r"/\?q=iot&city=Nanjing$")
    expect(page.locator("#result-count")).to_contain_text("1 article")
    assert page.evaluate("window.__samePage === true")  # swapped by htmx, not reloaded
    expect(page.locator("#q")).to_have_value("iot")
    expect(page.locator("#result-count")).to_be_focused()


def test_open_article_and_come_back(site, page, shot):
    page.goto(site + "/?q=sensor&city=Wuxi")
    listed = titles(page)
    page.get_by_role("link", name="Wuxi builds an IoT park for sensor makers").click()
    page.wait_for_url(re.compile(r"/articles/\d+/"))
    expect(page.locator("h1")).to_have_text("Wuxi builds an IoT park for sensor makers")
    assert page.locator(".body mark").count() >= 1
    expect(page.locator(".body mark").first).to_have_text(re.compile("sensor", re.I))
    expect(page.get_by_role("heading", name="More like this")).to_be_visible()
    expect(page.locator(".tags .tag-city")).to_have_text(["City: Wuxi"])
    shot(page, "04-article")
    page.get_by_role("link", name=re.compile("Back to results")).click()
    page.wait_for_url(re.compile(r"/\?q=sensor&city=Wuxi$"))
    assert titles(page) == listed
    # The browser's Back works too.
    page.click(".hit-title a")
    page.wait_for_url(re.compile(r"/articles/"))
    page.go_back()
    page.wait_for_url(re.compile(r"/\?q=sensor&city=Wuxi$"))
    assert titles(page) == listed
    # A facet tag on the article starts a search for it.
    page.click(".hit-title a")
    page.locator(".article .tag-city", has_text="Wuxi").click()
    page.wait_for_url(re.compile(r"/\?city=Wuxi$"))
    expect(page.locator("#result-count")).to_contain_text("2 articles")


def test_histogram_year_and_range(site, page, shot):
    page.goto(site + "/")
    page.locator("label[for=f-year-2019]").click()
    wait_url(page, r"/\?year=2019$")
    expect(page.locator("#result-count")).to_contain_text("2 articles")
    page.locator("label[for=f-year-2019]").click()  # untick
    wait_url(page, r"/$")
    # Click one year, shift-click another: the years between become a range.
    page.locator("label[for=f-year-2017]").click()
    wait_url(page, r"year=2017$")
    page.locator("label[for=f-year-2020]").click(modifiers=["Shift"])
    wait_url(page, r"year_from=2017&year_to=2020$")
    expect(page.locator("#result-count")).to_contain_text("7 articles")
    expect(page.locator(".bars li.in-range")).to_have_count(4)
    expect(page.locator("#year_from")).to_have_value("2017")
    shot(page, "05-year-range")
    # The range can be set with the selects as well.
    page.select_option("#year_to", "2018")
    wait_url(page, r"year_from=2017&year_to=2018$")
    expect(page.locator("#result-count")).to_contain_text("3 articles")


def test_long_facet_list_show_more_and_find(site, page, shot):
    page.goto(site + "/")
    city = page.locator("#facet-city")
    more = city.get_by_role("link", name="Show 3 more cities")
    expect(more).to_be_visible()
    expect(city.locator("label", has_text="Xiamen")).to_have_count(0)  # not in the page
    more.click()  # loads the rest in place (htmx), the URL stays
    expect(city.locator("label", has_text="Xiamen")).to_be_visible()
    expect(city.locator(".facet-rest input").first).to_be_focused()
    assert page.url.rstrip("/") == site
    finder = city.get_by_role("searchbox", name="Find a city")
    finder.fill("xia")
    expect(city.locator("label", has_text="Xiamen")).to_be_visible()
    expect(city.locator("label", has_text="Wuxi")).to_be_hidden()
    shot(page, "11-facet-find")
    assert page.url.rstrip("/") == site  # finding a value is not a search
    finder.fill("")
    expect(city.get_by_role("link", name="Show 3 more cities")).to_be_visible()
    expect(city.locator("label", has_text="Wuxi")).to_be_visible()
    finder.fill("xia")
    city.get_by_role("checkbox", name=re.compile("^Xiamen")).check()
    wait_url(page, r"city=Xiamen$")


def test_show_more_pages_and_a_tick_keeps_the_group_as_it_is(site, page, monkeypatch):
    from search import presenters

    monkeypatch.setattr(presenters, "MORE_PAGE", 2)  # 3 cities below the top 8: two pages
    page.goto(site + "/")
    city = page.locator("#facet-city")
    city.get_by_role("link", name="Show 3 more cities").click()
    loaded = city.locator(".facet-rest input")
    expect(loaded).to_have_count(2)
    expect(loaded.first).to_be_focused()
    city.get_by_role("link", name="Show 1 more cities").click()
    expect(loaded).to_have_count(3)
    expect(loaded.nth(2)).to_be_focused()  # the keyboard goes on from the page it brought
    # Ticking a loaded value: the results and the other groups are redrawn; the city group
    # is the same element, its loaded list still open (the answer left it out).
    page.evaluate("for (const f of document.querySelectorAll('.facet')) f.dataset.mark = 1")
    value = loaded.nth(1).get_attribute("value")  # not the one the last page focused
    loaded.nth(1).check()
    wait_url(page, rf"/\?city={value}$")
    expect(page.locator("#result-count")).to_contain_text("1 article")
    assert page.evaluate("document.getElementById('facet-city').dataset.mark") == "1"
    assert page.evaluate("document.getElementById('facet-organisation').dataset.mark") is None
    expect(loaded).to_have_count(3)
    expect(loaded.nth(1)).to_be_checked()
    expect(loaded.nth(1)).to_be_focused()
    # The find box asks with the search the form holds now: the ticked value comes ticked.
    page.evaluate("document.querySelector('#facet-city .facet-rest ul').dataset.mark = 1")
    city.get_by_role("searchbox", name="Find a city").fill(value[:4])
    expect(city.locator(".facet-rest ul[data-mark]")).to_have_count(0)  # the answer is in
    expect(city.get_by_role("checkbox", name=re.compile(f"^{value}"))).to_be_checked()


def test_facet_finder_keyboard_path(site, page):
    page.goto(site + "/")
    finder = page.get_by_role("searchbox", name="Find a city")
    finder.focus()
    page.keyboard.type("xia")  # only among the values the page does not carry
    xiamen = page.get_by_role("checkbox", name=re.compile("^Xiamen"))
    expect(xiamen).to_be_visible()
    expect(page.locator("#facet-city .facet-nomatch")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(xiamen).to_be_focused()  # the first match, nothing in between
    page.keyboard.press("Space")  # ticks it: there is no list to collapse
    wait_url(page, r"city=Xiamen$")
    expect(page.locator("#result-count")).to_contain_text("1 article")
    # A match among the top values comes first as well.
    page.goto(site + "/")
    page.get_by_role("searchbox", name="Find a city").focus()
    page.keyboard.type("wu")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name=re.compile("^Wu(xi|han)"))).to_have_count(2)
    focused = page.evaluate("document.activeElement.value")
    assert focused in ("Wuxi", "Wuhan")
    # No match anywhere: said so, and Escape brings the list back.
    page.get_by_role("searchbox", name="Find a city").fill("zzz")
    expect(page.locator("#facet-city .facet-nomatch")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#facet-city .facet-nomatch")).to_be_hidden()
    expect(page.get_by_role("link", name="Show 3 more cities")).to_be_visible()


def test_keyboard_only(site, page):
    page.goto(site + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#q").focus()
    page.keyboard.type("traffic")
    page.keyboard.press("Enter")
    wait_url(page, r"q=traffic$")
    page.locator("#f-year-2019").focus()
    outline = page.locator("label[for=f-year-2019]").evaluate(
        "el => getComputedStyle(el).outlineStyle"
    )
    assert outline == "solid"  # the hidden checkbox shows its focus on its bar
    page.keyboard.press("Space")
    wait_url(page, r"year=2019$")
    expect(page.locator("#f-year-2019")).to_be_focused()  # focus survives the swap


def test_no_results_and_malformed_states(site, page, shot):
    page.goto(site + "/?q=iot&city=Beijing")
    expect(page.locator(".empty")).to_contain_text("No articles match “iot” with these filters")
    shot(page, "06-no-results")
    page.get_by_role("link", name="Search “iot” without filters").click()
    wait_url(page, r"/\?q=iot$")
    expect(page.locator("#result-count")).to_contain_text("3 articles")

    page.goto(site + "/?q=iot&year=20x7&page=0")
    expect(page.get_by_role("alert")).to_contain_text("year")
    expect(page.locator("#result-count")).to_contain_text("3 articles")
    page.goto(site + "/?q=iot&page=40")
    expect(page.locator(".empty")).to_contain_text("past the end")
    page.get_by_role("link", name="Go to the last page").click()
    wait_url(page, r"/\?q=iot$")
    page.goto(site + '/?q="unbalanced AND (')
    assert page.locator("main").is_visible()


def test_works_with_javascript_off(site, page_nojs, shot):
    page = page_nojs
    page.goto(site + "/")
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    page.fill("#q", "iot")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/\?q=iot$"))  # empty fields dropped: a clean URL
    expect(page.locator("#result-count")).to_contain_text("3 articles")
    page.check("#" + page.locator("input[name=city][value=Wuxi]").get_attribute("id"))
    page.check("#" + page.locator("input[name=city][value=Chengdu]").get_attribute("id"))
    page.locator("label[for=f-year-2017]").click()
    page.select_option("#sort", "newest")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"year=2017"))
    assert params(page.url) == [
        ("q", "iot"),
        ("city", "Chengdu"),
        ("city", "Wuxi"),
        ("year", "2017"),
        ("sort", "newest"),
    ]
    expect(page.locator("#result-count")).to_contain_text("2 articles")
    shot(page, "07-no-js-filtered")
    page.get_by_role("link", name="Remove filter City: Chengdu").click()
    page.wait_for_url(re.compile(r"city=Wuxi&year=2017&sort=newest$"))
    page.get_by_role("link", name="Wuxi builds an IoT park for sensor makers").click()
    expect(page.locator(".body mark").first).to_have_text("IoT")
    page.get_by_role("link", name=re.compile("Back to results")).click()
    page.wait_for_url(re.compile(r"city=Wuxi&year=2017&sort=newest$"))
    # "Show more" is a page of every value, no script needed.
    page.goto(site + "/")
    page.get_by_role("link", name="Show 3 more cities").click()
    page.wait_for_url(re.compile(r"/facets/city/$"))
    page.get_by_role("link", name=re.compile("^Xiamen")).click()
    page.wait_for_url(re.compile(r"/\?city=Xiamen$"))
    expect(page.locator("#result-count")).to_contain_text("1 article")


def test_phone_width(site, phone, shot):
    phone.goto(site + "/?q=smart")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing sideways
    expect(phone.locator(".hit").first).to_be_visible()
    filters = phone.locator(".filters > summary")
    expect(filters).to_be_visible()
    shot(phone, "08-phone")
    filters.click()
    phone.get_by_role("checkbox", name=re.compile("^Hangzhou")).check()
    phone.wait_for_url(re.compile(r"city=Hangzhou"))
    expect(phone.locator("#result-count")).to_contain_text("1 article")
    shot(phone, "09-phone-filtered")
    phone.click(".hit-title a")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "10-phone-article")
