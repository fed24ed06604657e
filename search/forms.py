"""GET parameters -> SearchQuery, with validation that never turns bad input into a 500."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from search.engines.base import MAX_PER_PAGE, SORTS, UNDATED, SearchQuery
from search.engines.query import BUDGET
from search.facet_names import canonical_filters

MAX_QUERY_CHARS = BUDGET.max_chars
# What the form keeps of q: the parser cuts at a word boundary below MAX_QUERY_CHARS and says so.
MAX_QUERY_CHARS_KEPT = 4 * MAX_QUERY_CHARS
MAX_PAGE = 10_000
# Parameter name in URLs -> facet name in the search contract.
FACET_PARAMS = {
    "year": "year",
    "city": "city",
    "org": "organisation",
    "source": "source",
    "lang": "language",
}


def _year(value: str) -> bool:
    return (value.isdigit() and len(value) == 4) or value == UNDATED


class ExportForm(forms.Form):
    """How much of each article's text goes into a CSV or JSON export."""

    text = forms.ChoiceField(
        required=False,
        choices=[("none", "none"), ("snippet", "snippet"), ("full", "full")],
        error_messages={"invalid_choice": "text must be none, snippet or full, not %(value)s"},
    )

    def clean_text(self) -> str:
        return self.cleaned_data.get("text") or "none"


class SearchForm(forms.Form):
    q = forms.CharField(required=False, strip=True)
    year_from = forms.IntegerField(required=False, min_value=1000, max_value=9999)
    year_to = forms.IntegerField(required=False, min_value=1000, max_value=9999)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS])
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.IntegerField(required=False, min_value=1)
    # "all": every syndicated copy is a result; absent: one result per story.
    copies = forms.ChoiceField(required=False, choices=[("", "one per story"), ("all", "all")])

    def __init__(self, data: QueryDict, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        # Repeated parameters (city=Wuxi&city=Nanjing); duplicates and blanks dropped, order kept.
        self.facet_values = {
            facet: tuple(dict.fromkeys(v.strip() for v in data.getlist(param) if v.strip()))
            for param, facet in FACET_PARAMS.items()
        }

    def clean(self):
        cleaned = super().clean()
        bad = [v for v in self.facet_values["year"] if not _year(v)]
        if bad:
            self.add_error(
                None, f"year must be a four-digit year or {UNDATED}, not {bad[0][:20]!r}"
            )
        lo, hi = cleaned.get("year_from"), cleaned.get("year_to")
        if lo and hi and lo > hi:
            cleaned["year_from"], cleaned["year_to"] = hi, lo
        return cleaned

    def to_query(self) -> SearchQuery:
        """The query of the valid parameters; an invalid one falls back to its default."""
        self.is_valid()
        data = self.cleaned_data
        filters = canonical_filters(dict(self.facet_values))
        filters["year"] = tuple(v for v in filters["year"] if _year(v))
        return SearchQuery(
            # A query is words typed by a person; anything longer is cut (at a word
            # boundary, with a note, by the parser), not refused.
            q=(data.get("q") or "")[:MAX_QUERY_CHARS_KEPT],
            filters={facet: values for facet, values in filters.items() if values},
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
            sort=data.get("sort") or "relevance",
            page=min(data.get("page") or 1, MAX_PAGE),
            per_page=min(data.get("per_page") or 10, MAX_PER_PAGE),
            all_copies=data.get("copies") == "all",
        )
