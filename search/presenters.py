"""What the search templates show, worked out in Python so the templates stay plain.

Everything here speaks only the search contract (SearchQuery in, SearchPage out).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

from search import export as exporting
from search import facet_names
from search.caching import IndexVersion, cached_search
from search.copies import attach_copies
from search.engines.base import UNDATED, FacetCount, SearchBackend, SearchPage, SearchQuery
from search.feeds import feed_url
from search.forms import SearchForm
from search.links import (
    PARAM_OF_FACET,
    query_params,
    search_url,
    with_range,
    with_value,
    without_filters,
)

# Values shown before "show more"; a filter box appears once a list is longer than this.
FACET_TOP = 8
# Values one "show more" (or find) answer brings, and one page of the list without script:
# an organisation facet has hundreds, and every request is bounded.
MORE_PAGE = 50
LIST_PAGE = 100
FACET_LABELS = {
    "city": "City",
    "organisation": "Organisation",
    "source": "Source",
    "language": "Language",
    "year": "Year",
}
FACET_PLURALS = {
    "city": "cities",
    "organisation": "organisations",
    "source": "sources",
    "language": "languages",
    "year": "years",
}
# Facet groups of the sidebar, in order (the year facet is the histogram above them).
LIST_FACETS = ("city", "organisation", "source", "language")
# Names for the language codes extraction gives (ISO 639-1, zh-Hans/zh-Hant); others show
# as their code.
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
    "it": "Italian",
    "nl": "Dutch",
}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
PAGE_WINDOW = 2


# The facets whose values have a page of their own ("about this city"), by the lookup view
# that finds it from a name.
ABOUT_VIEWS = {"city": "search:city-lookup", "organisation": "search:organisation-lookup"}


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool
    id: str
    facet: str
    query: SearchQuery = field(repr=False)  # the search the value belongs to
    label: str = ""  # what the reader sees, when it differs from the value

    def __post_init__(self) -> None:
        self.label = self.label or self.value

    # Built when a template asks: the search page's checkboxes need no toggle URL (only the
    # no-JS list of every value does), and "show more" lists hundreds of values.
    @cached_property
    def url(self) -> str:
        """The search with this value toggled."""
        return search_url(with_value(self.query, self.facet, self.value, not self.selected))

    @cached_property
    def about_url(self) -> str:
        """The value's own page (cities and organisations), or ""."""
        view = ABOUT_VIEWS.get(self.facet)
        return f"{_path(view)}?name={quote(self.value, safe='/')}" if view else ""


@lru_cache(maxsize=8)
def _path_for_prefix(view: str, prefix: str) -> str:
    return reverse(view)


def _path(view: str) -> str:
    return _path_for_prefix(view, get_script_prefix())


@dataclass
class ValuesPage:
    """A slice of a facet's values: positions start..end of `total` (those matching a find)."""

    values: list[FacetValue]
    start: int
    end: int
    total: int

    @property
    def more(self) -> int:
        return self.total - self.end


@dataclass
class FacetGroup:
    """One facet's values for a search: the top ones are rendered in the page, the rest are
    fetched on demand (facet_values view), so a page carries tens of values, not hundreds."""

    name: str
    param: str
    label: str
    top: list[FacetValue]
    query: SearchQuery
    # Every value of the facet in count order, as the engine gave it (not rendered here).
    counts: list[FacetCount] = field(default_factory=list, repr=False)

    @property
    def find(self) -> str:
        """'a city', 'an organisation': the filter box's label."""
        noun = self.label.lower()
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"

    @property
    def size(self) -> int:
        return len(self.counts)

    @property
    def rest_count(self) -> int:
        return len(self.counts) - len(self.top)

    @property
    def plural(self) -> str:
        return FACET_PLURALS[self.name]

    @property
    def path(self) -> str:
        """The facet-values endpoint (htmx and the find box add the form's state)."""
        return reverse("search:facet-values", args=[self.param])

    @property
    def more_url(self) -> str:
        """The facet-values endpoint for this search: a fragment for htmx, a page without."""
        encoded = query_params(replace(self.query, page=1)).urlencode()
        return self.path + (f"?{encoded}" if encoded else "")

    def _value(self, c: FacetCount) -> FacetValue:
        # Facet lists show both names where both exist ("Shenzhen 深圳").
        known = facet_names.labels(self.name).get(c.value)
        label = known[0] if known else value_label(self.name, c.value)
        dom_id = _dom_id(self.param, c.value)  # "org", not "organisation": short, per value
        return FacetValue(c.value, c.count, c.selected, dom_id, self.name, self.query, label)

    def rest(self, find: str = "", start: int = 0, size: int | None = None) -> ValuesPage:
        """`size` of the values below the FACET_TOP largest (those matching `find` when
        given), in count order, from `start`. Ticked ones too: the page shows a ticked value
        in its top list, but a facet group kept across a swap (hx-preserve) has it where it
        was ticked, and only the page knows which; its script drops the ones its top list
        already has. Positions do not depend on ticks, so no page repeats or skips a value."""
        size = size or MORE_PAGE
        pool = [c for c in self.counts[FACET_TOP:] if self._matches(c, find)]
        window = pool[start : start + size]
        return ValuesPage([self._value(c) for c in window], start, start + len(window), len(pool))

    def every(self, find: str = "", start: int = 0, size: int | None = None) -> ValuesPage:
        """`size` of every value (matching `find`), in count order, from `start`."""
        size = size or LIST_PAGE
        pool = [c for c in self.counts if self._matches(c, find)]
        if start >= len(pool):  # past the end (an old link, a typed URL): the last page
            start = (len(pool) - 1) // size * size if pool else 0
        window = pool[start : start + size]
        return ValuesPage([self._value(c) for c in window], start, start + len(window), len(pool))

    def _matches(self, c: FacetCount, find: str) -> bool:
        """The find box matches a value's name, its label and its aliases (深圳 finds
        Shenzhen)."""
        needle = find.casefold()
        if not find:
            return True
        known = facet_names.labels(self.name).get(c.value)
        texts = (c.value, value_label(self.name, c.value), known[1] if known else "")
        return any(needle in text.casefold() for text in texts)


