"""Chinese articles in a real browser: a Chinese query, its highlights on the results and on
the article page, and a Chinese city name selecting the English facet value."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction
from playwright.sync_api import expect

from bench import relevance_zh
from search.models import City

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)])
def zh_site(request, live_server, transactional_db, settings):
    """The Chinese articles of the judged set and the English seeds, indexed by each engine
    (PostgreSQL in the suite's PostgreSQL half); Shenzhen known by its Chinese name (an
    admin's alias: the gazetteer's Chinese names do the same)."""
    settings.SEARCH_BACKEND = request.param
    with transaction.atomic():
        relevance_zh.load(pages=False)
    shenzhen = City.objects.get(name="Shenzhen")
    shenzhen.aliases = "深圳\n"
    shenzhen.save()
    return live_server.url


def test_chinese_query_and_article_highlights(zh_site, page, phone, shot):
    page.goto(zh_site + "/")
    page.locator("#q").fill("深圳 华为")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"q=%E6%B7%B1%E5%9C%B3"))
    page.wait_for_load_state("networkidle")
    first = page.locator(".hit-title").first
    expect(first).to_contain_text("深圳")
    # Whole words are marked in titles and snippets, never their characters one by one.
    marks = page.locator(".hit-title mark, .snippet mark").all_inner_texts()
    assert {"深圳", "华为"} <= set(marks)
    assert all(len(m) > 1 for m in marks)
    shot(page, "zh-01-results")
    phone.goto(page.url)
    shot(phone, "zh-01-results-phone")

    # The article page marks the query's words in its body (a Traditional article is
    # marked for a Simplified query: 臺北 for 台北).
    page.goto(zh_site + "/?q=" + "台北 路灯")
    page.locator(".hit-title a").first.click()
    page.wait_for_load_state("networkidle")
    body_marks = page.locator("main mark").all_inner_texts()
    assert "臺北" in body_marks and "路燈" in body_marks
    shot(page, "zh-02-article")
    phone.goto(page.url)
    expect(phone.locator("main mark").first).to_be_visible()
    shot(phone, "zh-02-article-phone")


def test_chinese_city_name_selects_the_facet(zh_site, page, shot):
    page.goto(zh_site + "/?city=深圳")
    page.wait_for_load_state("networkidle")
    # The canonical URL names the facet value as stored; the value is ticked.
    assert ("city", "Shenzhen") in parse_qsl(urlsplit(page.url).query)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Shenzhen"))).to_be_checked()
    # The facet list shows both names of the place.
    expect(page.locator("#facet-city")).to_contain_text("Shenzhen 深圳")
    assert page.locator(".hit-title").count() >= 1
    shot(page, "zh-03-city-facet")
