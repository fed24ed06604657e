"""One query object, three renderings: the HTML page, its htmx fragment, and JSON."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_safe
from django_htmx.http import push_url

from search import citation
from search import export as exporting
from search.copies import attach_copies, copies_of
from search.engines.base import SearchPage, get_backend
from search.forms import ExportForm, SearchForm
from search.highlight import highlight_body, highlight_text
from search.links import query_params, search_url
from search.models import Article
from search.presenters import search_context


def page_json(page: SearchPage) -> dict:
    attach_copies(page.hits)
    return {
        "query": page.query.q,
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
def api_search(request: HttpRequest) -> JsonResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"error": "invalid parameters", "errors": errors}, status=400)
    return JsonResponse(page_json(get_backend().search(form.to_query())))


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    """The search page; its results-and-facets region alone for htmx requests."""
    form = SearchForm(request.GET)
    query = form.to_query()
    canonical = search_url(query)
    partial = request.htmx and not request.htmx.history_restore_request
    misspelled = list(request.GET.lists()) != list(query_params(query).lists())
    if not partial and form.is_valid() and misspelled:
        # Same state, one spelling: a no-JS form submit (empty fields, any order) lands on the
        # readable URL a researcher can bookmark.
        return redirect(canonical)
    context = search_context(get_backend(), form, query)
    template = "search/_fragment.html" if partial else "search/search.html"
    response = render(request, template, context)
    if partial:
        response = push_url(response, canonical)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def article_page(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One article; the search it came from (in its query string) is kept for the way back."""
    article = get_object_or_404(Article.objects.prefetch_related("cities", "organisations"), pk=pk)
    if slug != article.slug:
        url = article.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return redirect(url, permanent=True)
    query = SearchForm(request.GET).to_query()
    body_html, marked = highlight_body(article.body, query.q)
    from_search = bool(query_params(query))
    context = {
        "article": article,
        "query": query,
        "body_html": body_html,
        "title_html": highlight_text(article.title, query.q),
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
            for h in get_backend().more_like_this(article.pk, limit=10)
            if h.copy_group is None or h.copy_group != article.copy_group_id
        ][:5],
        "canonical": request.build_absolute_uri(article.get_absolute_url()),
        "citation_meta": citation.citation_meta(article),
        "jsonld": citation.news_article_jsonld(article),
    }
    return render(request, "search/article.html", context)


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
