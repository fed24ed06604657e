"""The search contract: one query object in, one result page out, whatever the engine.

Views and templates use only what is defined here; engines live beside this module and are
chosen by the SEARCH_BACKEND setting.
"""

from __future__ import annotations

import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
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


def hit_for(
    article,
    *,
    score: float,
    title_html: str,
    snippet: str,
    cities: Sequence[str] | None = None,
    organisations: Sequence[str] | None = None,
) -> Hit:
    """A result row for an Article as an engine found it; its cities and organisations are
    prefetched, or their names (in name order) are given."""
    if cities is None:
        cities = [c.name for c in article.cities.all()]
    if organisations is None:
        organisations = [o.name for o in article.organisations.all()]
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
        cities=tuple(cities),
        organisations=tuple(organisations),
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

# Facets whose values can be counted by value_counts / paired by cooccurrence.
TALLY_FACETS = ("city", "organisation", "source")
PAIR_FACETS = ("city", "organisation")
MAX_PAIR_VALUES = 50


@dataclass(frozen=True)
class Timeline:
    """Matching articles over time. Articles with a year but no full date count in `years`
    only; undated ones in neither."""

    total: int
    years: dict[int, int]  # year -> articles, ascending
    months: dict[str, int]  # "YYYY-MM" -> articles, ascending

    @property
    def undated(self) -> int:
        return self.total - sum(self.years.values())


def ranked_values(counts: dict[str, int], limit: int) -> list[tuple[str, int]]:
    """The one order of values for every engine: most articles first, then by code point
    (PostgreSQL sorts the same way with COLLATE "C")."""
    rows = sorted(((v, n) for v, n in counts.items() if n > 0), key=lambda r: (-r[1], r[0]))
    return rows[: max(0, limit)]


@dataclass(frozen=True)
class Pair:
    row: str
    col: str
    count: int


@dataclass(frozen=True)
class Overview:
    """What an entity page shows of one query, asked at once (SearchBackend.overview)."""

    timeline: Timeline  # the query's
    archive: Timeline  # the whole archive's, for shares
    values: dict[str, list[FacetCount]]  # per TALLY_FACETS facet asked for
    newest: list[Hit]  # the newest matches, newest first


@dataclass(frozen=True)
class Cooccurrence:
    row_facet: str
    col_facet: str
    total: int  # articles matching the query
    rows: list[FacetCount]  # the top values of row_facet, with their article counts
    cols: list[FacetCount]
    cells: dict[tuple[str, str], int]  # (row value, col value) -> articles naming both

    def count(self, row: str, col: str) -> int:
        return self.cells.get((row, col), 0)

    def pairs(self) -> list[Pair]:
        """Every pair with articles, strongest first; a value is not paired with itself and,
        within one facet, each pair appears once."""
        same = self.row_facet == self.col_facet
        out = [Pair(r, c, n) for (r, c), n in self.cells.items() if n > 0 and not (same and r >= c)]
        out.sort(key=lambda p: (-p.count, p.row, p.col))
        return out


class IndexUnavailable(RuntimeError):
    """The index cannot be searched (e.g. it is missing while the database has articles).

    Served as a 503 naming the cause (search.middleware), never as an empty result."""


