"""What may be reused between requests: everything a search answers depends only on the query
and the index identity, so both key the cache and the HTTP validators (ETag, Last-Modified).

`index_version()` is the one place that says what "the index as it is now" is, from the
engine's identity.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, replace
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

from search.engines.base import SearchBackend, SearchPage, SearchQuery, get_backend
from search.engines.query import timeout_note
from search.engines.whoosh.identity import BuildStore

CACHE_ALIAS = "search"
CACHE_SECONDS = 600
# Whole responses of the views `conditional` guards (see `rendered`).
RENDERED_ALIAS = "rendered"


@dataclass(frozen=True)
class IndexVersion:
    token: str  # changes whenever what a search can answer changes
    modified: dt.datetime | None  # when it last changed, where the engine can tell cheaply


def index_version(backend: SearchBackend | None = None) -> IndexVersion:
    """The identity of the searchable state, cheap enough to ask on every request."""
    backend = backend or get_backend()
    path = getattr(backend, "path", None)
    if path is not None:
        # Whoosh: the engine's identity names the live build and its commit; the build
        # folder's mtime (each commit adds a table of contents to it) dates it.
        token = backend.identity()
        live = BuildStore(path).current_folder()
        modified = None
        if live is not None:
            with contextlib.suppress(FileNotFoundError):
                mtime = os.stat(live[1]).st_mtime
                modified = dt.datetime.fromtimestamp(mtime, tz=dt.UTC)
        return IndexVersion(f"whoosh-{token}", modified)
    # PostgreSQL: the index is the database. The article table's state (backend.identity())
    # and, for the small tables whose edits change answers without touching an article's
    # `updated` (facet renames and merges, copy groups, the journal the indexer drains after
    # writing an article's Chinese tokens), their row count and newest row version (xmin
    # moves with every committed update). Only this database's writes count: a token of the
    # whole server (its next transaction id) moved with every session, login or other
    # database's write and kept every cache cold.
    alias = getattr(backend, "alias", "default")
    with connections[alias].cursor() as cursor:
        cursor.execute(_FACET_STATE)
        facets = ".".join(str(value) for value in cursor.fetchone())
    return IndexVersion(f"pg-{backend.identity(alias)}-{facets}", None)


_FACET_STATE = "SELECT " + ", ".join(
    f"(SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM {table})"
    for table in ("search_city", "search_organisation", "search_copygroup", "search_indexjournal")
)


def _key(version: IndexVersion, query: SearchQuery) -> str:
    # The whole query (a frozen dataclass), so a field added to it can never share a key.
    filters = sorted((f, tuple(sorted(v))) for f, v in query.filters.items())
    parts = (version.token, repr(replace(query, filters={})), filters)
    return "page:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def cached_search(
    query: SearchQuery, backend: SearchBackend | None = None, version: IndexVersion | None = None
) -> SearchPage:
    """backend.search(query), answered from the cache while the index is the same."""
    backend = backend or get_backend()
    version = version or index_version(backend)
    seconds = getattr(settings, "SEARCH_CACHE_SECONDS", CACHE_SECONDS)
    if not seconds:
        return backend.search(query)
    cache = caches[CACHE_ALIAS]
    key = _key(version, query)
    page = cache.get(key)
    if page is None:
        page = backend.search(query)
        if stopped(page):
            # Cut by the time limit (a busy moment, a hostile query): asked again, it may
            # finish, so neither the answer nor a page rendered from it is kept.
            _stopped_here.set(True)
            return page
        cache.set(key, page, seconds)
    return page


# Set when a search of the current request was stopped by the time limit (see `rendered`).
_stopped_here: contextvars.ContextVar[bool] = contextvars.ContextVar("stopped", default=False)


def stopped(page: SearchPage) -> bool:
    """Whether the engine stopped this search at the time limit (both say so in one note)."""
    return timeout_note(settings.SEARCH_TIMEOUT_MS) in page.notes


def cached_more_like_this(article_id: int, limit: int, version: IndexVersion) -> list:
    """backend.more_like_this, which weighs the article's whole text: once per index state."""
    backend = get_backend()
    seconds = getattr(settings, "SEARCH_CACHE_SECONDS", CACHE_SECONDS)
    if not seconds:
        return list(backend.more_like_this(article_id, limit=limit))
    cache = caches[CACHE_ALIAS]
    key = f"mlt:{hashlib.sha256(version.token.encode()).hexdigest()}:{article_id}:{limit}"
    found = cache.get(key)
    if found is None:
        found = list(backend.more_like_this(article_id, limit=limit))
        cache.set(key, found, seconds)
    return found


