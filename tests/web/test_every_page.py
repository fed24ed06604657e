"""Every page type renders without template source leaking into it, and with our templates
raising on unknown variables (tests/strict_templates.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template import Context, Template, TemplateSyntaxError, engines
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from search.models import Article, City, Organisation

LEAK = re.compile(r"\{#|#\}|\{%|%\}|\{\{|\}\}")


def assert_clean(response: HttpResponse, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    html = response.content.decode()
    leak = LEAK.search(html)
    assert not leak, (
        f"template syntax in the output: …{html[max(0, leak.start() - 80) : leak.end() + 80]}…"
    )
    # The head stays a head: nothing printed before the doctype pushes scripts into the body.
    assert html.lstrip().lower().startswith("<!doctype html>") or "<html" not in html
    return html


def article_pages(corpus) -> list[str]:
    article = Article.objects.order_by("pk").first()
    return [article.get_absolute_url(), article.get_absolute_url() + "?q=iot&city=Wuxi"]


@pytest.mark.django_db
def test_public_pages_show_no_template_source(client, corpus):
    urls = ["/", "/?q=iot", "/?q=iot&city=Wuxi&year=2017&sort=newest", "/?q=zzzzqqq", "/?page=99"]
    for url in urls + article_pages(corpus):
        html = assert_clean(client.get(url))
        assert 'rel="icon"' in html
    # The htmx fragment: no doctype, same rule.
    assert_clean(client.get("/?q=iot", headers={"HX-Request": "true"}))


@pytest.mark.django_db
def test_error_pages_are_styled_with_search_box_and_way_back(client, corpus, settings):
    gone = Article.objects.order_by("pk").first()
    url = gone.get_absolute_url()
    gone.delete()
    for debug in (False, True):
        settings.DEBUG = debug
        html = assert_clean(client.get(url), status=404)
        assert "This article is not in the archive" in html
        assert 'name="q"' in html and "Back to the search page" in html
        assert 'href="/static/css/site.css"' in html
    settings.DEBUG = False
    html = assert_clean(client.get("/no/such/page/"), status=404)
    assert "There is no page at this address" in html and 'name="q"' in html

    resolver = get_resolver()
    request = RequestFactory().get("/")
    html = assert_clean(resolver.resolve_error_handler(500)(request), status=500)
    assert "Something went wrong" in html and 'name="q"' in html and "Back to the search" in html
    html = assert_clean(resolver.resolve_error_handler(400)(request, None), status=400)
    assert "could not be handled" in html and 'name="q"' in html


@pytest.mark.django_db
def test_deleted_article_404_searches_for_its_title(client, corpus):
    gone = Article.objects.order_by("pk").first()
    url, words = gone.get_absolute_url(), gone.slug.replace("-", " ")
    gone.delete()
    html = client.get(url).content.decode()
    assert f'value="{words}"' in html


@pytest.mark.django_db
def test_oversized_paste_gets_the_project_400_page_under_debug(admin_client, settings):
    settings.DEBUG = True
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_client.post(reverse("admin:search_article_add"), {"text": "x" * 5000})
    html = assert_clean(response, status=400)
    assert "could not be handled" in html and "Traceback" not in html


@pytest.mark.django_db
def test_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("favicon.ico")
    # The file it points to is a real ICO (served by whitenoise or runserver in a browser).
    path = finders.find("favicon.ico")
    assert path and Path(path).read_bytes()[:4] == b"\x00\x00\x01\x00"


@pytest.mark.django_db
def test_admin_pages_show_no_template_source(admin_client, corpus):
    article = Article.objects.order_by("pk").first()
    city, org = City.objects.first(), Organisation.objects.first()
    urls = [
        reverse("admin:index"),
        reverse("admin:search_article_changelist"),
        reverse("admin:search_article_changelist") + "?q=iot",
        reverse("admin:search_article_add"),
        reverse("admin:search_article_change", args=[article.pk]),
        reverse("admin:search_city_changelist"),
        reverse("admin:search_city_add"),
        reverse("admin:search_city_change", args=[city.pk]),
        reverse("admin:search_organisation_changelist"),
        reverse("admin:search_organisation_change", args=[org.pk]),
    ]
    for url in urls:
        assert_clean(admin_client.get(url))


def test_the_leak_check_sees_a_multi_line_comment():
    # The defect that shipped: Django's {# #} is one line only; two lines print as text.
    html = Template("<p>{# one\ntwo #}</p>").render(Context())
    assert LEAK.search(html)


def test_unknown_variables_in_our_templates_raise():
    template = engines["django"].from_string("{{ no_such_variable }}")
    # from_string has no origin in our folders: Django's own behaviour (empty).
    assert template.render({}) == ""
    strict = engines["django"].get_template("_search_box.html")
    assert strict.render({}) is not None  # firstof tolerates the missing query
    broken = engines["django"].engine.from_string("{{ nope }}")
    broken.origin.name = str(
        __import__("tests.strict_templates").strict_templates.OURS[0] / "x.html"
    )
    with pytest.raises(TemplateSyntaxError):
        broken.render(Context({}))


@pytest.mark.django_db
def test_a_quoted_phrase_is_not_quoted_twice(client, corpus):
    html = client.get("/", {"q": '"ping an"'}).content.decode()
    assert "“ping an”" in html and "“&quot;ping an&quot;”" not in html
    html = client.get("/", {"q": 'smart "ping an"'}).content.decode()
    assert "“smart &quot;ping an&quot;”" in html  # a phrase inside other words keeps its quotes


@pytest.mark.django_db
def test_result_rows_fold_long_tag_lists(client, corpus):
    article = Article.objects.order_by("pk").first()
    article.cities.add(*[City.objects.get_or_create(name=f"Testcity {n:02d}")[0] for n in range(9)])
    article.organisations.add(
        *[Organisation.objects.get_or_create(name=f"Test Org {n:02d}")[0] for n in range(5)]
    )
    from search.engines.base import get_backend

    get_backend().update([article.pk])
    doc = BeautifulSoup(client.get("/", {"q": article.title}).content, "html.parser")
    row = next(li for li in doc.select("li.hit") if article.title in li.get_text())
    assert len(row.select(".tag-city")) == 4 and len(row.select(".tag-org")) == 3
    hidden = (1 + 9 - 4) + (1 + 5 - 3)  # its own city and organisation plus the added ones
    assert row.select_one(".tag-more").get_text(" ", strip=True).startswith(f"+{hidden} more")


@pytest.mark.django_db
def test_admin_list_folds_long_name_lists(admin_client, corpus):
    article = Article.objects.order_by("pk").first()
    article.cities.add(*[City.objects.get_or_create(name=f"Testcity {n:02d}")[0] for n in range(9)])
    html = admin_client.get(reverse("admin:search_article_changelist")).content.decode()
    assert "Testcity 04 … (+5 more)" in html and "Testcity 05" not in html
