"""Correcting articles through the admin: hand-set facets, re-extraction, re-indexing, deleting,
the list view. Every outcome is checked in the database and through the real search index."""

from __future__ import annotations

import shutil

import pytest
from django.urls import reverse

from search.engines.base import IndexUnavailable
from search.ingest import ingest
from search.models import Article, City, Organisation
from tests.admin.conftest import article_row, article_text, ids_found
from tests.sites import change_form_data

CHANGELIST = reverse("admin:search_article_changelist")

pytestmark = pytest.mark.django_db


def change_url(article: Article) -> str:
    return reverse("admin:search_article_change", args=[article.pk])


def change_data(article: Article, **overrides) -> dict:
    """The change form as the admin page would post it, with some fields changed (None
    leaves a field out)."""
    data = change_form_data(article_row(article))
    if article.facets_manual:
        data["facets_manual"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def article(names, commit) -> Article:
    return commit(ingest, article_text("handword")).article


def test_change_page_shows_editable_body_and_collapsed_read_only_raw(admin_client, article):
    html = admin_client.get(change_url(article)).content.decode()
    assert '<textarea name="body"' in html
    assert 'name="raw_content"' not in html  # not editable
    # The raw content is a link away, never embedded (pages were 1.6 MB with it).
    raw_url = reverse("admin:search_article_raw", args=[article.pk])
    assert f'href="{raw_url}"' in html and article.raw_content not in html
    raw = admin_client.get(raw_url)
    assert raw["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.content.decode() == article.raw_content
    assert "Published: 2019-05-14" in raw.content.decode()
    assert "<details" in html  # the raw content fieldset is collapsible
    assert reverse("admin:search_article_reextract", args=[article.pk]) in html
    # Cities and organisations use autocomplete widgets with an "add another" link.
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    assert 'id="add_id_cities"' in html and 'id="add_id_organisations"' in html


def test_autocomplete_finds_cities_by_alias(admin_client, names):
    City.objects.filter(name="Wuxi").update(aliases="Wu-hsi")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": "hsi", "app_label": "search", "model_name": "article", "field_name": "cities"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Wuxi"]


def test_editing_body_is_searchable_after_commit(admin_client, article, commit):
    body = article.body + "\n\nA correction mentions the xylocarp initiative."
    response = commit(admin_client.post, change_url(article), change_data(article, body=body))
    assert response.status_code == 302
    article.refresh_from_db()
    assert "xylocarp" in article.body
    assert not article.facets_manual  # the body is not a facet
    assert ids_found("xylocarp") == {article.pk}


def test_hand_set_facets_set_the_flag_and_survive_reextraction(admin_client, article, commit):
    acme = Organisation.objects.create(name="Acme Smart Co")
    nanjing = City.objects.get(name="Nanjing")
    data = change_data(article, organisations=[acme.pk], cities=[nanjing.pk], year="2018")
    assert commit(admin_client.post, change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.facets_manual
    assert {o.name for o in article.organisations.all()} == {"Acme Smart Co"}
    assert article.pk in ids_found(organisation="Acme Smart Co")
    assert article.pk in ids_found(city="Nanjing")
    assert article.pk not in ids_found(organisation="Huawei")

    # The change page's re-extract button and the list action both leave hand-set facets alone.
    page = commit(
        admin_client.post, reverse("admin:search_article_reextract", args=[article.pk]), follow=True
    )
    assert "their facets were set by hand" in page.content.decode()
    action = {"action": "reextract_facets", "_selected_action": [article.pk]}
    page = commit(admin_client.post, CHANGELIST, action, follow=True)
    assert "their facets were set by hand" in page.content.decode()
    article.refresh_from_db()
    assert {o.name for o in article.organisations.all()} == {"Acme Smart Co"}
    assert article.year == 2018
    assert article.pk not in ids_found(organisation="Huawei")

    # Clearing the flag (facets untouched) hands them back to extraction.
    data = change_data(article, facets_manual=None)
    data.pop("facets_manual", None)
    commit(admin_client.post, change_url(article), data)
    article.refresh_from_db()
    assert not article.facets_manual
    page = commit(admin_client.post, CHANGELIST, action, follow=True)
    assert "Re-extracted the facets of 1 article" in page.content.decode()
    article.refresh_from_db()
    assert "Huawei" in {o.name for o in article.organisations.all()}
    assert "Wuxi" in {c.name for c in article.cities.all()}
    assert article.year == 2019
    assert article.pk in ids_found(organisation="Huawei")
    assert article.pk in ids_found(city="Wuxi")
    assert article.pk not in ids_found(organisation="Acme Smart Co")


def test_reextract_picks_up_a_new_gazetteer_name(admin_client, article, commit):
    Organisation.objects.create(name="Municipal Bureau of Industry", aliases="")
    response = commit(
        admin_client.post, reverse("admin:search_article_reextract", args=[article.pk])
    )
    assert response.status_code == 302
    assert article.pk in ids_found(organisation="Municipal Bureau of Industry")


def test_reextract_url_refuses_get(admin_client, article):
    url = reverse("admin:search_article_reextract", args=[article.pk])
    assert admin_client.get(url).status_code == 405


def test_delete_action_removes_articles_from_the_index(admin_client, names, commit):
    keep = commit(ingest, article_text("keepword")).article
    gone = [commit(ingest, article_text(w, city="Nanjing")).article for w in ("gonea", "goneb")]
    assert ids_found(city="Nanjing") == {a.pk for a in gone}
    data = {"action": "delete_selected", "_selected_action": [a.pk for a in gone], "post": "yes"}
    response = commit(admin_client.post, CHANGELIST, data)
    assert response.status_code == 302
    assert list(Article.objects.all()) == [keep]
    assert ids_found("gonea") == ids_found("goneb") == set()
    assert ids_found(city="Nanjing") == set()
    assert ids_found("keepword") == {keep.pk}


def test_delete_from_the_change_page_removes_it_from_the_index(admin_client, article, commit):
    url = reverse("admin:search_article_delete", args=[article.pk])
    assert commit(admin_client.post, url, {"post": "yes"}).status_code == 302
    assert not Article.objects.exists()
    assert ids_found("handword") == set()


def test_reindex_action_restores_lost_index_entries(admin_client, article, commit, index_dir):
    shutil.rmtree(index_dir)
    with pytest.raises(IndexUnavailable, match="missing"):  # reported, not served empty
        ids_found("handword")
    data = {"action": "reindex_articles", "_selected_action": [article.pk]}
    commit(admin_client.post, CHANGELIST, data)
    assert ids_found("handword") == {article.pk}


def test_list_view_columns_filters_and_search(admin_client, names, commit):
    tagged = commit(ingest, article_text("listword"), source_name="Wuxi Daily").article
    bare = commit(ingest, "Nothing to see\n\nA short note with no names or dates in it.\n").article
    html = admin_client.get(CHANGELIST).content.decode()
    for column in (
        "title",
        "published_date",
        "source_name",
        "cities_shown",
        "organisations_shown",
        "year",
    ):
        assert f"column-{column}" in html
    assert '<td class="field-cities_shown">Wuxi</td>' in html
    assert '<td class="field-organisations_shown">Huawei</td>' in html

    def listed(params) -> set[int]:
        response = admin_client.get(CHANGELIST, params)
        return {a.pk for a in response.context["cl"].result_list}

    assert listed({"missing": "all"}) == {bare.pk}
    assert listed({"missing": "city"}) == {bare.pk}
    assert listed({"year": "2019"}) == {tagged.pk}
    assert listed({"source_name": "Wuxi Daily"}) == {tagged.pk}
    assert listed({"facets_manual__exact": "0"}) == {tagged.pk, bare.pk}
    assert listed({"q": "listword"}) == {tagged.pk}
    assert listed({"q": "short note"}) == {bare.pk}


def test_raw_content_needs_staff(client, article):
    raw_url = reverse("admin:search_article_raw", args=[article.pk])
    assert client.get(raw_url).status_code == 302  # to the sign-in page


def test_change_page_of_a_large_html_article_stays_light(admin_client, commit):
    """An HTML upload with a large raw page: the change page carries its body, not its raw."""
    from search.ingest import ingest

    padding = "".join(
        f"<div class='nav'><a href='/s/{i}'>Section {i}</a></div>" for i in range(20_000)
    )
    raw = (
        "<html><head><title>Nanjing opens a sensor hub</title></head><body>"
        "<article><h1>Nanjing opens a sensor hub</h1>"
        + "<p>Nanjing and ZTE opened a sensor hub in the old city on Monday, officials said, "
        "and the hub will link traffic lights, meters and lamps across every district.</p>"
        * 20
        + f"</article><footer>{padding}</footer></body></html>"
    )
    assert len(raw) > 1_000_000
    article = commit(ingest, raw, fmt="html").article
    html = admin_client.get(change_url(article)).content
    assert len(html) <= 200_000, len(html)
