"""Template helpers for search links that keep the current query."""

from django import template

from search import citation
from search.links import http_url, search_url, with_value

register = template.Library()


@register.simple_tag
def coins(hit) -> str:
    """A result's citation as an OpenURL ContextObject (COinS), escaped by the template."""
    return citation.coins(hit)


@register.simple_tag(takes_context=True)
def add_filter_url(context, facet: str, value) -> str:
    """The current search (or a new one) narrowed to this facet value."""
    query = context.get("query")
    if query is None:
        from search.engines.base import SearchQuery

        query = SearchQuery()
    return search_url(with_value(query, facet, str(value), True))


@register.simple_tag
def facet_search_url(facet: str, value) -> str:
    """A fresh search for everything tagged with this facet value."""
    from search.engines.base import SearchQuery

    return search_url(with_value(SearchQuery(), facet, str(value), True))


@register.filter(name="http_url")
def http_url_filter(value) -> str:
    """Every stored URL that becomes an href goes through this: http/https or nothing."""
    return http_url(value)


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (at least 1), for messages such as the sign-in lockout."""
    return max(1, round(value.total_seconds() / 60)) if value else 0


@register.filter
def quoted(text) -> str:
    """Text in curly quotes for a heading; a phrase typed in straight quotes is not quoted twice.

    '"Ping An"' -> '“Ping An”' (not '“"Ping An"”'); 'smart city' -> '“smart city”'.
    """
    text = str(text)
    inner = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in inner:
        text = inner
    return f"“{text}”"


@register.simple_tag(takes_context=True)
def row_tags(context, hit):
    """A result row's tags for the search shown (see presenters.row_tags)."""
    from search.engines.base import SearchQuery
    from search.presenters import row_tags

    return row_tags(hit, context.get("query") or SearchQuery())
