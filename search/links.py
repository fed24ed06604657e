"""Canonical search URLs: one SearchQuery, one readable URL, whatever order the form sent.

A researcher pastes these into papers, so the same state must always print the same way:
q, city, org, source, lang, year, year_from, year_to, sort, copies, per_page, page, with defaults left out and the
values of each facet sorted.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from django.http import QueryDict
from django.urls import get_script_prefix, reverse

from search.engines.base import SearchQuery
from search.forms import FACET_PARAMS

# URL parameter order for facets (FACET_PARAMS maps param -> facet).
FACET_ORDER = ("city", "org", "source", "lang", "year")
PARAM_OF_FACET = {facet: param for param, facet in FACET_PARAMS.items()}
DEFAULT_PER_PAGE = SearchQuery().per_page


def query_pairs(query: SearchQuery) -> list[tuple[str, str]]:
    """The query's URL parameters in their one order, as (name, value) pairs."""
    pairs = [("q", query.q)] if query.q else []
    for param in FACET_ORDER:
        pairs += [(param, v) for v in sorted(query.selected(FACET_PARAMS[param]))]
    if query.year_from is not None:
        pairs.append(("year_from", str(query.year_from)))
    if query.year_to is not None:
        pairs.append(("year_to", str(query.year_to)))
    if query.sort != "relevance":
        pairs.append(("sort", query.sort))
    if query.all_copies:
        pairs.append(("copies", "all"))
    if query.per_page != DEFAULT_PER_PAGE:
        pairs.append(("per_page", str(query.per_page)))
    if query.page > 1:
        pairs.append(("page", str(query.page)))
    return pairs


def query_params(query: SearchQuery) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, value in query_pairs(query):
        params.appendlist(name, value)
    return params


@lru_cache(maxsize=8)
def _search_path(prefix: str) -> str:
    return reverse("search:search")


def search_url(query: SearchQuery, path: str | None = None) -> str:
    # A results page builds a hundred of these (tags, facets, bars, pager): resolve the path
    # once per script prefix, and encode the pairs without a QueryDict.
    encoded = urlencode(query_pairs(query))
    return (path or _search_path(get_script_prefix())) + (f"?{encoded}" if encoded else "")


def with_value(query: SearchQuery, facet: str, value: str, selected: bool) -> SearchQuery:
    """The query with one facet value ticked or unticked, back on page 1."""
    values = [v for v in query.selected(facet) if v != value]
    if selected:
        values.append(value)
    filters = {f: vs for f, vs in query.filters.items() if f != facet}
    if values:
        filters[facet] = tuple(values)
    return replace(query, filters=filters, page=1)


def without_filters(query: SearchQuery) -> SearchQuery:
    return replace(query, filters={}, year_from=None, year_to=None, page=1)


def with_range(query: SearchQuery, year_from: int | None, year_to: int | None) -> SearchQuery:
    return replace(query, year_from=year_from, year_to=year_to, page=1)


LINK_SCHEMES = frozenset({"http", "https"})


def http_url(value) -> str:
    """The URL if it may become a link (http or https with a host), else "".

    Stored URLs come from uploads and imports: a `javascript:` or `data:` URL must never be
    rendered as an href, whatever the Content-Security-Policy would make of it.
    """
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return ""
    return text
