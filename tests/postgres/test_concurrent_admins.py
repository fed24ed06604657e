"""Two admins at once on PostgreSQL (real gunicorn servers, one database): a stale save is
refused instead of silently overwriting, and a racing duplicate upload is a duplicate."""

from __future__ import annotations

import pytest
from django.db import connection

from search.ingest import ingest
from search.models import Article
from tests.admin.conftest import article_row, article_text
from tests.postgres.servers import database_url, free_port, gunicorn, manage, production_env
from tests.sites import AdminSession, change_form_data
from tests.test_servers_writes import PASSWORD, _save_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path):
    env = production_env(database_url(connection.settings_dict), tmp_path / "var")
    env.update(WEB_CONCURRENCY="2", GUNICORN_THREADS="2")
    manage(env, "collectstatic", "--noinput", "-v0")
    for name in ("alice", "bob"):
        manage(
            {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
            "createsuperuser",
            "--noinput",
            "--username",
            name,
            "--email",
            f"{name}@example.org",
        )
    with gunicorn(env, free_port()) as base:
        yield base


def test_two_admins_saving_the_same_article_at_once_one_is_refused(server):
    article = ingest(article_text("pgeditword")).article
    alice, bob = AdminSession(server, "alice", PASSWORD), AdminSession(server, "bob", PASSWORD)
    row = article_row(article)
    path = f"/admin/search/article/{article.pk}/change/"
    results = _save_at_once(
        [alice, bob],
        [
            (path, change_form_data(row, title="Alice pgeditword")),
            (path, change_form_data(row, title="Bob pgeditword")),
        ],
    )
    assert sorted(status for status, _ in results) == [200, 302]
    refused = next(body for status, body in results if status == 200)
    assert "saved this article" in refused and "while you were editing it" in refused
    article.refresh_from_db()
    assert article.title in ("Alice pgeditword", "Bob pgeditword")
    assert article.title in refused and article.version == row["version"] + 1


def test_the_same_upload_from_two_admins_at_once_is_one_article(server):
    alice, bob = AdminSession(server, "alice", PASSWORD), AdminSession(server, "bob", PASSWORD)
    raw = article_text("pgdupword")
    results = _save_at_once([alice, bob], [("/admin/search/article/add/", {"raw": raw})] * 2)
    assert all(status in (200, 302) for status, _ in results), results
    assert Article.objects.filter(title__icontains="pgdupword").count() == 1
    # The duplicate is reported on the re-shown form, the addition after the redirect.
    shown = "".join(body for _, body in results)
    shown += alice.get("/admin/search/article/")[1] + bob.get("/admin/search/article/")[1]
    assert "Added" in shown and "already in the archive" in shown
    assert "unexpected error" not in shown
