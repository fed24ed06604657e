"""Follow a search: an Atom feed of every search URL, an OpenSearch description and the
suggestions it names.

The feed lists the newest additions to the archive that match the search (by the time an
article was added, not its publication date), so a feed reader shows what is new since it
last looked. Its links are absolute from SITE_URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from xml.sax.saxutils import escape as xml_escape

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from search.caching import conditional
from search.engines.base import SearchQuery, get_backend
from search.export import site_url
from search.forms import SearchForm
from search.links import http_url, search_url
from search.models import Article, City, Organisation

FEED_ITEMS = 50
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
SUGGESTIONS = 10


def describe(query: SearchQuery) -> str:
    """A short human name for a search: its words and filters."""
    parts = [f"“{query.q}”"] if query.q else []
    for facet, values in query.filters.items():
        parts.append(f"{facet}: {', '.join(values)}")
    if query.year_from is not None or query.year_to is not None:
        parts.append(f"years {query.year_from or '…'}–{query.year_to or '…'}")
    return "; ".join(parts) or "all articles"


def feed_url(query: SearchQuery) -> str:
    """The feed of a search (its order and page do not matter: a feed is newest first)."""
    plain = replace(query, page=1, per_page=SearchQuery().per_page, sort="relevance")
    return search_url(plain, reverse("search:feed"))


@dataclass(frozen=True)
class FeedData:
    query: SearchQuery
    total: int
    articles: list[Article]


def newest_added(query: SearchQuery, limit: int) -> tuple[int, list[Article]]:
    """(total matches, the `limit` most recently added matching articles, newest first)."""
    matched = get_backend().all_ids(replace(query, sort="added"), limit=limit)
    rows = Article.objects.filter(id__in=matched.ids).prefetch_related("cities", "organisations")
    rows = rows.defer("raw_content", "body")
    return matched.total, sorted(rows, key=lambda a: (a.created, a.id), reverse=True)


class SearchAtomFeed(Atom1Feed):
    """Atom with the OpenSearch response elements and per-entry facets as categories."""

    def root_attributes(self):
        attrs = super().root_attributes()
        attrs["xmlns:opensearch"] = OPENSEARCH_NS
        return attrs

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("opensearch:totalResults", str(self.feed["total"]))
        handler.addQuickElement("opensearch:startIndex", "1")
        handler.addQuickElement("opensearch:itemsPerPage", str(self.feed["per_page"]))
        handler.addQuickElement(
            "opensearch:Query", "", {"role": "request", "searchTerms": self.feed["terms"]}
        )

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        base = site_url()
        for kind, param, values in (
            ("City", "city", item["cities"]),
            ("Organisation", "org", item["organisations"]),
        ):
            for value in values:
                handler.addQuickElement(
                    "category",
                    "",
                    {"term": value, "scheme": f"{base}/?{param}=", "label": f"{kind}: {value}"},
                )
        if http_url(item["source_url"]):  # a javascript: URL is never a link
            handler.addQuickElement("link", "", {"rel": "related", "href": item["source_url"]})
        if item["source_name"]:
            handler.startElement("source", {})
            handler.addQuickElement("title", item["source_name"])
            handler.endElement("source")


class SearchFeed(Feed):
    feed_type = SearchAtomFeed

    def get_object(self, request: HttpRequest) -> FeedData:
        # Everything the feed shows, from one run of the search (the instance is shared by
        # every request, so nothing is kept on it).
        query = SearchForm(request.GET).to_query()
        return FeedData(query, *newest_added(query, FEED_ITEMS))

    def __call__(self, request, *args, **kwargs):
        form = SearchForm(request.GET)
        if not form.is_valid():
            errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponse(
                f"No feed: {errors}\n", status=400, content_type="text/plain; charset=utf-8"
            )
        return super().__call__(request, *args, **kwargs)

    def title(self, obj: FeedData) -> str:
        return f"Smart City Search: {describe(obj.query)}"

    def link(self, obj: FeedData) -> str:
        return site_url() + search_url(replace(obj.query, page=1))

    def feed_url(self, obj: FeedData) -> str:
        return site_url() + feed_url(obj.query)

    def subtitle(self, obj: FeedData) -> str:
        return "The newest articles added to the archive that match this search."

    author_name = "Smart City Search"

    def items(self, obj: FeedData):
        return obj.articles

    def feed_extra_kwargs(self, obj: FeedData) -> dict:
        return {"total": obj.total, "per_page": FEED_ITEMS, "terms": obj.query.q}

    def item_title(self, article: Article) -> str:
        return article.title

    def item_description(self, article: Article) -> str:
        parts = [article.published_date.isoformat() if article.published_date else "Undated"]
        if article.source_name:
            parts.append(article.source_name)
        return " · ".join(parts)

    def item_link(self, article: Article) -> str:
        return site_url() + article.get_absolute_url()

    def item_guid(self, article: Article) -> str:
        return self.item_link(article)

    def item_pubdate(self, article: Article):
        if article.published_date is None:
            return None
        return dt.datetime.combine(article.published_date, dt.time(), tzinfo=dt.UTC)

    def item_updateddate(self, article: Article):
        return timezone.localtime(article.created, dt.UTC)

    def item_extra_kwargs(self, article: Article) -> dict:
        return {
            "cities": [c.name for c in article.cities.all()],
            "organisations": [o.name for o in article.organisations.all()],
            "source_url": article.source_url,
            "source_name": article.source_name,
        }


# Feed readers poll: a conditional request for an unchanged index is a 304 without a search.
search_feed = require_safe(conditional(SearchFeed()))


# -- OpenSearch ---------------------------------------------------------------------------

SHORT_NAME = "Smart City News"  # at most 16 characters (OpenSearch 1.1)


def opensearch_xml() -> str:
    base = xml_escape(site_url())
    search = reverse("search:search")
    feed = reverse("search:feed")
    suggest = reverse("search:suggest")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="{OPENSEARCH_NS}">
  <ShortName>{SHORT_NAME}</ShortName>
  <Description>Search an archive of news about smart cities, in English and Chinese.</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <OutputEncoding>UTF-8</OutputEncoding>
  <Url type="text/html" method="get" template="{base}{search}?q={{searchTerms}}"/>
  <Url type="application/atom+xml" method="get" template="{base}{feed}?q={{searchTerms}}"/>
  <Url type="application/x-suggestions+json" method="get" template="{base}{suggest}?q={{searchTerms}}"/>
  <Url type="application/opensearchdescription+xml" rel="self" template="{base}{reverse("search:opensearch")}"/>
  <Query role="example" searchTerms="smart city"/>
  <Tags>smart city news archive</Tags>
  <Language>en</Language>
  <Language>zh</Language>
</OpenSearchDescription>
"""


