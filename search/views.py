"""One query object, three renderings: the HTML page, its htmx fragment, and JSON."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_safe
from django_htmx.http import push_url

from search import citation, presenters
from search import export as exporting
from search.caching import cached_more_like_this, cached_search, conditional
from search.copies import attach_copies, copies_of
from search.engines import highlight
from search.engines.base import SearchPage, SearchQuery, get_backend
from search.engines.query import cut
from search.forms import FACET_PARAMS, ExportForm, SearchForm
from search.links import query_params, search_url, without_filters
from search.models import Article
from search.presenters import (
    LIST_FACETS,
    TAGS_SHOWN,
    facet_group,
    kept_groups,
    search_context,
)
from smartcity import error_pages


def page_json(page: SearchPage) -> dict:
    attach_copies(page.hits)
    return {
        # The text as the parser read it (cut at a word boundary when too long).
        "query": cut(page.query.q)[0],
        # What total and facet counts count: "stories" (copies folded) or "articles".
        "counts": "articles" if page.query.all_copies else "stories",
        "total": page.total,
        "page": page.query.page,
        "pages": page.pages,
        "results": [
            {
                "id": h.id,
                "title": h.title,
                "url": h.url,
                "source_url": h.source_url or None,
                "date": h.date.isoformat() if h.date else None,
                "year": h.year,
                "source": h.source or None,
                "language": h.language or None,
                "cities": list(h.cities),
                "organisations": list(h.organisations),
                "snippet": h.snippet,
                "copy_group": h.copy_group,
                "copies": [
                    {"id": c.id, "title": c.title, "source": c.source or None, "url": c.url}
                    for c in h.copies
                ],
            }
            for h in page.hits
        ],
        "facets": {
            facet: [{"value": f.value, "count": f.count, "selected": f.selected} for f in counts]
            for facet, counts in page.facets.items()
        },
        "suggestion": page.suggestion,
        "notes": page.notes,
    }


@require_GET
@conditional
def api_search(request: HttpRequest) -> JsonResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"error": "invalid parameters", "errors": errors}, status=400)
    page = cached_search(form.to_query(), version=request.index_version)
    return JsonResponse(page_json(page))


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _kept_groups(request: HttpRequest, query: SearchQuery) -> frozenset:
    """The facet groups an htmx answer leaves to the page it lands in (presenters.kept_groups):
    htmx names that page (HX-Current-URL) and whether the search form sent the request."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if not _partial(request) or current.path != reverse("search:search"):
        return frozenset()
    previous = SearchForm(QueryDict(current.query)).to_query()
    from_form = request.headers.get("HX-Trigger") == "search-form"
    return kept_groups(previous, query, from_form)


def _landing(request: HttpRequest) -> str:
    """What an htmx answer of the search page depends on besides its URL (see _kept_groups),
    as sent: the validator and the kept answer cost no parsing of the page it lands on."""
    if not _partial(request):
        return ""
    return f"{request.headers.get('HX-Current-URL', '')}|{request.headers.get('HX-Trigger', '')}"


@require_safe
@conditional(variant=_landing)
def search_page(request: HttpRequest) -> HttpResponse:
    """The search page; its results-and-facets region alone for htmx requests."""
    form = SearchForm(request.GET)
    query = form.to_query()
    canonical = search_url(query)
    partial = _partial(request)
    misspelled = list(request.GET.lists()) != list(query_params(query).lists())
    if not partial and form.is_valid() and misspelled:
        # Same state, one spelling: a no-JS form submit (empty fields, any order) lands on the
        # readable URL a researcher can bookmark.
        return redirect(canonical)
    kept = _kept_groups(request, query)
    context = search_context(get_backend(), form, query, request.index_version, kept)
    template = "search/_fragment.html" if partial else "search/search.html"
    response = render(request, template, context)
    if partial:
        response = push_url(response, canonical)
    patch_vary_headers(response, ["HX-Request", "HX-Current-URL", "HX-Trigger"])
    return response


# Values of a facet the page does not carry; the find box looks among them.
FIND_MAX_CHARS = 100
LISTED_FACETS = set(LIST_FACETS)