@dataclass
class Bar:
    year: int
    count: int
    selected: bool
    in_range: bool
    percent: int
    id: str
    url: str


@dataclass
class Chip:
    label: str
    value: str
    url: str


def _dom_id(facet: str, value: str) -> str:
    """Stable across requests (htmx keeps focus on a swapped control by its id)."""
    safe = "".join(c if c.isascii() and c.isalnum() else "-" for c in value.lower())
    return f"f-{facet}-{safe[:40]}-{zlib.crc32(value.encode()) % 100_000:05d}"


def value_label(facet: str, value: str) -> str:
    if facet == "language":
        return LANGUAGE_NAMES.get(value, value)
    if facet == "year" and value == UNDATED:
        return "Undated"
    return value


def facet_group(query: SearchQuery, facet: str, counts: list[FacetCount]) -> FacetGroup:
    group = FacetGroup(facet, PARAM_OF_FACET[facet], FACET_LABELS[facet], [], query, counts)
    # Selected values stay in view however small their count; only the top ones get a URL.
    group.top = [group._value(c) for i, c in enumerate(counts) if i < FACET_TOP or c.selected]
    return group


def histogram(query: SearchQuery, counts: list[FacetCount]) -> list[Bar]:
    years = sorted((int(c.value), c) for c in counts if c.value.isdigit() and len(c.value) == 4)
    peak = max((c.count for _, c in years), default=0) or 1
    lo = query.year_from if query.year_from is not None else -1
    hi = query.year_to if query.year_to is not None else 10_000
    ranged = query.year_from is not None or query.year_to is not None
    return [
        Bar(
            year=year,
            count=c.count,
            selected=c.selected,
            in_range=ranged and lo <= year <= hi,
            percent=round(100 * c.count / peak),
            id=f"f-year-{year}",
            url=search_url(with_value(query, "year", c.value, not c.selected)),
        )
        for year, c in years
    ]


def undated_value(query: SearchQuery, counts: list[FacetCount]) -> FacetValue | None:
    """The year facet's "Undated" choice, shown beside the histogram's bars."""
    for c in counts:
        if c.value == UNDATED:
            return FacetValue(
                c.value, c.count, c.selected, "f-year-undated", "year", query, "Undated"
            )
    return None


# An article can carry dozens of places and organisations; a result row and the first screen
# of an article show a few of each, and the rest fold away ("+N more", "Show N more tags").
TAGS_SHOWN = {"city": 4, "organisation": 3}


@dataclass
class RowTags:
    cities: list[str]
    organisations: list[str]
    hidden: int  # values of the article not in the row (listed on its page)


def row_tags(hit, query: SearchQuery) -> RowTags:
    """A result row's tags: the first TAGS_SHOWN cities and organisations, less the values the
    search is already filtered by. Every row of a filtered search has those (the chips above
    name them), and their links would lead to the page already shown; a facet click's answer
    carried one for each of its ten rows."""
    shown: dict[str, list[str]] = {}
    hidden = 0
    for facet, values in (("city", hit.cities), ("organisation", hit.organisations)):
        first = list(values)[: TAGS_SHOWN[facet]]
        selected = set(query.selected(facet))
        shown[facet] = [str(v) for v in first if str(v) not in selected]
        hidden += max(0, len(values) - TAGS_SHOWN[facet])
    return RowTags(shown["city"], shown["organisation"], hidden)