@require_safe
def opensearch(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        opensearch_xml(), content_type="application/opensearchdescription+xml; charset=utf-8"
    )


@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """OpenSearch suggestions: [typed, [completions], [descriptions], [urls]] from the
    names of cities, organisations and sources that start with the text, then titles
    containing it."""
    typed = " ".join(request.GET.get("q", "").split())[:100]
    out: list[tuple[str, str]] = []
    if len(typed) >= 2 and typed.isprintable():
        for model, kind in ((City, "City"), (Organisation, "Organisation")):
            for name in model.objects.filter(name__istartswith=typed).values_list(
                "name", flat=True
            )[:SUGGESTIONS]:
                out.append((name, kind))
        sources = (
            Article.objects.filter(source_name__istartswith=typed)
            .values_list("source_name", flat=True)
            .distinct()
            .order_by("source_name")[:SUGGESTIONS]
        )
        out += [(s, "Source") for s in sources]
        titles = (
            Article.objects.filter(title__icontains=typed)
            .order_by("-created")
            .values_list("title", flat=True)[:SUGGESTIONS]
        )
        out += [(t, "Title") for t in titles]
    seen, unique = set(), []
    for text, kind in out:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            unique.append((text, kind))
    unique = unique[:SUGGESTIONS]
    base = site_url()
    facet_of = {"City": "city", "Organisation": "organisation", "Source": "source"}
    urls = [
        base
        + search_url(
            SearchQuery(filters={facet_of[kind]: (text,)})
            if kind in facet_of
            else SearchQuery(q=text)
        )
        for text, kind in unique
    ]
    data = [typed, [t for t, _ in unique], [k for _, k in unique], urls]
    return JsonResponse(
        data, safe=False, content_type="application/x-suggestions+json; charset=utf-8"
    )
