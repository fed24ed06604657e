"""Pages that look at the archive as a whole: a page per city and organisation, searches
compared over time, and who works with whom. Each is a plain GET URL."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from search import entities
from search.engines.base import get_backend
from search.export import csv_safe, public_url
from search.forms import SearchForm
from search.links import query_params
from search.models import ENTITY_MODELS, RetiredSlug


def _known_pages(names: dict[str, list[str]]) -> dict[tuple[str, str], str]:
    """(kind, name) -> entity page URL, for the names shown on a page (one query per kind)."""
    pages = {}
    for kind, wanted in names.items():
        rows = ENTITY_MODELS[kind].objects.filter(name__in=wanted).values_list("name", "slug")
        for name, slug in rows:
            pages[(kind, name)] = reverse(f"search:{kind}", kwargs={"slug": slug})
    return pages


@require_safe
def entity_page(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    model = ENTITY_MODELS[kind]
    entity = model.objects.filter(slug=slug).first()
    if entity is None:
        retired = RetiredSlug.objects.filter(kind=kind, slug=slug).first()
        current = retired and model.objects.filter(pk=retired.target_id).first()
        if not current:
            raise Http404(f"no {kind} at this address")
        url = current.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return redirect(url, permanent=True)
    bucket = entities.option(request.GET.get("by"), entities.BUCKETS, "year")
    scale = entities.option(request.GET.get("scale"), entities.SCALES, "count")
    backend = get_backend()
    context = entities.entity_context(backend, entity, bucket, scale)
    context["pages"] = _known_pages(
        {
            context["other"]: [n.name for n in context["partners"]],
            kind: [n.name for n in context["peers"]],
        }
    )
    for n in context["partners"]:
        n.page = context["pages"].get((context["other"], n.name))
    for n in context["peers"]:
        n.page = context["pages"].get((kind, n.name))
    context["toggles"] = _toggles(request, bucket, scale)
    context["canonical"] = public_url(entity.get_absolute_url(), request)
    return render(request, "search/entity.html", context)


@require_safe
def entity_lookup(request: HttpRequest, kind: str) -> HttpResponse:
    """/cities/?name=Wuxi: the page of the city of that name (facet lists link here)."""
    name = request.GET.get("name", "").strip()
    model = ENTITY_MODELS[kind]
    entity = (
        model.objects.filter(name=name).first() or model.objects.filter(name__iexact=name).first()
    )
    if not name or entity is None:
        raise Http404(f"no {kind} of that name")
    return redirect(entity.get_absolute_url())


def _toggles(request: HttpRequest, bucket: str, scale: str) -> dict:
    """Links switching the chart between years and months, counts and shares."""

    def url(**change) -> str:
        params = request.GET.copy()
        for key, value in change.items():
            params[key] = value
        return "?" + params.urlencode()

    return {
        "buckets": [(k, label, url(by=k), k == bucket) for k, label in entities.BUCKETS.items()],
        "scales": [(k, label, url(scale=k), k == scale) for k, label in entities.SCALES.items()],
    }


def _compared(request: HttpRequest):
    """(queries, notes, canonical query string) of a compare URL."""
    notes, queries = [], []
    for text in request.GET.getlist("s"):
        query = entities.read_search(text[:2000])
        if query is not None and query not in queries:
            queries.append(query)
    if len(queries) > entities.MAX_SEARCHES:
        notes.append(
            f"Up to {entities.MAX_SEARCHES} searches can be compared; the first "
            f"{entities.MAX_SEARCHES} are shown."
        )
        queries = queries[: entities.MAX_SEARCHES]
    bucket = entities.option(request.GET.get("by"), entities.BUCKETS, "year")
    scale = entities.option(request.GET.get("scale"), entities.SCALES, "count")
    params = [("s", entities.querystring(q)) for q in queries]
    if bucket != "year":
        params.append(("by", bucket))
    if scale != "count":
        params.append(("scale", scale))
    return queries, notes, bucket, scale, params


def _encode(params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@require_safe
def compare_page(request: HttpRequest) -> HttpResponse:
    queries, notes, bucket, scale, params = _compared(request)
    canonical = _encode(params)
    if request.GET and canonical != request.GET.urlencode() and not notes:
        # One comparison, one URL: blank fields and spellings of a search settle to one form.
        return redirect(reverse("search:compare") + (f"?{canonical}" if canonical else ""))
    context = {
        "queries": queries,
        "notes": notes,
        "fields": [entities.querystring(q) for q in queries]
        + [""] * (entities.MAX_SEARCHES - len(queries)),
        "bucket": bucket,
        "scale": scale,
        "buckets": entities.BUCKETS,
        "scales": entities.SCALES,
        "toggles": _toggles(request, bucket, scale),
        "csv_url": reverse("search:compare-csv") + f"?{canonical}",
        "enough": len(queries) >= entities.MIN_SEARCHES,
    }
    if context["enough"]:
        context.update(
            entities.coverage(
                get_backend(), queries, bucket, scale, f"{len(queries)} searches per {bucket}"
            )
        )
    return render(request, "search/compare.html", context)


@require_safe
def compare_csv(request: HttpRequest) -> HttpResponse:
    queries, _, bucket, _, _ = _compared(request)
    if not queries:
        return HttpResponse(
            "Give one to five searches as s= parameters.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = entities.coverage(get_backend(), queries, bucket, "count", "")
    out = io.StringIO()
    writer = csv.writer(out)
    header = [bucket, "archive articles"]
    for line in data["lines"]:
        header += [csv_safe(f"{line.label} articles"), csv_safe(f"{line.label} share %")]
    writer.writerow(header)
    urls = [request.build_absolute_uri(line.url) for line in data["lines"]]
    writer.writerow(["search URL", ""] + [x for url in urls for x in (url, "")])
    for i, period in enumerate(data["periods"]):
        row = [period, data["rows"][i].archive]
        for line in data["lines"]:
            share = line.shares[i]
            row += [line.counts[i], "" if share is None else f"{share:.4f}"]
        writer.writerow(row)
    undated = ["undated", ""] + [x for _, n in data["undated"] for x in (n, "")]
    writer.writerow(undated)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="comparison-by-{bucket}.csv"'
    return response


@require_safe
def pairs_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.to_query()
    context = entities.pairs_context(get_backend(), query)
    context["params"] = query_params(query)
    return render(request, "search/pairs.html", context)
