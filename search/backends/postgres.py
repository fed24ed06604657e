"""The scale-out engine: PostgreSQL full-text search over the article table itself.

The weighted tsvector lives in a stored generated column with a GIN index (migration
0002_postgres_fulltext_search), so PostgreSQL keeps it in step with every write and app
servers hold no index state: any number of them can serve the same database. Only the
spelling vocabulary (a table of words for pg_trgm) is maintained from here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.contrib.postgres.search import SearchQuery as TsQuery
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Count, F, Func, QuerySet, TextField, Value
from django.db.models.expressions import Expression
from django.urls import reverse
from django.utils.html import escape

from search.backends import pg_schema
from search.backends.base import (
    FACETS,
    FacetCount,
    Hit,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
)
from search.backends.query_fields import FieldQuery, plain_words, split_fields
from search.models import Article
from smartcity.routers import search_database

CONFIG = pg_schema.TS_CONFIG
# Private-use characters mark the hits inside ts_headline's output, so the text around them
# can be HTML-escaped before they become <mark> tags. "<" and ">" travel as two more of them:
# ts_headline would otherwise treat plain-text "<b>" as markup and drop it.
_START, _STOP, _LT, _GT = "\ue000", "\ue001", "\ue002", "\ue003"
SNIPPET_CHARS = 300
# ts_rank_cd normalisation 1: divide by 1 + log(length), so long articles do not win by size.
RANK_NORMALISATION = 1
SUGGEST_SIMILARITY = 0.3
MLT_TERMS = 12


class _VectorColumn(Expression):
    """The generated tsvector column, which the Article model does not declare (it exists
    only on PostgreSQL). Compiled against whatever alias the article table has in the query,
    so it also works inside the subqueries that facet counts use."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.base_table
        column = connection.ops.quote_name(pg_schema.VECTOR_COLUMN)
        return f"{compiler.quote_name_unless_alias(alias)}.{column}", []


def _vector() -> _VectorColumn:
    return _VectorColumn()


def _tsquery(text: str) -> TsQuery:
    return TsQuery(text, search_type="websearch", config=CONFIG)


def mark_html(text: str) -> str:
    """Escape text for HTML, turning the sentinel pairs from ts_headline into <mark> tags."""
    return (
        escape(text)
        .replace(_START, "<mark>")
        .replace(_STOP, "</mark>")
        .replace(_LT, "&lt;")
        .replace(_GT, "&gt;")
    )


def _headline_source(field: str) -> Func:
    # "<>" become their stand-ins; stand-ins already in the text are dropped, so a body
    # holding them cannot forge <mark> tags.
    return Func(
        F(field),
        Value(f"<>{_START}{_STOP}{_LT}{_GT}"),
        Value(f"{_LT}{_GT}"),
        function="translate",
        output_field=TextField(),
    )


