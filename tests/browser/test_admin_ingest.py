"""An admin pastes an article, previews it, saves it, and a researcher finds it at once.

Drives Debian's Chromium (never a downloaded browser) against pytest-django's live server.
"""

from __future__ import annotations

import os
import re

import pytest

# The live server binds where this says (pytest-django reads it when the server starts).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
# Playwright's sync API keeps an event loop running in this thread; the ORM calls of the test
# itself (creating the admin user) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from search.models import City, Organisation  # noqa: E402
from tests.admin.conftest import article_text  # noqa: E402
from tests.browser.conftest import SCREENSHOTS  # noqa: E402


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(15_000)
    yield page
    page.close()


@pytest.mark.browser
def test_admin_pastes_previews_saves_and_the_article_is_found(
    live_server, transactional_db, django_user_model, browser_page
):
    django_user_model.objects.create_superuser("editor", "editor@example.org", "s3cret-pass-word")
    City.objects.create(name="Wuxi")
    Organisation.objects.create(name="Huawei")
    Organisation.objects.create(name="Huawei Technologies")
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/admin/login/?next=/admin/search/article/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "s3cret-pass-word")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Add article")

    page.fill("#id_raw", article_text("kestrelnet"))
    page.fill("#id_source_name", "Wuxi Daily")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#ingest-preview")
    expect(preview.locator(".preview-title")).to_have_text(
        "Wuxi opens the kestrelnet sensor platform"
    )
    expect(preview.locator(".preview-cities")).to_contain_text("Wuxi")
    expect(preview.locator(".preview-year")).to_have_text("2019")
    expect(preview.locator(".preview-body")).to_contain_text("kestrelnet platform on Tuesday")
    # The htmx preview swapped a fragment in; the page itself did not reload.
    assert page.url.endswith("/admin/search/article/add/")
    page.screenshot(path=str(SCREENSHOTS / "admin-add-preview.png"), full_page=True)

    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Added")
    assert re.search(r"/admin/search/article/\d+/change/$", page.url)
    page.get_by_text("Raw content (as received)").click()  # the collapsed fieldset opens
    raw_link = page.get_by_role("link", name="Open the raw content as received")
    expect(raw_link).to_be_visible()  # a link, not the whole raw page in the form
    page.screenshot(path=str(SCREENSHOTS / "admin-change.png"), full_page=True)
    raw = page.request.get(base + raw_link.get_attribute("href"))
    assert raw.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Published: 2019-05-14" in raw.text()
    page.goto(f"{base}/admin/search/article/")
    page.screenshot(path=str(SCREENSHOTS / "admin-list.png"), full_page=True)

    title = "Wuxi opens the kestrelnet sensor platform"
    page.goto(f"{base}/?q=kestrelnet")
    expect(page.get_by_role("link", name=re.compile("kestrelnet"))).to_be_visible()
    expect(page.locator("main")).to_contain_text(title)
    page.goto(f"{base}/?city=Wuxi")
    expect(page.locator("main")).to_contain_text(title)
    page.goto(f"{base}/?city=Nanjing")
    expect(page.locator("main")).not_to_contain_text(title)

    # Merging organisations goes through a confirmation page; the search follows the merge.
    page.goto(f"{base}/admin/search/organisation/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "merge_selected")
    page.click("button[name=index]")
    expect(page.locator("#content")).to_contain_text("Choose the organisation to keep")
    page.get_by_label(re.compile("Huawei Technologies")).check()
    page.screenshot(path=str(SCREENSHOTS / "admin-merge.png"), full_page=True)
    page.click("input[value=Merge]")
    expect(page.locator(".messagelist")).to_contain_text("Merged Huawei into Huawei Technologies")
    page.screenshot(path=str(SCREENSHOTS / "admin-organisations.png"), full_page=True)
    page.goto(f"{base}/?org=Huawei+Technologies")
    expect(page.locator("main")).to_contain_text(title)
