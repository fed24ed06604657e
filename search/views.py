"""One query object, three renderings: the HTML page, its htmx fragment, and JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from search.backends.base import SearchPage, get_backend
from search.forms import FACET_PARAMS, SearchForm
from search.models import Article

_PARAM_OF_FACET = {facet: param for param, facet in FACET_PARAMS.items()}


def page_json(page: SearchPage) -> dict:
    return {
        "query": page.query.q,
        "total": page.total,
        "page": page.query.page,
        "pages": page.pages,
        "results": [
            {
                "id": h.id,
                "title": h.title,
                "url": h.url,
                "date": h.date.isoformat() if h.date else None,
                "year": h.year,
                "source": h.source or None,
                "cities": list(h.cities),
                "organisations": list(h.organisations),
                "snippet": h.snippet,
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


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.to_query()
    page = get_backend().search(query)
    context = {"form": form, "page": page, "query": query, "facet_params": _PARAM_OF_FACET}
    template = "search/_results.html" if request.htmx else "search/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def article_page(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.prefetch_related("cities", "organisations"), pk=pk)
    if slug != article.slug:
        return redirect(article, permanent=True)
    return render(request, "search/article.html", {"article": article})