def _start(request: HttpRequest) -> int:
    """The position a page of facet values starts at; anything but a count is the first."""
    raw = request.GET.get("start", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 7 else 0


def _values_url(path: str, query: SearchQuery, find: str, start: int) -> str:
    params = query_params(query)
    if find:
        params["find"] = find
    if start:
        params["start"] = str(start)
    return path + (f"?{params.urlencode()}" if params else "")


@require_safe
@conditional
def facet_values(request: HttpRequest, param: str) -> HttpResponse:
    """The values of one facet for the current search, a bounded page at a time: for htmx
    the rows below the page's top list (or those matching ?find=), MORE_PAGE from ?start=,
    with a link that brings the next ones in their place; without JavaScript a page of
    LIST_PAGE links with Previous/Next. The find box looks among every value."""
    facet = FACET_PARAMS.get(param)
    if facet not in LISTED_FACETS:
        raise Http404("no such facet")
    form = SearchForm(request.GET)
    query = replace(form.to_query(), page=1)
    find = request.GET.get("find", "").strip()[:FIND_MAX_CHARS]
    start = _start(request)
    page = cached_search(query, version=request.index_version)
    group = facet_group(query, facet, page.facets.get(facet, []))
    if request.htmx and not request.htmx.history_restore_request:
        values = group.rest(find, start)
        context = {
            "group": group,
            "values": values,
            "find": find,
            # htmx adds the form's state (hx-include), as for the first "show more".
            "next_url": _values_url(group.path, SearchQuery(), find, values.end),
        }
        response = render(request, "search/_facet_rest.html", context)
    else:
        values = group.every(find, start)
        hidden = [(k, v) for k, vs in query_params(query).lists() for v in vs]
        context = {
            "group": group,
            "query": query,
            "values": values,
            "find": find,
            "hidden": hidden,
            "back_url": search_url(query),
            "filtered": search_url(without_filters(query)) != search_url(query),
            "previous_url": (
                _values_url(request.path, query, find, max(0, start - presenters.LIST_PAGE))
                if start
                else None
            ),
            "next_url": _values_url(request.path, query, find, values.end) if values.more else None,
        }
        response = render(request, "search/facet_values.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@conditional
def article_page(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One article; the search it came from (in its query string) is kept for the way back."""
    article = Article.objects.prefetch_related("cities", "organisations").filter(pk=pk).first()
    if article is None:
        # Rendered here rather than raised, so `make run` (DEBUG on) shows it too. The slug
        # holds the title's words: searching them finds a re-imported copy.
        return error_pages.not_found(request, gone_article=True, box_query=slug.replace("-", " "))
    if slug != article.slug:
        url = article.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return redirect(url, permanent=True)
    query = SearchForm(request.GET).to_query()
    backend = get_backend()
    # The same marks as the result snippets: the words the query language matched.
    marks = backend.marks(query.q)
    body_html, marked = highlight.body_html(article.body, marks)
    from_search = bool(query_params(query))
    tags_shown, tags_more = article_tags(article)
    context = {
        "article": article,
        "tags_shown": tags_shown,
        "tags_more": tags_more,
        "query": query,
        "body_html": body_html,
        "title_html": mark_safe(highlight.title_html(article.title, marks)),  # noqa: S308
        "marked": marked,
        "back_url": search_url(query) if from_search else None,
        # The same story elsewhere is listed as its copies, not as "more like this".
        "copies": [
            c
            for c in copies_of([article.copy_group_id]).get(article.copy_group_id, [])
            if c.id != article.pk
        ],
        "more": [
            h
            for h in cached_more_like_this(article.pk, 10, request.index_version)
            if h.copy_group is None or h.copy_group != article.copy_group_id
        ][:5],
        "canonical": exporting.public_url(article.get_absolute_url(), request),
        "citation_meta": citation.citation_meta(article),
        "jsonld": citation.news_article_jsonld(article),
    }
    return render(request, "search/article.html", context)


def article_tags(article: Article) -> tuple[list[dict], list[dict]]:
    """The article's facet tags (year, cities, organisations): those shown, those folded."""
    shown, more = [], []
    if article.year:
        shown.append({"kind": "year", "label": "Year", "value": article.year})
    for kind, label, rows in (
        ("city", "City", article.cities.all()),
        ("organisation", "Organisation", article.organisations.all()),
    ):
        for n, row in enumerate(rows):
            tag = {"kind": kind, "label": label, "value": row.name, "page": row.get_absolute_url()}
            (shown if n < TAGS_SHOWN[kind] else more).append(tag)
    return shown, more


@require_safe
def export_results(request: HttpRequest, fmt: str) -> HttpResponse:
    """The current result set, every match up to the stated cap, streamed as a download."""
    if fmt not in exporting.FORMATS:
        raise Http404("unknown export format")
    form = SearchForm(request.GET)
    options = ExportForm(request.GET)
    if not form.is_valid() or not options.is_valid():
        errors = "; ".join(
            str(e) for f in (form, options) for errs in f.errors.values() for e in errs
        )
        return HttpResponse(
            f"Cannot export: {errors}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    query = form.to_query()
    matched = get_backend().all_ids(query, limit=exporting.export_max())
    response = StreamingHttpResponse(
        exporting.stream(fmt, query, matched.total, matched.ids, options.cleaned_data["text"]),
        content_type=exporting.FORMATS[fmt].content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{exporting.filename(query, fmt)}"'
    response["X-Total-Count"] = str(matched.total)
    response["X-Exported-Count"] = str(len(matched.ids))
    return response


ROBOTS = """User-agent: *
# Search result pages multiply with every facet combination: crawl the archive, not them.
Disallow: /?
Disallow: /*?
Disallow: /export/
Disallow: /facets/
Disallow: /feed/
Disallow: /suggest
Disallow: /alerts/
Disallow: /api/
Disallow: /admin/
Allow: /$
Allow: /articles/
"""


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return redirect(static("favicon.ico"), permanent=True)
