"""The search contract: one query object in, one result page out, whatever the engine.

Views and templates use only what is defined here; engines live beside this module and are
chosen by the SEARCH_BACKEND setting.
"""

from __future__ import annotations

import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

# Every engine counts and filters by these facets; year, source and language are one value
# per article, city and organisation several.
FACETS = ("year", "city", "organisation", "source", "language")
# The year facet's value for articles without a year.
UNDATED = "undated"
# "added": the newest additions to the archive first (feeds and alerts follow a search so).
SORTS = ("relevance", "newest", "oldest", "added")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    # Facet name -> selected values; values of one facet are ORed, facets are ANDed.
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    # False: one result per story (copies of it hidden; counts count stories). True: every
    # copy is a result and counts count copies.
    all_copies: bool = False

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.filters.get(facet, ())


@dataclass(frozen=True)
class IndexDoc:
    """What an engine needs to know of one article."""

    id: int
    title: str
    body: str
    source: str
    date: dt.date | None
    year: int | None
    cities: tuple[str, ...]
    organisations: tuple[str, ...]
    # False for a syndicated copy whose story is shown through another article.
    is_representative: bool = True
    language: str = ""


@dataclass
class Hit:
    id: int
    score: float
    title: str  # plain text
    title_html: str  # HTML: escaped, query terms in <mark>
    snippet: str  # HTML: escaped, query terms in <mark>
    url: str
    date: dt.date | None
    year: int | None
    source: str
    cities: tuple[str, ...]
    organisations: tuple[str, ...]
    copy_group: int | None = None
    # The story's other articles (search.copies.CopyRef), filled by search.copies.attach_copies.
    copies: tuple = ()
    source_url: str = ""  # the original article on the web
    language: str = ""


def hit_for(article, *, score: float, title_html: str, snippet: str) -> Hit:
    """A result row for an Article (cities and organisations prefetched) as an engine found it."""
    return Hit(
        id=article.pk,
        score=score,
        title=article.title,
        title_html=title_html,
        snippet=snippet,
        url=article.get_absolute_url(),
        date=article.published_date,
        year=article.year,
        source=article.source_name,
        cities=tuple(c.name for c in article.cities.all()),
        organisations=tuple(o.name for o in article.organisations.all()),
        copy_group=article.copy_group_id,
        source_url=article.source_url,
        language=article.language,
    )


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int
    selected: bool


def ordered_counts(facet: str, counts: dict[str, int], selected: Iterable[str]) -> list[FacetCount]:
    """A facet's values as every engine lists them: selected ones always (0 when nothing
    matches), years newest first with "undated" last, other facets by count, then name."""
    selected = set(selected)
    counts = dict(counts)
    for value in selected:
        counts.setdefault(value, 0)
    if facet == "year":
        ordered = sorted(counts.items(), key=lambda kv: (kv[0] != UNDATED, kv[0]), reverse=True)
    else:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))
    return [FacetCount(v, c, v in selected) for v, c in ordered]


@dataclass(frozen=True)
class MatchedIds:
    """Every article matching a query, in the query's order, from one run of it."""

    total: int
    ids: Sequence[int]  # at most the limit asked for


@dataclass
class SearchPage:
    query: SearchQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    suggestion: str | None = None
    # Messages for the reader, e.g. that a malformed query was read as plain words.
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))


Progress = Callable[[int], None]


class SearchBackend(ABC):
    """One search engine. Writes are called after the database transaction commits."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchPage: ...

    @abstractmethod
    def update(self, article_ids: Iterable[int]) -> None:
        """Bring these articles' index entries in line with the database (deleted ones go)."""

    @abstractmethod
    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the database; returns the number of articles."""

    @abstractmethod
    def more_like_this(self, article_id: int, limit: int = 5) -> Sequence[Hit]: ...

    @abstractmethod
    def all_ids(self, query: SearchQuery, limit: int | None = None) -> MatchedIds:
        """The ids of every match in the query's sort order (page and per_page ignored),
        up to `limit`, and the total: exports and feeds read all of a result set this way
        instead of re-running the query once per page."""

    def exists(self) -> bool:
        """Whether there is an index to search (engines inside the database always have one)."""
        return True


def documents(article_ids: Iterable[int] | None = None) -> Iterable[IndexDoc]:
    """IndexDocs from the database, streamed in id order (all articles when ids is None)."""
    from search.models import Article

    articles = Article.objects.order_by("id").prefetch_related("cities", "organisations")
    if article_ids is not None:
        articles = articles.filter(id__in=list(article_ids))
    for a in articles.iterator(chunk_size=500):
        yield IndexDoc(
            id=a.id,
            title=a.title,
            body=a.body,
            source=a.source_name,
            date=a.published_date,
            year=a.year,
            cities=tuple(c.name for c in a.cities.all()),
            organisations=tuple(o.name for o in a.organisations.all()),
            is_representative=a.is_representative,
            language=a.language,
        )


ENGINES = {
    "whoosh": "search.engines.whoosh.backend.WhooshBackend",
    "postgres": "search.engines.postgres.backend.PostgresBackend",
}


@cache
def _backend(name: str, index_dir: str) -> SearchBackend:
    return import_string(ENGINES[name])(index_dir)


def get_backend() -> SearchBackend:
    """The configured engine, one instance per process and configuration."""
    name = settings.SEARCH_BACKEND
    if name not in ENGINES:
        raise ValueError(f"SEARCH_BACKEND={name!r}; expected one of {', '.join(ENGINES)}")
    return _backend(name, str(settings.SEARCH_INDEX_DIR))
