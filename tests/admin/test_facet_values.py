"""City and Organisation admin: names, aliases, merging; the index follows every change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from search.ingest import current_gazetteer, ingest
from search.models import City, Organisation
from tests.admin.conftest import article_text, ids_found

ORGS = reverse("admin:search_organisation_changelist")

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(names, commit):
    cetc = Organisation.objects.create(name="CETC")
    long_name = Organisation.objects.create(
        name="China Electronics Technology Group", aliases="China Electronics Technology"
    )
    a = commit(ingest, article_text("mergeworda", org="CETC")).article
    b = commit(ingest, article_text("mergewordb", org="China Electronics Technology Group")).article
    return cetc, long_name, a, b


def test_merge_reindexes_articles_that_had_both(admin_client, two_orgs, commit):
    cetc, long_name, _, _ = two_orgs
    both = commit(
        ingest, article_text("bothword", org="CETC (China Electronics Technology Group)")
    ).article
    assert set(both.organisations.all()) == {cetc, long_name}
    assert both.pk in ids_found(organisation="CETC")
    data = {
        "action": "merge_selected",
        "_selected_action": [cetc.pk, long_name.pk],
        "apply": "1",
        "target": long_name.pk,
    }
    commit(admin_client.post, ORGS, data)
    assert list(both.organisations.all()) == [long_name]
    # Its link to the merged-away name went without an m2m signal; the index still followed.
    assert ids_found(organisation="CETC") == set()
    assert both.pk in ids_found(organisation="China Electronics Technology Group")


def test_merge_organisations_moves_articles_and_the_index_follows(admin_client, two_orgs, commit):
    cetc, long_name, a, b = two_orgs
    assert ids_found(organisation="CETC") == {a.pk}
    selected = {"action": "merge_selected", "_selected_action": [cetc.pk, long_name.pk]}

    # First the confirmation step: nothing changes yet.
    page = admin_client.post(ORGS, selected)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose the organisation to keep" in html and "CETC" in html
    assert Organisation.objects.filter(pk=cetc.pk).exists()

    response = commit(admin_client.post, ORGS, {**selected, "apply": "1", "target": long_name.pk})
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=cetc.pk).exists()
    long_name.refresh_from_db()
    assert set(long_name.articles.all()) == {a, b}
    assert long_name.alias_list == ["China Electronics Technology", "CETC"]
    assert ids_found(organisation="China Electronics Technology Group") == {a.pk, b.pk}
    assert ids_found(organisation="CETC") == set()
    # Later extraction maps the old name to the kept organisation.
    assert current_gazetteer().organisations["CETC"] == "China Electronics Technology Group"


def test_merge_needs_two_and_a_valid_target(admin_client, two_orgs, commit):
    cetc, long_name, a, _ = two_orgs
    page = admin_client.post(
        ORGS, {"action": "merge_selected", "_selected_action": [cetc.pk]}, follow=True
    )
    assert "Select at least two to merge" in page.content.decode()
    bad = {
        "action": "merge_selected",
        "_selected_action": [cetc.pk, long_name.pk],
        "apply": "1",
        "target": "999999",
    }
    page = admin_client.post(ORGS, bad)
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert Organisation.objects.count() == 4
    assert ids_found(organisation="CETC") == {a.pk}


def test_renaming_a_city_reindexes_its_articles(admin_client, names, commit):
    article = commit(ingest, article_text("renameword")).article
    wuxi = City.objects.get(name="Wuxi")
    url = reverse("admin:search_city_change", args=[wuxi.pk])
    data = {"name": "Wuxi City", "aliases": "Wuxi\nWu-hsi", "_save": "Save"}
    assert commit(admin_client.post, url, data).status_code == 302
    assert article.pk in ids_found(city="Wuxi City")
    assert ids_found(city="Wuxi") == set()
    assert current_gazetteer().cities["wu-hsi"] == "Wuxi City"


def test_deleting_a_city_untags_its_articles_in_the_index(admin_client, names, commit):
    article = commit(ingest, article_text("untagword")).article
    wuxi = City.objects.get(name="Wuxi")
    data = {"action": "delete_selected", "_selected_action": [wuxi.pk], "post": "yes"}
    commit(admin_client.post, reverse("admin:search_city_changelist"), data)
    assert not City.objects.filter(name="Wuxi").exists()
    assert ids_found(city="Wuxi") == set()
    assert ids_found("untagword") == {article.pk}


def test_facet_value_list_shows_aliases_and_counts(admin_client, two_orgs):
    html = admin_client.get(ORGS).content.decode()
    assert '<td class="field-aliases_shown">China Electronics Technology</td>' in html
    assert '<td class="field-article_count">1</td>' in html
