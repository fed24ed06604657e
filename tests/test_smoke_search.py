"""End to end through the real index: import -> on_commit index update -> search."""

import pytest
from django.core.management import call_command

from search.engines.base import SearchQuery, get_backend


@pytest.mark.django_db
def test_imported_seeds_are_searchable(seeded, client):
    response = client.get("/api/search", {"q": "Yinchuan"})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] >= 1
    assert (
        data["results"][0]["title"]
        == "Yinchuan showcases smarter city achievements at global summit"
    )


@pytest.mark.django_db
def test_rebuild_index_restores_a_lost_index(seeded, index_dir):
    import shutil

    shutil.rmtree(index_dir)
    call_command("rebuild_index", verbosity=0)
    assert get_backend().search(SearchQuery(q="Wuxi")).total >= 1


@pytest.mark.django_db
def test_search_page_renders(seeded, client):
    response = client.get("/", {"q": "smart"})
    assert response.status_code == 200
    assert b"Smart City Search" in response.content
