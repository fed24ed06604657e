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
from dataclasses import replace

from django.contrib.postgres.search import SearchQuery as TsQuery
from django.contrib.postgres.search import (
    SearchRank,
    SearchVectorField,
)
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.models import QuerySet, Value
from django.db.models.expressions import Expression
from django.utils.html import escape

from search.engines.base import (
    FACETS,
    FacetCount,
    Hit,
    MatchedIds,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
    hit_for,
    ordered_counts,
)
from search.engines.postgres import schema as pg_schema
from search.engines.postgres import sql as pg_sql
from search.engines.query_fields import (
    FieldQuery,
    TextQuery,
    plain_words,
    split_fields,
    websearch_parts,
)
from search.models import Article
from smartcity.routers import search_database

CONFIG = pg_schema.TS_CONFIG
# Private-use characters mark the hits inside ts_headline's output, so the text around them
# can be HTML-escaped before they become <mark> tags. "<" and ">" travel as two more of them:
# ts_headline would otherwise treat plain-text "<b>" as markup and drop it.
_START, _STOP, _LT, _GT = "\ue000", "\ue001", "\ue002", "\ue003"
SNIPPET_CHARS = 300
RANK_NORMALISATION = pg_sql.RANK_NORMALISATION
SUGGEST_SIMILARITY = 0.3
ALL_ROWS = 2**62  # a LIMIT that keeps every row
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


def mark_html(text: str) -> str:
    """Escape text for HTML, turning the sentinel pairs from ts_headline into <mark> tags."""
    return (
        escape(text)
        .replace(_START, "<mark>")
        .replace(_STOP, "</mark>")
        .replace(_LT, "&lt;")
        .replace(_GT, "&gt;")
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
            with transaction.atomic(using=self.alias):
                with self._connection().cursor() as cursor:
                    # The planner prices `tsvector @@ tsquery` as cheap, but each test
                    # detoasts a ~2 kB vector: for queries matching a fifth of 100k articles
                    # it chose a sequential scan that took 1.4 s where the GIN bitmap scan
                    # took 0.17 s. JIT compiling such queries only adds latency.
                    cursor.execute("SET LOCAL enable_seqscan = off")
                    cursor.execute("SET LOCAL jit = off")
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

    def _prepare(self, sq: SearchQuery):
        """(where, facet flags, tsquery, parsed fields, notes) of a query."""
        fq = split_fields(sq.q)
        notes = list(fq.notes)
        # Title words take part in ranking and highlighting as well as in the title filter.
        tq = websearch_parts(" ".join([fq.text, *fq.titles]))
        if tq.note:
            notes.append(tq.note)
        tsquery = self._compile(tq)
        if tq.text and tsquery is None and not tq.note:
            notes.append(
                f"“{fq.text}” has only very common words, which are not indexed; "
                "showing every article that matches the rest."
            )
        where = pg_sql.match_where(tsquery, fq, sq)
        return where, pg_sql.facet_flags(sq), tsquery, fq, notes

    def all_ids(self, sq: SearchQuery, limit: int | None = None) -> MatchedIds:
        with self._reading():
            where, flags, tsquery, _, _ = self._prepare(sq)
            every = replace(sq, page=1, per_page=ALL_ROWS)
            statement = pg_sql.page(where, flags, tsquery, every)
            # The window counts every match while the outer LIMIT keeps only what is wanted:
            # one run of the query gives both, in the inner ORDER BY's order.
            sql = f"SELECT s.id, count(*) OVER () FROM ({statement.sql}) s LIMIT %s"
            # At least one row, which carries the count.
            wanted = ALL_ROWS if limit is None else max(limit, 1)
            with self._connection().cursor() as cursor:
                cursor.execute(sql, [*statement.params, wanted])
                rows = cursor.fetchall()
        total = int(rows[0][1]) if rows else 0
        return MatchedIds(total, [int(pk) for pk, _ in rows[:limit]])

    def _search(self, sq: SearchQuery) -> SearchPage:
        where, flags, tsquery, fq, notes = self._prepare(sq)
        ranked = tsquery is not None and sq.sort == "relevance"
        total, facets, page_rows = self._counts(
            where, flags, sq, pg_sql.ranked_hits(tsquery, sq) if ranked else None
        )
        if not ranked:  # by date: the newest-first index finds the page without the counts
            with self._connection().cursor() as cursor:
                statement = pg_sql.page(where, flags, None, sq)
                cursor.execute(statement.sql, statement.params)
                page_rows = [(pk, 0.0) for pk, _ in cursor.fetchall()]
        hits = self._hits(page_rows, tsquery)
        suggestion = self._suggest(sq, fq) if total == 0 and fq.text else None
        return SearchPage(
            query=sq, total=total, hits=hits, facets=facets, suggestion=suggestion, notes=notes
        )

    def _compile(self, tq: TextQuery) -> str | None:
        """The tsquery literal for the query text, or None when it has no indexed words."""
        if not tq.text and not tq.prefixes and not tq.fuzzy:
            return None
        statement = pg_sql.compile_tsquery(tq)
        with self._connection().cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            return cursor.fetchone()[0]

    def _counts(self, where, flags, sq: SearchQuery, ranked_page=None):
        """The total, the facet counts and (when ranking) the page's (id, score) rows."""
        statement = pg_sql.counts(where, flags, ranked_page)
        with self._connection().cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            rows = cursor.fetchall()
        total = 0
        found: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        hits: list[tuple[int, float]] = []
        for kind, value, n, score in rows:
            if kind == "total":
                total = n
            elif kind == "hit":
                hits.append((int(value), float(score)))
            else:
                found[kind][value] = n
        # UNION ALL keeps each branch's rows in order; sorted again only to be explicit.
        hits.sort(key=lambda hit: -hit[1])
        facets = {facet: _facet_counts(facet, found[facet], sq) for facet in FACETS}
        return total, facets, hits

    def _hits(self, page_rows: list[tuple[int, float]], tsquery: str | None) -> list[Hit]:
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
        marked: dict[int, tuple[str, str]] = {}
        if tsquery is not None:
            statement = pg_sql.headlines(ids, tsquery, _START, _STOP, _LT, _GT)
            with self._connection().cursor() as cursor:
                cursor.execute(statement.sql, statement.params)
                marked = {pk: (mark_html(t), mark_html(b)) for pk, t, b in cursor.fetchall()}
        by_id = {a.pk: a for a in qs}
        hits = []
        for pk, score in page_rows:
            a = by_id.get(pk)
            if a is None:  # deleted between the two queries
                continue
            if pk in marked:
                title_html, snippet = marked[pk]
            else:
                snippet, title_html = escape(a.body[:SNIPPET_CHARS]), escape(a.title)
            hits.append(hit_for(a, score=float(score), title_html=title_html, snippet=snippet))
        return hits

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
        tsquery = self._compile(websearch_parts(" ".join([check.text, *check.titles])))
        if tsquery is None:
            return None
        statement = pg_sql.exists(pg_sql.match_where(tsquery, check, sq), pg_sql.facet_flags(sq))
        with self._connection().cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            return suggestion if cursor.fetchone()[0] else None

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


def _facet_counts(facet: str, counts: dict[str, int], sq: SearchQuery) -> list[FacetCount]:
    return ordered_counts(facet, counts, sq.selected(facet))