def chips(query: SearchQuery) -> list[Chip]:
    out = []
    for facet in (*LIST_FACETS, "year"):
        # In the URL's order, not the request's: a tick sends the form's values in the order
        # they are listed (by count), which changes, and the chips would swap places.
        for value in sorted(query.selected(facet)):
            url = search_url(with_value(query, facet, value, False))
            out.append(Chip(FACET_LABELS[facet], value_label(facet, value), url))
    if query.year_from is not None or query.year_to is not None:
        span = f"{query.year_from or '…'}–{query.year_to or '…'}"
        out.append(Chip("Years", span, search_url(with_range(query, None, None))))
    return out


def pagination(query: SearchQuery, page: SearchPage) -> dict:
    current, last = query.page, page.pages
    shown = sorted(
        {1, last, *range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)}
    )
    items = []
    previous = 0
    for n in shown:
        if n - previous > 1:
            items.append(None)  # a gap
        items.append(n)
        previous = n
    return {
        "items": items,
        "current": current,
        "last": last,
        "previous": current - 1 if 1 < current <= last else None,
        "next": current + 1 if current < last else None,
    }


def _counting_inputs(query: SearchQuery, facet: str) -> tuple:
    """What a facet group shows depends on: the query, the other facets' selections, the year
    range and the counting switch; not its own selection (each facet's counts leave it out),
    the page, the sort or the page size."""
    others = sorted((f, tuple(sorted(vs))) for f, vs in query.filters.items() if f != facet and vs)
    return (query.q, others, query.year_from, query.year_to, query.all_copies)


def kept_groups(previous: SearchQuery | None, query: SearchQuery, from_form: bool) -> frozenset:
    """The facet groups (and "year", the histogram) an htmx answer may leave as the reader has
    them: what they show did not change between the search on screen (`previous`) and this
    one. Its own ticks may differ only when the form itself sent the request (`from_form`):
    the boxes on screen are then the ones sent. A facet click thus leaves out its own group,
    a tenth of the answer, and keeps the reader's "show more" list and find box as they were.
    """
    if previous is None:
        return frozenset()
    kept = set()
    for facet in (*LIST_FACETS, "year"):
        if _counting_inputs(previous, facet) != _counting_inputs(query, facet):
            continue
        if from_form or set(previous.selected(facet)) == set(query.selected(facet)):
            kept.add(facet)
    return frozenset(kept)


def search_context(
    backend: SearchBackend,
    form: SearchForm,
    query: SearchQuery,
    version: IndexVersion | None = None,
    kept: frozenset = frozenset(),
) -> dict:
    page = cached_search(query, backend, version)
    attach_copies(page.hits)
    year_counts = page.facets.get("year", [])
    if query.year_from is not None or query.year_to is not None:
        # The histogram shows every year, so a range can be widened from where it is.
        wide_query = replace(query, year_from=None, year_to=None, page=1, per_page=1)
        wide = cached_search(wide_query, backend, version)
        year_counts = wide.facets.get("year", [])
    bars = histogram(query, year_counts)
    filtered = bool(query.filters) or query.year_from is not None or query.year_to is not None
    errors = [str(e) for errs in form.errors.values() for e in errs] if form.is_bound else []
    params = query_params(query)
    export_params = query_params(replace(query, page=1)).urlencode()
    return {
        "form": form,
        "query": query,
        "page": page,
        "params": params,
        "canonical": search_url(query),
        "errors": errors,
        "filtered": filtered,
        "facet_groups": [facet_group(query, f, page.facets.get(f, [])) for f in LIST_FACETS],
        # Groups the htmx answer leaves out: the reader's page keeps them (hx-preserve).
        "kept": kept,
        "undated": undated_value(query, page.facets.get("year", [])),
        "bars": bars,
        "range_years": sorted(
            {b.year for b in bars} | {y for y in (query.year_from, query.year_to) if y is not None}
        ),
        "chips": chips(query),
        "clear_url": search_url(without_filters(query)),
        "unfiltered_url": search_url(without_filters(replace(query, q=""))),
        "suggestion_url": (
            search_url(replace(query, q=page.suggestion, page=1)) if page.suggestion else None
        ),
        "sorts": SORT_LABELS,
        "pagination": pagination(query, page),
        "past_end": query.page > page.pages,
        "last_url": search_url(replace(query, page=page.pages)),
        "first_hit": (query.page - 1) * query.per_page + 1,
        "last_hit": (query.page - 1) * query.per_page + len(page.hits),
        "exports": [
            (
                spec.label,
                reverse("search:export", args=[fmt])
                + (f"?{export_params}" if export_params else ""),
            )
            for fmt, spec in exporting.FORMATS.items()
        ],
        "export_max": exporting.export_max(),
        "export_max_text": f"{exporting.export_max():,}",
        "feed_url": feed_url(query),
        "alert_url": search_url(replace(query, page=1), reverse("search:alert-new")),
        "hit_suffix": f"?{params.urlencode()}" if params else "",
        # The switch between one result per story and every copy, and what counts count.
        "counting": "articles" if query.all_copies else "stories",
    }