def etag_for(request, version: IndexVersion, variant: str = "") -> str:
    """A strong validator for one representation: the index state and the exact request
    (path, query string, htmx or not: the same URL answers a page or a fragment), plus what
    else the view says its answer depends on (`variant`)."""
    parts = "|".join(
        (
            version.token,
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-History-Restore-Request", ""),
            variant,
        )
    )
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def conditional(view=None, *, variant=None):
    """ETag (and Last-Modified where known) from the index identity; a matching conditional
    request gets a 304 before any search runs. The view finds the version it was checked
    against in request.index_version, so it searches the same state it validated.

    `variant(request) -> str` names what else than the URL and the htmx headers the answer
    depends on (the search page's fragment leaves out the facet groups the reader already
    has); it keys the ETag and the rendered answers too."""
    if view is None:
        return lambda view: conditional(view, variant=variant)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        version = index_version()
        etag = quote_etag(etag_for(request, version, variant(request) if variant else ""))
        modified = int(version.modified.timestamp()) if version.modified else None
        not_modified = get_conditional_response(request, etag=etag, last_modified=modified)
        if not_modified is not None:
            patch_vary_headers(not_modified, ["HX-Request"])
            return not_modified
        request.index_version = version
        response = rendered(request, etag, lambda: view(request, *args, **kwargs))
        if response.status_code == 200 and not response.streaming:
            response["ETag"] = etag
            if modified is not None:
                response["Last-Modified"] = http_date(modified)
            # Stored, but asked again each time: a 304 costs no search.
            response.setdefault("Cache-Control", "no-cache")
        return response

    return wrapper


def rendered(request, etag: str, render) -> HttpResponse:
    """The view's response, rendered once per index state and request, and kept in the
    RENDERED_ALIAS cache (files shared by the machine's worker processes).

    `etag` already names everything a guarded view's answer depends on (the index state, the
    path and query string, the htmx headers); the host, scheme and SITE_URL are added because
    the article page names its absolute address (and the files outlive a restart with a new
    SITE_URL). A popular search (the front page, a city, a
    facet click many readers make) then costs a cache read instead of a search, a template
    render and hundreds of URLs built. Only answers that belong to nobody are kept (see
    `_shareable`); response headers added by middleware (security, compression) are added
    again on every response.
    """
    seconds = getattr(settings, "SEARCH_CACHE_SECONDS", CACHE_SECONDS)
    if not seconds:
        return render()
    cache = caches[RENDERED_ALIAS]
    key = (
        "resp:"
        + hashlib.sha256(
            f"{etag}|{request.scheme}://{request.get_host()}|{settings.SITE_URL}".encode()
        ).hexdigest()
    )
    kept = cache.get(key)
    if kept is not None:
        status, content, headers = kept
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response
    token = _stopped_here.set(False)
    try:
        response = render()
        complete = not _stopped_here.get()
    finally:
        _stopped_here.reset(token)
    if complete and _shareable(request, response):
        cache.set(key, (response.status_code, response.content, list(response.items())), seconds)
    return response


def _shareable(request, response: HttpResponse) -> bool:
    """Nothing in the answer is one visitor's: no cookie, no session or user read (the user
    comes from the session), no CSRF token rendered, no message shown."""
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.accessed)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (messages is not None and messages.used)
    )
