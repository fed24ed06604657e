"""Syndicated copies in a real browser: one result per story with its copies listed, and
the switch that shows every copy; the counts follow."""

import re

import pytest
from playwright.sync_api import expect

from tests.copies.test_groups import STORY, SUMMARY, TWIN, _ingest_stories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def copies_site(live_server, transactional_db):
    made = _ingest_stories(STORY, TWIN, SUMMARY)
    return live_server.url, made


def _count(page) -> int:
    text = page.locator("#result-count").inner_text()
    return int(re.search(r"(\d+) article", text).group(1))


def test_one_result_per_story_then_every_copy(copies_site, page, phone, shot):
    url, made = copies_site
    copies = made[STORY]
    page.goto(url + "/?q=Barcelona")
    expect(page.locator("#counting")).to_contain_text("Counting stories")
    stories = _count(page)
    story_hits = page.locator(".hit", has=page.locator(".copies"))
    listed = page.locator(".hit .copies").filter(
        has_text=f"Also published by {len(copies) - 1} sources"
    )
    expect(listed).to_have_count(1)
    # Each copy is a link to its article.
    links = listed.locator("a")
    expect(links).to_have_count(len(copies) - 1)
    hrefs = {links.nth(i).get_attribute("href").split("?")[0] for i in range(links.count())}
    assert hrefs <= {a.get_absolute_url() for a in copies}
    assert story_hits.count() >= 1
    shot(page, "copies-01-one-per-story")

    page.get_by_label("Show every copy").check()
    page.wait_for_url(re.compile(r"copies=all"))
    expect(page.locator("#counting")).to_contain_text("Counting every copy")
    every = _count(page)
    assert stories == 3  # the release, the other report (with its own copies), the summary
    assert every == sum(len(articles) for articles in made.values())
    shot(page, "copies-02-every-copy")

    page.go_back()
    expect(page.locator("#counting")).to_contain_text("Counting stories")
    assert _count(page) == stories

    phone.goto(url + "/?q=Barcelona")
    expect(phone.locator(".copies").first).to_be_visible()
    shot(phone, "copies-03-phone")
