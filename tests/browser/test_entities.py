"""Entity page, a comparison of three searches and the pair view in real Chromium, at
desktop (1280) and phone (390) widths: screenshots, the chart's names and table, every
numbered link against its search's total, no CSP refusals, no serious axe findings."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.test_accessibility import serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "entity-city": "/cities/wuxi/",
    "entity-organisation-share-month": "/organisations/china-mobile/?by=month&scale=share",
    "compare-three": "/compare/?"
    + urlencode([("s", "q=iot"), ("s", "city=Shenzhen"), ("s", "org=China Mobile")]),
    "pairs": "/pairs/",
}
WIDTHS = {"desktop": 1280, "phone": 390}


def watched(browser, width: int):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        device_scale_factor=1 if width > 600 else 2,
        is_mobile=width <= 600,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, page, refused


def check_links(page, site: str) -> int:
    links = page.eval_on_selector_all(
        "a[data-total]", "els => els.map(a => [a.getAttribute('href'), a.dataset.total])"
    )
    for href, shown in links:
        assert href == "/" or href.startswith("/?"), href
        total = page.request.get(site + "/api/search" + href[1:]).json()["total"]
        assert total == int(shown.replace(",", "")), (href, shown, total)
    return len(links)


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("size", list(WIDTHS))
def test_page_at_size(site, browser, shot, name, size):
    context, page, refused = watched(browser, WIDTHS[size])
    try:
        response = page.goto(site + PAGES[name])
        assert response.status == 200
        if name != "pairs":
            # One drawing shows: the wide one on a desktop, the narrow one on a phone.
            svg = page.locator("svg.chart:visible")
            assert svg.count() == 1
            narrow = svg.get_attribute("id").endswith("-narrow")
            assert narrow == (size == "phone")
            assert svg.get_attribute("role") == "img"
            assert svg.locator("> title").text_content().strip()
            assert svg.locator("> desc").text_content().strip()
            assert page.locator(".coverage table.data tbody tr").count() >= 2
            # The chart fits the width (no sideways scrolling of the page).
            box = svg.bounding_box()
            assert box["width"] <= WIDTHS[size] and box["height"] > 100
        else:
            assert page.locator("table.matrix").count() == 2
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page scrolls sideways by {overflow}px"
        assert check_links(page, site) >= 3
        assert refused == []
        assert serious(page) == []
        shot(page, f"entities-{name}-{size}")
    finally:
        context.close()


def test_facet_link_leads_to_the_entity_page(site, page):
    page.goto(site + "/?q=iot")
    page.locator('#facet-city a.entity-link[href="/cities/?name=Wuxi"]').click()
    page.wait_for_url("**/cities/wuxi/")
    assert page.locator("h1").text_content() == "Wuxi 无锡"  # both names, as in the facet list


def test_compare_form_without_javascript(site, page_nojs):
    page_nojs.goto(site + "/compare/")
    page_nojs.fill("#s1", "q=iot")
    page_nojs.fill("#s2", site + "/?city=Nanjing")
    page_nojs.check("input[name=scale][value=share]")
    page_nojs.click("button[type=submit]")
    page_nojs.wait_for_url("**/compare/?s=q%3Diot&s=city%3DNanjing&scale=share")
    assert page_nojs.locator("svg.chart:visible").count() == 1
    assert page_nojs.locator(".legend li").count() == 2
