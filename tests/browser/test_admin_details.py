"""Admin details a newcomer tripped over (issue #20): long organisation names in the picker,
unambiguous dates, adding a city that is not in the database yet, stable chip order."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from search.models import Article, City, Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Shenzhen Longgang District Smart City Big Data Operation and Management Centre Co., Ltd."


@pytest.fixture
def admin_page(site, browser, django_user_model):
    django_user_model.objects.create_superuser("editor", "e@example.org", "s3cret-pass-word")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(site + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "s3cret-pass-word")
    page.click("input[type=submit]")
    yield page
    context.close()


def test_long_organisation_names_are_shown_whole_in_the_picker(site, admin_page, shot):
    article = Article.objects.order_by("pk").first()
    article.organisations.add(Organisation.objects.create(name=LONG))
    admin_page.goto(f"{site}/admin/search/article/{article.pk}/change/")
    chip = admin_page.locator(
        ".field-organisations .select2-selection__choice", has_text="Longgang"
    )
    expect(chip).to_be_visible()
    # Nothing of the name is cut off: the chip is as wide as its text, inside the box.
    clipped = chip.evaluate("el => el.scrollWidth > el.clientWidth + 1")
    box = admin_page.locator(".field-organisations .select2-selection").bounding_box()
    chip_box = chip.bounding_box()
    assert not clipped
    assert chip_box["x"] + chip_box["width"] <= box["x"] + box["width"] + 1
    expect(chip).to_contain_text("Management Centre Co., Ltd.")
    shot(admin_page, "admin-long-organisation")


def test_dates_are_unambiguous_in_the_admin(site, admin_page):
    article = Article.objects.order_by("pk").first()
    article.published_date = dt.date(2024, 4, 3)
    article.save()
    admin_page.goto(f"{site}/admin/search/article/{article.pk}/change/")
    expect(admin_page.locator("#id_published_date")).to_have_value("2024-04-03")
    admin_page.goto(f"{site}/admin/search/article/")
    expect(admin_page.locator("#result_list")).to_contain_text("3 Apr 2024")
    assert "03/04/2024" not in admin_page.content()


def test_a_city_not_in_the_database_can_be_added_from_the_picker(site, admin_page):
    article = Article.objects.order_by("pk").first()
    admin_page.goto(f"{site}/admin/search/article/{article.pk}/change/")
    with admin_page.expect_popup() as popup_info:
        admin_page.locator("#add_id_cities").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    popup.fill("#id_name", "Zhongwei")
    popup.locator("input[name=_save]").click()
    popup.wait_for_event("close")
    chips = admin_page.locator(".field-cities .select2-selection__choice")
    expect(chips.filter(has_text="Zhongwei")).to_have_count(1)
    admin_page.locator("input[name=_save]").click()
    admin_page.wait_for_url(re.compile(r"/admin/search/article/$"))
    assert City.objects.filter(name="Zhongwei").exists()
    assert article.cities.filter(name="Zhongwei").exists()


def chip_labels(page) -> list[str]:
    return [c.get_attribute("aria-label") for c in page.locator(".chip").all()]


def test_chip_order_does_not_follow_the_order_values_were_sent(site, page):
    page.goto(site + "/?city=Wuxi&city=Chengdu")
    first = chip_labels(page)
    assert first == ["Remove filter City: Chengdu", "Remove filter City: Wuxi"]
    # An htmx tick sends the form's values in list order (by count); the chips keep theirs.
    page.get_by_role("checkbox", name=re.compile(r"^Nanjing")).check()
    page.wait_for_url(re.compile(r"city=Nanjing"))
    page.wait_for_load_state("networkidle")
    assert chip_labels(page) == [
        "Remove filter City: Chengdu",
        "Remove filter City: Nanjing",
        "Remove filter City: Wuxi",
    ]
