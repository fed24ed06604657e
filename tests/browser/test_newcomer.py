"""What a newcomer tripped over (issue #20), in Debian's Chromium: the search box, history,
the skip link, phone layout and long tag lists."""

import re

import pytest
from playwright.sync_api import expect

from search.models import Article, City, Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page, pattern: str) -> None:
    page.wait_for_url(re.compile(pattern))
    page.wait_for_load_state("networkidle")


def history_length(page) -> int:
    return page.evaluate("history.length")


def test_box_shows_the_query_of_the_results_after_did_you_mean_and_browse_all(site, page):
    page.goto(site + "/?q=sensr")
    suggestion = page.locator(".suggestion a")
    expect(suggestion).to_be_visible()
    suggested = suggestion.inner_text()
    suggestion.click()
    settle(page, r"q=" + suggested + "$")
    expect(page.locator("#q")).to_have_value(suggested)
    # The next tick searches what is shown, not the stale text.
    page.locator("#facet-city input[type=checkbox]").first.check()
    settle(page, r"city=")
    assert f"q={suggested}" in page.url
    expect(page.locator(".hit")).not_to_have_count(0)

    page.goto(site + "/?q=zzzqqq")
    page.get_by_role("link", name="Browse all articles").click()
    settle(page, r"/$")
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#result-count")).to_contain_text("12 articles")
    page.get_by_role("checkbox", name=re.compile(r"^Wuxi")).check()
    settle(page, r"/\?city=Wuxi$")
    expect(page.locator("#result-count")).to_contain_text("2 articles")

    # Back and Forward: the box follows the state shown.
    page.go_back()
    settle(page, r"/$")
    expect(page.locator("#q")).to_have_value("")
    page.go_forward()
    settle(page, r"/\?city=Wuxi$")
    # Back twice in quick succession: the last state wins, whichever load answers first.
    page.evaluate("history.back(); setTimeout(() => history.back(), 30)")
    settle(page, r"q=zzzqqq$")
    page.wait_for_timeout(500)
    expect(page.locator("#q")).to_have_value("zzzqqq")
    expect(page.locator(".empty h3")).to_contain_text("zzzqqq")


def test_history_has_an_entry_per_settled_search_only(site, page):
    page.goto(site + "/")
    start = history_length(page)
    # Pauses longer than the debounce: each one searches, none adds an entry of its own.
    page.locator("#q").press_sequentially("iot", delay=700)
    settle(page, r"/\?q=iot$")
    expect(page.locator("#result-count")).to_contain_text("3 articles for “iot”")
    assert history_length(page) == start + 1
    page.keyboard.press("Enter")  # the same search again: no duplicate
    page.wait_for_load_state("networkidle")
    assert history_length(page) == start + 1
    page.get_by_role("checkbox", name=re.compile(r"^Wuxi")).check()
    settle(page, r"city=Wuxi$")
    assert history_length(page) == start + 2
    # Typing after a tick is a new search: one more entry, whatever the pauses.
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("sensor", delay=600)
    settle(page, r"q=sensor&city=Wuxi$")
    assert history_length(page) == start + 3

    page.go_back()
    settle(page, r"/\?q=iot&city=Wuxi$")
    expect(page.locator("#q")).to_have_value("iot")
    page.go_back()
    settle(page, r"/\?q=iot$")
    expect(page.locator("#result-count")).to_contain_text("3 articles for “iot”")
    page.go_back()  # the first real state, not a half-typed word
    settle(page, r"/$")
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#result-count")).to_contain_text("12 articles")


def test_skip_link_reaches_the_first_result_in_three_keys(site, page):
    page.goto(site + "/?q=iot")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.locator(".hit-title a").first
    expect(first).to_be_focused()
    assert page.url.endswith("/?q=iot")  # no "#results" entry in the address or history
    # Without the skip link, count the Tab presses a keyboard user would need.
    page.goto(site + "/?q=iot")
    presses = 0
    while presses < 200 and not first.evaluate("el => el === document.activeElement"):
        page.keyboard.press("Tab")
        presses += 1
    print(f"Tab presses from the top to the first result without the skip link: {presses}")
    assert presses > 3


def test_phone_tick_brings_the_new_count_into_view(site, phone, shot):
    phone.goto(site + "/")
    phone.locator(".filters > summary").click()
    box = phone.get_by_role("checkbox", name=re.compile(r"^Wuxi"))
    box.scroll_into_view_if_needed()
    box.check()
    settle(phone, r"city=Wuxi$")
    count = phone.locator("#result-count")
    expect(count).to_contain_text("2 articles")
    expect(count).to_be_in_viewport()
    shot(phone, "phone-after-tick")


@pytest.fixture
def tagged_article(site):
    article = Article.objects.order_by("pk").first()
    cities = [City.objects.get_or_create(name=f"Testcity {n:02d}")[0] for n in range(23)]
    orgs = [Organisation.objects.get_or_create(name=f"Test Organisation {n:02d}")[0] for n in range(11)]  # fmt: skip
    article.cities.add(*cities)
    article.organisations.add(*orgs)
    return article


def test_long_tag_lists_do_not_fill_the_first_screen(site, tagged_article, phone, shot):
    phone.goto(site + tagged_article.get_absolute_url())
    # The article's text starts on the first screen.
    top = phone.locator(".article .body").evaluate("el => el.getBoundingClientRect().top")
    assert top < phone.viewport_size["height"] * 0.75, top
    tags = phone.locator(".article .tags .tag")
    visible = [t for t in tags.all() if t.is_visible()]
    assert len(visible) < 15
    shot(phone, "phone-article-many-tags")
    phone.get_by_text(re.compile(r"Show \d+ more tags")).click()
    expect(phone.locator(".article .tag", has_text="Testcity 22")).to_be_visible()
    expect(phone.locator(".article .tag", has_text="Test Organisation 10")).to_be_visible()
