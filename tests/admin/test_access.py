"""Only staff reach the admin's views, and every state-changing form needs its CSRF token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from search.ingest import ingest
from search.models import Article, Organisation
from tests.admin.conftest import article_text, ids_found

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(names, commit) -> Article:
    return commit(ingest, article_text("guardword")).article


def urls(article: Article) -> list[str]:
    return [
        reverse("admin:search_article_add"),
        reverse("admin:search_article_preview"),
        reverse("admin:search_article_reextract", args=[article.pk]),
        reverse("admin:search_article_change", args=[article.pk]),
        reverse("admin:search_article_changelist"),
        reverse("admin:search_organisation_changelist"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_only_staff_reach_the_admin(client, article, who, commit):
    if who == "not staff":
        client.force_login(User.objects.create_user("reader", password="x" * 12))
    for url in urls(article):
        for method in (client.get, client.post):
            response = commit(method, url, {"raw": article_text("intruderword"), "_save": "1"})
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
    assert Article.objects.count() == 1
    assert ids_found("intruderword") == set()


def test_posts_without_csrf_token_are_refused(admin_user, article, commit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    org = Organisation.objects.create(name="Other Org")
    posts = [
        (reverse("admin:search_article_add"), {"raw": article_text("forgedword")}),
        (reverse("admin:search_article_preview"), {"raw": article_text("forgedword")}),
        (reverse("admin:search_article_reextract", args=[article.pk]), {}),
        (
            reverse("admin:search_article_changelist"),
            {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
        ),
        (
            reverse("admin:search_organisation_changelist"),
            {
                "action": "merge_selected",
                "_selected_action": [org.pk, Organisation.objects.get(name="Huawei").pk],
                "apply": "1",
                "target": org.pk,
            },
        ),
    ]
    for url, data in posts:
        assert commit(client.post, url, data).status_code == 403, url
    assert list(Article.objects.all()) == [article]
    assert Organisation.objects.filter(name="Huawei").exists()
    assert ids_found("guardword") == {article.pk}
    assert ids_found("forgedword") == set()
    # The pages themselves carry the token their forms post.
    html = client.get(reverse("admin:search_article_add")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    html = client.get(reverse("admin:search_article_change", args=[article.pk])).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 2  # the form and the re-extract button
