"""Template helpers for search links that keep the current query."""

from django import template

from search import citation
from search.links import search_url, with_value

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
