"""Answers are validated and cached by the index identity: a conditional request for an
unchanged index gets a 304, and any index change (a save, a delete) gives fresh answers."""

import pytest
from django.core.cache import caches
from django.http import HttpResponse

from search.caching import CACHE_ALIAS, RENDERED_ALIAS, index_version
from search.models import Article
from tests.web.pages import HX

pytestmark = pytest.mark.django_db

WUXI = "Wuxi builds an IoT park for sensor makers"
URLS = ["/?q=iot", "/api/search?q=iot", "/facets/city/?q=iot", "/feed/?q=iot"]


@pytest.mark.parametrize("url", URLS)
def test_etag_and_304(corpus, client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and first["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert "HX-Request" in again["Vary"]
    since = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304


def test_the_fragment_and_the_page_have_different_etags(corpus, client):
    page = client.get("/?q=iot")
    fragment = client.get("/?q=iot", headers=HX)
    assert page["ETag"] != fragment["ETag"]
    assert client.get("/?q=iot", headers={"If-None-Match": page["ETag"], **HX}).status_code == 200


def test_an_index_change_changes_the_etag_and_the_answer(
    corpus, client, django_capture_on_commit_callbacks
):
    before = client.get("/api/search?q=iot")
    article = Article.objects.get(pk=corpus[WUXI])
    with django_capture_on_commit_callbacks(execute=True):
        article.title = "Wuxi builds a zanzibarite park"
        article.body += "\n\nThe zanzibarite park opened."
        article.save()
    after = client.get("/api/search?q=iot", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert client.get("/api/search?q=zanzibarite").json()["total"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert client.get("/api/search?q=zanzibarite").json()["total"] == 0


def test_repeated_searches_come_from_the_cache(corpus, client):
    caches[CACHE_ALIAS].clear()
    client.get("/?q=iot")
    cached = len(caches[CACHE_ALIAS]._cache)
    assert cached >= 1
    client.get("/?q=iot", headers=HX)  # the fragment: same query, same cached answer
    client.get("/facets/city/?q=iot", headers=HX)  # show more: the same search
    client.get("/api/search?q=iot")
    assert len(caches[CACHE_ALIAS]._cache) == cached


def test_index_version_moves_with_each_commit(corpus, django_capture_on_commit_callbacks):
    seen = {index_version().token}
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            Article.objects.get(pk=corpus[WUXI]).save()
        seen.add(index_version().token)
        assert len(seen) == n + 2


def test_public_pages_are_compressed_and_pages_with_a_csrf_token_are_not(corpus, client):
    gzip = {"Accept-Encoding": "gzip"}
    page = client.get("/?q=iot", headers=gzip)
    assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    assert client.get("/api/search?q=iot", headers=gzip)["Content-Encoding"] == "gzip"
    login = client.get("/admin/login/", headers=gzip)
    assert login.status_code == 200 and b"csrfmiddlewaretoken" in login.content
    assert "Content-Encoding" not in login


def test_more_like_this_follows_the_index(corpus, client, django_capture_on_commit_callbacks):
    article = Article.objects.get(pk=corpus[WUXI])
    first = client.get(article.get_absolute_url()).content.decode()
    assert "Wuxi sensor makers open a second IoT park" not in first
    from search.ingest import ingest

    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            "Wuxi sensor makers open a second IoT park\n\nThe Wuxi IoT park for sensor makers "
            "opens a second site, with more sensor makers joining the IoT park in Wuxi.\n",
            fmt="text",
        )
    again = client.get(article.get_absolute_url()).content.decode()
    assert "Wuxi sensor makers open a second IoT park" in again


def test_a_repeated_request_is_answered_from_its_rendering(corpus, client):
    caches[RENDERED_ALIAS].clear()
    first = client.get("/?q=iot")
    kept = len(caches[RENDERED_ALIAS]._list_cache_files())
    assert kept == 1
    again = client.get("/?q=iot")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] and "HX-Request" in again["Vary"]
    assert len(caches[RENDERED_ALIAS]._list_cache_files()) == kept
    # The fragment, the API and "show more" are other answers, each kept once.
    fragment = client.get("/?q=iot", headers=HX)
    assert fragment.content != first.content and fragment["HX-Push-Url"] == "/?q=iot"
    assert client.get("/?q=iot", headers=HX)["HX-Push-Url"] == "/?q=iot"
    client.get("/api/search?q=iot")
    assert client.get("/api/search?q=iot").json()["total"] >= 1
    assert len(caches[RENDERED_ALIAS]._list_cache_files()) == kept + 2


def test_a_kept_rendering_is_not_served_after_an_index_change(
    corpus, client, django_capture_on_commit_callbacks
):
    article = Article.objects.get(pk=corpus[WUXI])
    before = client.get(article.get_absolute_url()).content.decode()
    assert "zanzibarite" not in before
    with django_capture_on_commit_callbacks(execute=True):
        article.body += "\n\nThe zanzibarite park opened."
        article.save()
    assert "zanzibarite" in client.get(article.get_absolute_url()).content.decode()


def test_an_answer_that_read_the_session_or_a_csrf_token_is_not_kept(corpus, rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import get_token

    from search.caching import rendered

    caches[RENDERED_ALIAS].clear()
    request = rf.get("/?q=iot")
    request.session = SessionStore()

    def reads_session():
        request.session.get("seen")
        return HttpResponse("for one visitor")

    rendered(request, '"tag-1"', reads_session)
    request = rf.get("/?q=iot")

    def renders_token():
        return HttpResponse(get_token(request))

    rendered(request, '"tag-2"', renders_token)
    assert len(caches[RENDERED_ALIAS]._list_cache_files()) == 0
    rendered(rf.get("/?q=iot"), '"tag-3"', lambda: HttpResponse("for anyone"))
    assert len(caches[RENDERED_ALIAS]._list_cache_files()) == 1


def test_a_search_stopped_by_the_time_limit_is_not_kept(corpus, client, settings):
    caches[CACHE_ALIAS].clear()
    caches[RENDERED_ALIAS].clear()
    settings.SEARCH_TIMEOUT_MS = 0
    for url in ("/?q=iot", "/api/search?q=iot"):
        stopped = client.get(url)
        assert b"longer than" in stopped.content and b"stopped" in stopped.content
    assert len(caches[CACHE_ALIAS]._cache) == 0
    assert len(caches[RENDERED_ALIAS]._list_cache_files()) == 0
    settings.SEARCH_TIMEOUT_MS = 5000
    assert client.get("/api/search?q=iot").json()["total"] >= 1
