"""axe-core (shipped inside the axe-playwright-python wheel, nothing from a CDN) in Chromium."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2.1 A and AA rules plus axe's best practices (landmarks, headings, regions).
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
}


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=iot&city=Chengdu&city=Wuxi&year=2017",
        "/?q=smart&year_from=2017&year_to=2019&sort=newest&per_page=5&page=2",
        "/?q=iot&city=Beijing",  # no results
        "/?q=iot&year=20x7",  # malformed
    ],
)
def test_search_states_have_no_serious_violations(site, page, path):
    page.goto(site + path)
    assert serious(page) == []


def test_after_htmx_swap_and_filter_finder(site, page):
    page.goto(site + "/")
    page.locator("#q").fill("smart")
    page.wait_for_url(re.compile(r"q=smart"))
    page.wait_for_load_state("networkidle")
    page.locator("#facet-city .facet-filter").fill("wu")
    assert serious(page) == []


def test_article_page(site, page):
    page.goto(site + "/?q=sensor")
    page.click(".hit-title a")
    page.wait_for_url(re.compile(r"/articles/"))
    assert serious(page) == []


def test_phone(site, phone):
    phone.goto(site + "/?q=smart")
    assert serious(phone) == []
    phone.click(".filters > summary")
    assert serious(phone) == []


def test_without_javascript(site, page_nojs, browser):
    page_nojs.goto(site + "/?q=iot")
    # axe needs script to run; read the no-JS page's HTML into a scripted page to check it.
    html = page_nojs.content()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    scripted = context.new_page()
    scripted.route("**/*.js", lambda route: route.abort())
    scripted.goto(site + "/robots.txt")
    scripted.set_content(html.replace("/static/", site + "/static/"))
    scripted.evaluate("document.documentElement.classList.remove('js')")
    try:
        assert serious(scripted) == []
    finally:
        context.close()


def test_the_check_catches_a_real_violation(page):
    # Guards against a check that passes because it never ran.
    page.set_content(
        '<html lang="en"><body><main><input type="text">'
        '<p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    found = serious(page)
    assert any(v.startswith("label ") for v in found)
    assert any(v.startswith("color-contrast ") for v in found)
