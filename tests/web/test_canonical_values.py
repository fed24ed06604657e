"""Facet values are canonical everywhere: tag links, facet links and typed URLs select the
same value on every engine; other spellings and merged names redirect to the canonical URL."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from search.admin_ops import merge_values
from search.engines import base
from search.models import Article, Organisation

pytestmark = pytest.mark.django_db

PING_AN = "Ping An Insurance (Group) Company of China, Ltd."


@pytest.fixture
def archive(each_engine, settings, django_capture_on_commit_callbacks):
    settings.SEARCH_INDEX_PROCS = 1
    base._backend.cache_clear()
    ids = []
    with django_capture_on_commit_callbacks(execute=True):
        ping_an = Organisation.objects.create(name=PING_AN)
        sierra = Organisation.objects.create(name="Sierra Nevada Corporation")
        old = Organisation.objects.create(name="Sierra Nevada Corp")
        for n, org in enumerate([ping_an, ping_an, sierra, old]):
            article = Article.objects.create(
                title=f"Insurance and satellites {n}",
                body="An article about insurance, satellites and smart cities.",
                raw_content=f"article {n}",
                content_hash=f"canonical-{n}",
                year=2018,
            )
            article.organisations.set([org])
            ids.append(article.id)
    base.get_backend().rebuild()
    yield ids
    base._backend.cache_clear()


def result_ids(response) -> set[int]:
    return {int(m) for m in re.findall(r'href="/articles/(\d+)/', response.content.decode())}


def test_comma_named_organisation_from_its_tag_facet_and_typed_url(client, archive):
    article = Article.objects.get(id=archive[0])
    page = client.get(article.get_absolute_url()).content.decode()
    tag = unescape(re.search(r'<a class="tag tag-org"[^>]*href="([^"]+)"', page)[1])
    assert parse_qs(urlsplit(tag).query)["org"] == [PING_AN]
    from_tag = client.get(tag)
    assert from_tag.status_code == 200 and result_ids(from_tag) == set(archive[:2])
    # The facet on the search page offers the whole name, and its link selects it.
    listing = client.get("/").content.decode()
    assert PING_AN.replace("&", "&amp;") in listing and "China  Ltd" not in listing
    # Typed by hand, in another case: redirected to the canonical URL, which selects it.
    typed = client.get("/", {"org": PING_AN.lower()})
    assert typed.status_code in (301, 302)
    assert parse_qs(urlsplit(typed["Location"]).query)["org"] == [PING_AN]
    assert result_ids(client.get(typed["Location"])) == set(archive[:2])
    api = client.get("/api/search", {"org": PING_AN.upper()}).json()
    assert {r["id"] for r in api["results"]} == set(archive[:2])


def test_a_merged_name_keeps_its_old_urls_working(
    client, archive, django_capture_on_commit_callbacks
):
    target = Organisation.objects.get(name="Sierra Nevada Corporation")
    with django_capture_on_commit_callbacks(execute=True):
        merge_values(target, [Organisation.objects.get(name="Sierra Nevada Corp")])
    old = client.get("/", {"org": "Sierra Nevada Corp"})
    assert old.status_code in (301, 302)
    assert parse_qs(urlsplit(old["Location"]).query)["org"] == ["Sierra Nevada Corporation"]
    assert result_ids(client.get(old["Location"])) == set(archive[2:])
    # Typed in the query too.
    api = client.get("/api/search", {"q": 'org:"sierra nevada corp"'}).json()
    assert {r["id"] for r in api["results"]} == set(archive[2:])


def test_the_suggestion_link_carries_the_new_query(client, archive):
    page = client.get("/", {"q": "satelites"}).content.decode()
    link = re.search(r'class="suggestion">Did you mean <a[^>]*href="([^"]+)"', page)
    assert link, page[:2000]
    assert parse_qs(urlsplit(unescape(link[1])).query)["q"] == ["satellites"]


def test_rebuild_command_keeps_comma_names_whole(archive):
    call_command("rebuild_index", verbosity=0)
    page = base.get_backend().search(base.SearchQuery(filters={"organisation": (PING_AN,)}))
    assert page.total == 2