class SearchBackend(ABC):
    """One search engine. Writes are called after the database transaction commits."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchPage: ...

    @abstractmethod
    def update(self, article_ids: Iterable[int], wait: float | None = None) -> bool:
        """Bring these articles' index entries in line with the database (deleted ones go),
        waiting at most `wait` seconds for the index (None: the engine's default).

        Returns False when the write may not last (a rebuild is running and will replace
        the index it went into): the caller keeps the ids journalled (search.indexing)."""

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

    # -- aggregates over every article a query matches (entity, compare and pair pages) ---
    # Each counts the articles matching the whole query, its own facet filters included
    # (unlike SearchPage.facets, which leave out each facet's own filter).

    @abstractmethod
    def timeline(self, query: SearchQuery) -> Timeline:
        """Matching articles per year and per month."""

    @abstractmethod
    def value_counts(self, query: SearchQuery, facet: str, limit: int) -> list[FacetCount]:
        """The `limit` most frequent values of a TALLY_FACETS facet among the matches."""

    @abstractmethod
    def cooccurrence(
        self, query: SearchQuery, row_facet: str, col_facet: str, limit: int
    ) -> Cooccurrence:
        """How many matching articles carry each pair of the `limit` most frequent values of
        two facets (the same facet twice for organisation-organisation pairs)."""

    def cooccurrences(
        self, query: SearchQuery, pairs: Sequence[tuple[str, str]], limit: int
    ) -> list[Cooccurrence]:
        """cooccurrence() of each (row facet, column facet) of one query (the pairs page),
        for engines that can share the matching between them."""
        return [self.cooccurrence(query, row, col, limit) for row, col in pairs]

    def timelines(self, queries: Sequence[SearchQuery]) -> list[Timeline]:
        """timeline() of each query (a comparison page), for engines that can share the
        work of several."""
        return [self.timeline(query) for query in queries]

    def overview(self, query: SearchQuery, tallies: dict[str, int], newest: int) -> Overview:
        """The query's timeline beside the archive's, the `tallies[facet]` most frequent
        values of some facets, and the `newest` newest matches: the same answers as
        timeline, value_counts and a search by date. An engine that can compute them in
        one pass over the matches overrides this."""
        return Overview(
            timeline=self.timeline(query),
            archive=self.timeline(SearchQuery()),
            values={f: self.value_counts(query, f, n) for f, n in tallies.items()},
            newest=list(self.search(replace(query, sort="newest", page=1, per_page=newest)).hits),
        )

    # True when searches read the database's own state, so a saved article is searchable
    # as soon as its transaction commits, whatever the indexer does.
    searches_database = False

    @abstractmethod
    def count(self) -> int:
        """How many articles the index holds (for `manage.py index_status`)."""

    @abstractmethod
    def identity(self) -> str:
        """What a reader sees now: changes with every index commit and every rebuild, so
        it can key caches and ETags. Cheap enough to call once per request."""

    def suggestion_count(self, sq: SearchQuery, text: str) -> int:
        """How many articles a suggested query text finds with the searcher's filters: for a
        ranked query, those holding every word (what suggest.suggest compares).

        Engines with a suggestion define `_search(sq, parsed, with_suggestion)` returning
        (the page, how many hold every word or None)."""
        page, complete = self._search(
            replace(sq, q=text, page=1, per_page=1), parse_query(text), with_suggestion=False
        )
        return complete if complete is not None else page.total

    def marks(self, q: str):
        """What the query matches in a text, for highlight.title_html / body_html."""
        from search.engines import highlight

        return highlight.marks_for(parse_query(q))


_DOCUMENT_FIELDS = (
    "id",
    "title",
    "body",
    "source_name",
    "published_date",
    "year",
    "is_representative",
    "language",
)


def documents(
    article_ids: Iterable[int] | None = None, id_range: tuple[int, int] | None = None
) -> Iterable[IndexDoc]:
    """IndexDocs from the database, streamed in id order (all articles when ids is None),
    optionally only those with first <= id <= last for id_range=(first, last).

    Plain rows, 500 articles at a time, with their names by two queries per chunk: a model
    per article and per name (prefetch_related) took 8 x as long, a tenth of a rebuild."""
    from search.models import Article

    articles = Article.objects.order_by("id")
    if article_ids is not None:
        articles = articles.filter(id__in=list(article_ids))
    if id_range is not None:
        articles = articles.filter(id__gte=id_range[0], id__lte=id_range[1])
    after = None
    while True:
        chunk = articles if after is None else articles.filter(id__gt=after)
        rows = list(chunk.values_list(*_DOCUMENT_FIELDS)[:500])
        if not rows:
            return
        after = rows[-1][0]
        ids = [row[0] for row in rows]
        names = {i: ([], []) for i in ids}
        for side, (through, name) in enumerate(
            [
                (Article.cities.through, "city__name"),
                (Article.organisations.through, "organisation__name"),
            ]
        ):
            found = through.objects.filter(article_id__in=ids).order_by("article_id", name)
            for article_id, value in found.values_list("article_id", name):
                names[article_id][side].append(value)
        for id_, title, body, source, date, year, representative, language in rows:
            cities, organisations = names[id_]
            yield IndexDoc(
                id=id_,
                title=title,
                body=body,
                source=source,
                date=date,
                year=year,
                cities=tuple(cities),
                organisations=tuple(organisations),
                is_representative=representative,
                language=language,
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


def parse_query(text: str):
    """The query tree of a query text, with facet values made canonical (every engine)."""
    from search import facet_names
    from search.engines import query as qt

    return facet_names.canonical_tree(qt.parse(text))
