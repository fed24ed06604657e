"""Screenshots of every page type at desktop (1280) and phone (390) width, compared with the
accepted set in tests/screenshots/accepted/.

The new set goes to screenshots/current/, difference images to screenshots/diff/ and a summary
to screenshots/report.txt (screenshots/ is git-ignored: test artefacts). Look at them after
every template or stylesheet change; `make accept-screenshots` makes the current set the
accepted one. A difference is reported, not failed: fonts and anti-aliasing vary between
machines; the report and the red pixels in diff/ show what changed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from search.models import Article, City, Organisation
from tests.browser.conftest import SCREENSHOTS
from tests.browser.screenshot_diff import compare
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCEPTED = ROOT / "tests" / "screenshots" / "accepted"
CURRENT = SCREENSHOTS / "current"
DIFF = SCREENSHOTS / "diff"
WIDTHS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
LEAK = re.compile(r"\{#|\{%|\{\{")


@pytest.fixture
def pages(site, settings, django_user_model):
    """Name -> how to open it, for every page type (the live server runs with DEBUG off)."""
    settings.ROOT_URLCONF = "tests.browser.error_urls"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    django_user_model.objects.create_superuser("editor", "e@example.org", "s3cret-pass-word")
    article = Article.objects.order_by("pk").first()
    tagged = Article.objects.order_by("pk")[1]
    tagged.cities.add(*[City.objects.get_or_create(name=f"Testcity {n:02d}")[0] for n in range(23)])
    tagged.organisations.add(
        *[
            Organisation.objects.get_or_create(name=f"Test Organisation {n:02d}")[0]
            for n in range(11)
        ]
    )
    gone = Article.objects.order_by("pk").last()
    gone_url = gone.get_absolute_url()
    gone.delete()

    def tick(page):
        page.goto(site + "/?q=iot")
        if page.viewport_size["width"] < 600:
            page.locator(".filters > summary").click()
        page.get_by_role("checkbox", name=re.compile(r"^Wuxi")).check()
        page.wait_for_url(re.compile(r"city=Wuxi$"))
        page.wait_for_load_state("networkidle")

    def oversized(page):
        page.goto(site + "/")
        page.evaluate(
            """() => { const f = document.createElement("form"); f.method = "post"; f.action = "/";
               const t = document.createElement("textarea"); t.name = "text"; t.value = "x".repeat(5000);
               f.append(t); document.body.append(f); f.submit(); }"""
        )
        page.wait_for_load_state("load")
        expect(page.locator("h1")).to_have_text("That request could not be handled")

    def admin(path):
        def open_(page):
            page.goto(site + path)
            if page.locator("#id_username").count():
                page.fill("#id_username", "editor")
                page.fill("#id_password", "s3cret-pass-word")
                page.click("input[type=submit]")
                page.wait_for_load_state("load")

        return open_

    def go(path):
        return lambda page: page.goto(site + path)

    return {
        "search-landing": go("/"),
        "search-query-and-filters": go("/?q=iot&city=Wuxi&year=2017"),
        "search-after-htmx-tick": tick,
        "search-no-results": go("/?q=zzzqqq&city=Wuxi"),
        "search-did-you-mean": go("/?q=sensr"),
        "article-from-search": go(article.get_absolute_url() + "?q=sensor"),
        "article-many-tags": go(tagged.get_absolute_url()),
        "404-gone-article": go(gone_url),
        "404-unknown-address": go("/no/such/page/"),
        "500-server-error": go("/boom/"),
        "400-oversized-form": oversized,
        "admin-login": go("/admin/login/"),
        "admin-article-list": admin("/admin/search/article/"),
        "admin-article-add": admin("/admin/search/article/add/"),
        "admin-article-change": admin(f"/admin/search/article/{article.pk}/change/"),
        "admin-city-list": admin("/admin/search/city/"),
        "admin-organisation-change": admin(
            f"/admin/search/organisation/{Organisation.objects.order_by('pk').first().pk}/change/"
        ),
    }


def test_every_page_type_at_desktop_and_phone_width(browser, pages):
    CURRENT.mkdir(parents=True, exist_ok=True)
    report = []
    taken = []
    for width_name, (width, height, mobile) in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        for name, open_page in pages.items():
            open_page(page)
            page.wait_for_load_state("networkidle")
            html = page.content()
            assert not LEAK.search(page.locator("body").inner_text()), name
            assert "Traceback" not in html, name
            shot = CURRENT / f"{name}-{width_name}.png"
            page.screenshot(path=str(shot), full_page=True)
            taken.append(shot)
        context.close()

    compare_page = browser.new_page()
    for shot in taken:
        accepted = ACCEPTED / shot.name
        if accepted.exists():
            report.append(compare(compare_page, accepted, shot, DIFF / shot.name).line())
        else:
            report.append(f"{shot.stem}: new (no accepted screenshot yet)")
    compare_page.close()
    (SCREENSHOTS / "report.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    assert len(taken) == 2 * len(pages) and all(s.stat().st_size > 5000 for s in taken)


def test_the_comparison_sees_a_changed_pixel_and_no_change(browser, tmp_path):
    page = browser.new_page(viewport={"width": 200, "height": 100})
    page.set_content("<body style='margin:0;background:#fff'><p>Same</p></body>")
    page.screenshot(path=str(tmp_path / "a.png"))
    page.screenshot(path=str(tmp_path / "b.png"))
    page.set_content("<body style='margin:0;background:#fff'><p>Same</p><i>changed</i></body>")
    page.screenshot(path=str(tmp_path / "c.png"))
    same = compare(page, tmp_path / "a.png", tmp_path / "b.png", tmp_path / "d1.png")
    changed = compare(page, tmp_path / "a.png", tmp_path / "c.png", tmp_path / "d2.png")
    page.close()
    assert same.changed == 0 and same.total == 200 * 100
    assert changed.changed > 20 and (tmp_path / "d2.png").read_bytes()[:4] == b"\x89PNG"
