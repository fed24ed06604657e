"""The same end-to-end check on every engine: import through ingest, find through the API."""

import pytest


@pytest.mark.django_db
def test_seeds_are_found_through_the_api_on_each_engine(
    each_engine, django_capture_on_commit_callbacks, client
):
    from django.core.management import call_command

    from search.engines.base import get_backend
    from tests.conftest import SEEDS

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(SEEDS), verbosity=0)
    get_backend().rebuild()
    data = client.get("/api/search", {"q": "Yinchuan"}).json()
    assert data["total"] >= 1
    assert data["results"][0]["title"].startswith("Yinchuan")
    assert "Yinchuan</mark>" in data["results"][0]["snippet"]
    assert {f["value"] for f in data["facets"]["year"]} >= {"2018"}