class PostgresBackend(SearchBackend):
    """SEARCH_BACKEND=postgres. The index_dir argument is ignored: the index is the database."""

    def __init__(self, index_dir: str | None = None) -> None:
        self.index_dir = None
        self._local = threading.local()

    # -- where ----------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        """The database this search reads from (chosen once per search, per thread)."""
        return getattr(self._local, "alias", None) or "default"

    @contextmanager
    def _reading(self):
        # One search reads one database throughout: a read replica when there are any.
        self._local.alias = search_database()
        try:
            yield
        finally:
            self._local.alias = None

    def _connection(self, alias: str | None = None):
        alias = alias or self.alias
        connection = connections[alias]
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured(
                "SEARCH_BACKEND=postgres needs a PostgreSQL database "
                f"(DATABASE_URL=postgres://...); database {alias!r} is {connection.vendor}."
            )
        return connection

    def _articles(self) -> QuerySet:
        self._connection()
        return Article.objects.using(self.alias)

    def exists(self) -> bool:
        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'search_article' AND column_name = %s",
                [pg_schema.VECTOR_COLUMN],
            )
            return cursor.fetchone() is not None

    # -- writes: the column maintains itself; only the vocabulary is ours ---------------

    def update(self, article_ids: Iterable[int]) -> None:
        ids = sorted(set(article_ids))
        if not ids:
            return
        # New words join the vocabulary; counts and words of deleted articles are refreshed
        # by rebuild(). A stale word costs nothing: a suggestion is only made when it matches.
        with self._connection("default").cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {pg_schema.VOCABULARY_TABLE} (word, ndoc)
                SELECT word, ndoc FROM ts_stat(%s)
                ON CONFLICT (word) DO NOTHING
                """,
                [_words_sql(ids)],
            )

    def rebuild(self, progress: Progress | None = None) -> int:
        with self._connection("default").cursor() as cursor:
            cursor.execute(f"TRUNCATE {pg_schema.VOCABULARY_TABLE}")
            cursor.execute(
                f"INSERT INTO {pg_schema.VOCABULARY_TABLE} (word, ndoc) "
                "SELECT word, ndoc FROM ts_stat(%s)",
                [_words_sql(None)],
            )
            cursor.execute("ANALYZE search_article")
            cursor.execute(f"ANALYZE {pg_schema.VOCABULARY_TABLE}")
            cursor.execute("SELECT count(*) FROM search_article")
            count = cursor.fetchone()[0]
        if progress:
            progress(count)
        return count

    # -- search ---------------------------------------------------------------------------

    def search(self, sq: SearchQuery) -> SearchPage:
        with self._reading():
            return self._search(sq)

    def _search(self, sq: SearchQuery) -> SearchPage:
        fq = split_fields(sq.q)
        notes = list(fq.notes)
        text = fq.text
        if text and not self._has_lexemes(text):
            notes.append(
                f"“{text}” has only very common words, which are not indexed; "
                "showing every article that matches the rest."
            )
            text = ""
        tsq = _tsquery(" ".join([text, *fq.titles]).strip()) if (text or fq.titles) else None

        matched = self._matching(tsq, fq)
        total = self._filtered(matched, sq).count()
        page_rows = self._page(self._filtered(matched, sq), sq, tsq)
        hits = self._hits(page_rows, tsq)
        facets = {facet: self._facet(matched, sq, facet) for facet in FACETS}
        suggestion = self._suggest(sq, fq) if total == 0 and fq.text else None
        return SearchPage(
            query=sq, total=total, hits=hits, facets=facets, suggestion=suggestion, notes=notes
        )

    def _has_lexemes(self, text: str) -> bool:
        with self._connection().cursor() as cursor:
            cursor.execute(
                "SELECT numnode(websearch_to_tsquery(%s::regconfig, %s)) > 0", [CONFIG, text]
            )
            return cursor.fetchone()[0]

    def _matching(self, tsq: TsQuery | None, fq: FieldQuery) -> QuerySet:
        """Articles matching the query text and its field:value terms (no facet filters)."""
        qs = self._articles()
        if tsq is not None:
            qs = qs.annotate(vector=_vector()).filter(vector=tsq)
        if fq.titles:
            # The title words are also in tsq (for ranking and highlights); here they must
            # match the title itself. The GIN index narrows first; this re-checks the rows.
            qs = qs.annotate(title_vector=SearchVector("title", config=CONFIG))
            for title in fq.titles:
                qs = qs.filter(title_vector=_tsquery(title))
        through_city = Article.cities.through.objects.using(self.alias)
        through_org = Article.organisations.through.objects.using(self.alias)
        for city in fq.cities:
            qs = qs.filter(pk__in=through_city.filter(city__name__iexact=city).values("article_id"))
        for org in fq.organisations:
            qs = qs.filter(
                pk__in=through_org.filter(organisation__name__iexact=org).values("article_id")
            )
        for lo, hi in fq.years:
            qs = qs.filter(year__gte=lo, year__lte=hi)
        return qs

    def _filtered(self, qs: QuerySet, sq: SearchQuery, skip: str | None = None) -> QuerySet:
        """Facet filters: values of one facet ORed, facets ANDed; `skip` leaves one out."""
        for facet in FACETS:
            values = sq.selected(facet)
            if facet == skip or not values:
                continue
            if facet == "year":
                qs = qs.filter(year__in=[int(v) for v in values if v.isdigit()])
            elif facet == "city":
                through = Article.cities.through.objects.using(self.alias)
                qs = qs.filter(pk__in=through.filter(city__name__in=values).values("article_id"))
            else:
                through = Article.organisations.through.objects.using(self.alias)
                qs = qs.filter(
                    pk__in=through.filter(organisation__name__in=values).values("article_id")
                )
        if sq.year_from is not None:
            qs = qs.filter(year__gte=sq.year_from)
        if sq.year_to is not None:
            qs = qs.filter(year__lte=sq.year_to)
        return qs

    def _page(self, qs: QuerySet, sq: SearchQuery, tsq: TsQuery | None) -> list[tuple[int, float]]:
        start = (sq.page - 1) * sq.per_page
        if sq.sort == "newest":
            qs = qs.order_by(F("published_date").desc(nulls_last=True), "-id")
        elif sq.sort == "oldest":
            qs = qs.order_by(F("published_date").asc(nulls_last=True), "id")
        elif tsq is not None:
            qs = qs.annotate(
                rank=SearchRank(
                    _vector(), tsq, cover_density=True, normalization=Value(RANK_NORMALISATION)
                )
            ).order_by("-rank", F("published_date").desc(nulls_last=True), "-id")
        else:
            qs = qs.order_by(F("published_date").desc(nulls_last=True), "-id")
        if tsq is not None and sq.sort == "relevance":
            return list(qs.values_list("id", "rank")[start : start + sq.per_page])
        return [(pk, 0.0) for pk in qs.values_list("id", flat=True)[start : start + sq.per_page]]

    def _hits(self, page_rows: list[tuple[int, float]], tsq: TsQuery | None) -> list[Hit]:
        """Highlights for one page of hits only: ts_headline is the costly part."""
        if not page_rows:
            return []
        ids = [pk for pk, _ in page_rows]
        qs = (
            self._articles()
            .filter(pk__in=ids)
            .prefetch_related("cities", "organisations")
            .order_by()
        )
        if tsq is not None:
            qs = qs.annotate(
                snippet_raw=SearchHeadline(
                    _headline_source("body"),
                    tsq,
                    config=CONFIG,
                    start_sel=_START,
                    stop_sel=_STOP,
                    max_fragments=2,
                    max_words=30,
                    min_words=12,
                    fragment_delimiter=" … ",
                ),
                title_raw=SearchHeadline(
                    _headline_source("title"),
                    tsq,
                    config=CONFIG,
                    start_sel=_START,
                    stop_sel=_STOP,
                    highlight_all=True,
                ),
            )
        by_id = {a.pk: a for a in qs}
        hits = []
        for pk, score in page_rows:
            a = by_id.get(pk)
            if a is None:  # deleted between the two queries
                continue
            if tsq is not None:
                snippet, title_html = mark_html(a.snippet_raw), mark_html(a.title_raw)
            else:
                snippet, title_html = escape(a.body[:SNIPPET_CHARS]), escape(a.title)
            hits.append(
                Hit(
                    id=a.pk,
                    score=float(score),
                    title=a.title,
                    title_html=title_html,
                    snippet=snippet,
                    url=reverse("search:article", kwargs={"pk": a.pk, "slug": a.slug or "article"}),
                    date=a.published_date,
                    year=a.year,
                    source=a.source_name,
                    cities=tuple(c.name for c in a.cities.all()),
                    organisations=tuple(o.name for o in a.organisations.all()),
                )
            )
        return hits

    def _facet(self, matched: QuerySet, sq: SearchQuery, facet: str) -> list[FacetCount]:
        """Counts with every other facet's filters applied but not this one's (disjunctive)."""
        ids = self._filtered(matched, sq, skip=facet).values("pk")
        if facet == "year":
            rows = (
                self._articles()
                .filter(pk__in=ids, year__isnull=False)
                .values_list("year")
                .annotate(n=Count("pk"))
                .order_by()
            )
        else:
            relation = Article.cities if facet == "city" else Article.organisations
            name = "city__name" if facet == "city" else "organisation__name"
            rows = (
                relation.through.objects.using(self.alias)
                .filter(article_id__in=ids)
                .values_list(name)
                .annotate(n=Count("article_id"))
                .order_by()
            )
        counts = {str(value): n for value, n in rows}
        selected = set(sq.selected(facet))
        for value in selected:
            counts.setdefault(value, 0)
        if facet == "year":
            ordered = sorted(counts.items(), reverse=True)
        else:
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [FacetCount(v, c, v in selected) for v, c in ordered]

    # -- suggestions ----------------------------------------------------------------------

    def _suggest(self, sq: SearchQuery, fq: FieldQuery) -> str | None:
        """A spelling that finds something: each unknown word swapped for its nearest
        vocabulary word by trigram similarity, offered only when the new query matches."""
        words = plain_words(fq.text)
        if not words:
            return None
        suggestion = sq.q
        changed = False
        with self._connection().cursor() as cursor:
            for word in words:
                cursor.execute(
                    f"SELECT 1 FROM {pg_schema.VOCABULARY_TABLE} WHERE word = lower(unaccent(%s))",
                    [word],
                )
                if cursor.fetchone():
                    continue
                cursor.execute(
                    f"""
                    SELECT word FROM {pg_schema.VOCABULARY_TABLE}
                    WHERE word %% lower(unaccent(%s))
                      AND similarity(word, lower(unaccent(%s))) >= %s
                    ORDER BY similarity(word, lower(unaccent(%s))) DESC, ndoc DESC, word
                    LIMIT 1
                    """,
                    [word, word, SUGGEST_SIMILARITY, word],
                )
                row = cursor.fetchone()
                if row:
                    suggestion = re.sub(
                        rf"(?<!\w){re.escape(word)}(?!\w)", row[0], suggestion, count=1
                    )
                    changed = True
        if not changed:
            return None
        check = split_fields(suggestion)
        if not check.text or not self._has_lexemes(check.text):
            return None
        probe = self._matching(_tsquery(check.text), check)
        return suggestion if self._filtered(probe, sq).exists() else None

    # -- more like this -------------------------------------------------------------------

    def more_like_this(self, article_id: int, limit: int = 5) -> Sequence[Hit]:
        """Articles sharing this one's most distinctive words (tf x idf over the vocabulary)."""
        with self._reading():
            return self._more_like_this(article_id, limit)

    def _more_like_this(self, article_id: int, limit: int) -> Sequence[Hit]:
        with self._connection().cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_article")
            n_docs = cursor.fetchone()[0]
            cursor.execute(
                f"""
                SELECT s.word
                FROM ts_stat(%s) AS s
                LEFT JOIN {pg_schema.VOCABULARY_TABLE} v ON v.word = s.word
                WHERE length(s.word) > 2 AND s.word ~ '^[[:alpha:]]+$'
                ORDER BY s.nentry * ln((%s + 1.0) / (coalesce(v.ndoc, 0) + 1.0)) DESC, s.word
                LIMIT %s
                """,
                [_positions_sql(article_id), n_docs, MLT_TERMS * 2],
            )
            words = [row[0] for row in cursor.fetchall()]
        if not words:
            return []
        # to_tsquery applies the same stemming and stop words as the index; words stay
        # alphabetic (checked above), so they cannot carry tsquery operators.
        tsq = TsQuery(" | ".join(words[:MLT_TERMS]), search_type="raw", config=CONFIG)
        rows = (
            self._articles()
            .exclude(pk=article_id)
            .annotate(vector=_vector())
            .filter(vector=tsq)
            .annotate(rank=SearchRank(_vector(), tsq, normalization=Value(RANK_NORMALISATION)))
            .order_by("-rank", "-id")
            .values_list("id", "rank")[:limit]
        )
        return self._hits(list(rows), None)


def _words_sql(ids: list[int] | None) -> str:
    """SQL for ts_stat: the unstemmed, accent-folded words of some articles (all when None)."""
    where = f" WHERE id IN ({','.join(str(int(i)) for i in ids)})" if ids is not None else ""
    return (
        "SELECT to_tsvector('simple', unaccent(coalesce(title, '') || ' ' || coalesce(body, '')))"
        f" FROM search_article{where}"
    )


def _positions_sql(article_id: int) -> str:
    return (
        "SELECT to_tsvector('simple', unaccent(coalesce(title, '') || ' ' || coalesce(body, '')))"
        f" FROM search_article WHERE id = {int(article_id)}"
    )
