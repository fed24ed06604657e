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
from functools import partial

from django.conf import settings
from django.contrib.postgres.search import SearchQuery as TsQuery
from django.contrib.postgres.search import (
    SearchRank,
    SearchVectorField,
)
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet, Value
from django.db.models.expressions import Expression
from psycopg.errors import QueryCanceled

from search.engines import analysis, highlight, suggest
from search.engines import query as qt
from search.engines.base import (
    FACETS,
    MAX_PAIR_VALUES,
    PAIR_FACETS,
    TALLY_FACETS,
    Cooccurrence,
    FacetCount,
    Hit,
    MatchedIds,
    Overview,
    Progress,
    SearchBackend,
    SearchPage,
    SearchQuery,
    Timeline,
    hit_for,
    ordered_counts,
    parse_query,
    ranked_values,
)
from search.engines.postgres import aggregate as pg_aggregate
from search.engines.postgres import champions as pg_champions
from search.engines.postgres import facets as pg_facets
from search.engines.postgres import schema as pg_schema
from search.engines.postgres import sql as pg_sql
from search.models import Article
from smartcity.routers import search_database

CONFIG = pg_schema.TS_CONFIG
SNIPPET_CHARS = 300
# more-like-this ranks with ts_rank_cd, normalised by 1 + log(length).
RANK_NORMALISATION = 1
SUGGEST_SIMILARITY = 0.3
DF_CACHE_WORDS = 50_000
_LEXEME_RE = re.compile(r"'((?:[^']|'')*)'")
ALL_ROWS = 2**62  # a LIMIT that keeps every row
MLT_TERMS = 12
# With the RUM index, a ranked page is the exact score's best of this many matches in the
# index's rank order: exact when a query matches no more (see sql.ranked_candidates).
RUM_CANDIDATES = 300
# A ranked page of a query mixing rare and common words scores the articles holding its
# rarest words, while they are at most this many (see _rare_words).
RARE_POOL = 2000
AVERAGES = " averages"  # the df cache's entry for the average lengths (never a lexeme)
# Document frequencies are counted again once this share of the archive's articles has been
# added or deleted since (see _statistics).
DF_DRIFT = 0.01


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


class PostgresBackend(SearchBackend):
    """SEARCH_BACKEND=postgres. The index_dir argument is ignored: the index is the database."""

    def __init__(self, index_dir: str | None = None) -> None:
        self.index_dir = None
        self._local = threading.local()
        # Per database: ((rows, highest id) when counted, lexeme -> (title df, body df)).
        self._df_cache: dict[str, tuple[tuple[int, int], dict]] = {}
        self._has_rum: dict[str, bool] = {}
        # Per database: (data version, (rows, highest id)) of the article table when last
        # counted (_table_size).
        self._sizes: dict[str, tuple[list[int], tuple[int, int]]] = {}
        # This process's copy of the facet columns, per database (facets.py).
        self._facet_columns = pg_facets.FacetColumns()

    # -- where ----------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        """The database this search reads from (chosen once per search, per thread). Asked
        outside a search (the cache asks which state it would read), a replica too: a page
        cached under the primary's state while the replica lags would outlive the lag."""
        return getattr(self._local, "alias", None) or search_database()

    @contextmanager
    def _reading(self, parsed: qt.ParsedQuery | None = None):
        # One search reads one database throughout: a read replica when there are any.
        self._local.alias = search_database()
        self._local.matches = {}  # never kept from one search to the next (a write between)
        try:
            with transaction.atomic(using=self.alias):
                with self._connection().cursor() as cursor:
                    # The planner prices `tsvector @@ tsquery` as cheap, but each test
                    # detoasts a ~2 kB vector: for queries matching a fifth of 100k articles
                    # it chose a sequential scan that took 1.4 s where the GIN bitmap scan
                    # took 0.17 s. Only where words are matched: counts of facets and dates
                    # alone (entity pages, the archive's timeline) join and group whole
                    # tables, which sequential scans and hash joins do best.
                    seqscan = "off" if parsed is None or _matches_text(parsed.tree) else "on"
                    # JIT compiling such queries only adds latency. Every search statement is
                    # bounded: a query that would run longer is cancelled and answered with
                    # a note (search() catches QueryCanceled). One round trip for all three.
                    cursor.execute(
                        "SELECT set_config('enable_seqscan', %s, true), "
                        "set_config('jit', 'off', true), "
                        "set_config('statement_timeout', %s, true)",
                        [seqscan, f"{int(settings.SEARCH_TIMEOUT_MS)}ms"],
                    )
                yield
        finally:
            self._local.alias = None
            self._local.matches = {}

    def _connection(self, alias: str | None = None):
        alias = alias or self.alias
        connection = connections[alias]
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured(
                "SEARCH_BACKEND=postgres needs a PostgreSQL database "
                f"(DATABASE_URL=postgres://...); database {alias!r} is {connection.vendor}."
            )
        return connection

    def uses_rum(self) -> bool:
        """Whether ranked pages come from the RUM index: when this database has it (the
        migration makes it where the extension is installed) and SEARCH_POSTGRES_RUM is not
        "off"; else every match is scored exactly, with GIN finding them."""
        if settings.SEARCH_POSTGRES_RUM == "off":
            return False
        alias = self.alias
        if alias not in self._has_rum:
            with self._connection(alias).cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_indexes WHERE indexname = %s", [pg_schema.RUM_INDEX]
                )
                self._has_rum[alias] = cursor.fetchone() is not None
        return self._has_rum[alias]

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

    searches_database = True

    def count(self) -> int:
        with self._connection("default").cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM search_article WHERE {pg_schema.VECTOR_COLUMN} IS NOT NULL"
            )
            return cursor.fetchone()[0]

    def identity(self, alias: str = "default") -> str:
        """The article table's state: any insert, change or delete moves one of these."""
        with self._connection(alias).cursor() as cursor:
            cursor.execute("SELECT count(*), max(updated), max(id) FROM search_article")
            count, updated, top = cursor.fetchone()
        stamp = f"{updated.timestamp():.6f}" if updated else "0"
        return f"pg.{count}.{top or 0}.{stamp}"

    def update(self, article_ids: Iterable[int], wait: float | None = None) -> bool:
        ids = sorted(set(article_ids))
        if not ids:
            return True
        self._write_cjk(ids)
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
            pg_champions.add(cursor, ids)
        return True

    def rebuild(self, progress: Progress | None = None) -> int:
        # One transaction: a search meanwhile sees the old vocabulary, never an empty one,
        # and a failed rebuild keeps it. DELETE, not TRUNCATE: TRUNCATE's exclusive lock
        # would make every search wait for the rebuild instead of reading the old rows.
        connection = self._connection("default")
        self._write_cjk(None)
        with transaction.atomic(using="default"), connection.cursor() as cursor:
            # Every word's document count as a plain aggregate, which PostgreSQL splits over
            # parallel workers (ts_stat is parallel-unsafe: one core parsed every article,
            # ~1 ms each); fetched and written back because INSERT ... SELECT never runs in
            # parallel. The planner prices the parse as cheap: parallel plans are made free.
            cursor.execute(
                "SELECT set_config('parallel_setup_cost', '0', true), "
                "set_config('parallel_tuple_cost', '0', true), "
                "set_config('min_parallel_table_scan_size', '0', true)"
            )
            cursor.execute(
                f"SELECT w, count(*) FROM search_article a, "
                f"unnest(tsvector_to_array({_WORDS_VECTOR})) w GROUP BY w"
            )
            words = cursor.fetchall()
            cursor.execute(f"DELETE FROM {pg_schema.VOCABULARY_TABLE}")
            with cursor.copy(f"COPY {pg_schema.VOCABULARY_TABLE} (word, ndoc) FROM STDIN") as copy:
                for row in words:
                    copy.write_row(row)
            # The common words' champion lists, from the vocabulary just counted.
            pg_champions.rebuild(cursor)
            # Every table a search joins: unanalysed link tables (a bulk load's) made the
            # planner probe them once per match instead of joining them whole.
            tables = (pg_sql.ARTICLE, *pg_sql.JOINED_TABLES, pg_schema.VOCABULARY_TABLE)
            for table in (*tables, pg_schema.CHAMPIONS):
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("SELECT count(*) FROM search_article")
            count = cursor.fetchone()[0]
        if progress:
            progress(count)
        return count

    def _write_cjk(self, ids: list[int] | None) -> None:
        """The CJK tokens of these articles (all when None) into the columns the vector
        indexes (schema.CJK_TITLE/CJK_BODY). Only rows with CJK text, or that had some, are
        read. A row whose tokens change gets a new `updated` stamp: what it can be found by
        changed, and the engine's identity (which caches key on) says so."""
        chosen = "TRUE" if ids is None else "id = ANY(%s)"
        params: list = [] if ids is None else [ids]
        cjk = f"[{analysis.CJK_CHARS}]"
        with self._connection("default").cursor() as cursor:
            cursor.execute(
                f"SELECT id, title, body FROM search_article WHERE {chosen} AND "
                f"(title ~ %s OR body ~ %s OR {pg_schema.CJK_TITLE} IS NOT NULL "
                f"OR {pg_schema.CJK_BODY} IS NOT NULL)",
                [*params, cjk, cjk],
            )
            rows = [
                (analysis.index_text(title) or None, analysis.index_text(body) or None, pk)
                for pk, title, body in cursor.fetchall()
            ]
            for start in range(0, len(rows), 200):
                cursor.executemany(
                    f"UPDATE search_article SET {pg_schema.CJK_TITLE} = %s, "
                    f"{pg_schema.CJK_BODY} = %s, updated = now() WHERE id = %s "
                    f"AND ({pg_schema.CJK_TITLE}, {pg_schema.CJK_BODY}) "
                    "IS DISTINCT FROM (%s::text, %s::text)",
                    [(t, b, pk, t, b) for t, b, pk in rows[start : start + 200]],
                )

    # -- search ---------------------------------------------------------------------------

    def search(self, sq: SearchQuery) -> SearchPage:
        parsed = parse_query(sq.q)
        try:
            with self._reading():
                return self._search(sq, parsed)[0]
        except OperationalError as error:
            if not isinstance(error.__cause__, QueryCanceled):
                raise
            return SearchPage(
                query=sq,
                total=0,
                hits=[],
                facets={facet: [] for facet in FACETS},
                notes=[*parsed.notes, qt.timeout_note(settings.SEARCH_TIMEOUT_MS)],
            )

    def _prepare(self, sq: SearchQuery, parsed: qt.ParsedQuery, notes, expanded):
        """(where, facet flags, score, complete matches of a ranked query or None, the
        candidates a ranked page is drawn from)."""
        self._local.df = {}  # this query's document frequencies (set by _statistics)
        self._local.matches = {}  # this query's matches in the facet columns (by condition)
        literals = self._literals(parsed, notes, expanded)
        self._positions_from_rum(parsed, literals)
        flags = pg_sql.facet_flags(sq)
        n_all = None
        every = None
        matched = parsed.tree
        if parsed.ranked:
            clauses = qt.clauses(parsed.tree)
            every = pg_sql.match_where(pg_sql.condition(parsed.tree, literals), sq)
            n_all = self._count(every, flags, sq)
            if n_all >= qt.RANKED_FEW:
                where, score = every, self._bm25(parsed, literals)
            else:
                matched = qt.Or(tuple(c for c, _ in clauses))
                where = pg_sql.match_where(pg_sql.condition(matched, literals), sq)
                score = self._ranked_score(clauses, literals, every)
        else:
            where = pg_sql.match_where(pg_sql.condition(parsed.tree, literals), sq)
            score = self._bm25(parsed, literals)
        cover = pg_sql.text_cover(matched, literals)
        lexemes = [
            lx for leaf in _positive_leaves(matched) for lx in _lexemes(literals.get(leaf) or "")
        ]
        pool = pg_sql.Candidates(
            cover=pg_sql.any_of(cover) if cover else pg_sql.any_lexeme(lexemes),
            # Like the index's order, an approximation of the best few: with RUM only
            # (without it every match is scored, the exact ranking the bench compares with).
            rare=self._rare_words(lexemes),
            # Matches may hold none of the cover's words (a facet value, a NOT): they score
            # 0 and come last, newest first, so the newest few join the candidates.
            newest=cover is None,
            # Complete matches are lifted above every partial one, wherever the index
            # ranks them: they are few (fewer than RANKED_FEW), so all join.
            complete=every if n_all is not None and n_all < qt.RANKED_FEW else None,
            **self._champions(lexemes),
        )
        return where, flags, score, n_all, pool if pool.cover else None

    def _champions(self, lexemes: list[str]) -> dict:
        """The champion lists of the query's common words, and its other words (see
        champions.py), when RUM ranks and any of its words has a list; else nothing."""
        df = getattr(self._local, "df", None) or {}
        common = [lx for lx in dict.fromkeys(lexemes) if df.get(lx, 0) >= pg_champions.CHAMPION_DF]
        if not common or not self.uses_rum():
            return {}
        with self._connection().cursor() as cursor:
            listed = pg_champions.listed(cursor, common)
        if not listed:
            return {}
        rest = [lx for lx in dict.fromkeys(lexemes) if lx not in listed]
        return {
            "champions": pg_champions.candidates(sorted(listed)),
            "rest": pg_sql.any_lexeme(rest) if rest else None,
        }

    def _positions_from_rum(self, parsed: qt.ParsedQuery, literals) -> None:
        """A phrase needs word positions: GIN holds none, so a GIN bitmap scan rechecks the
        stored vector (~6 kB, out of line) of every article holding the words, while the
        RUM index holds the positions and answers the phrase itself (at 100,000 articles a
        rare phrase 1.03 -> 0.11 s of CPU, a phrase of two common words 1.53 -> 0.55 s).
        GIN serves only bitmap scans, RUM plain index scans too: with bitmap scans off for
        the rest of this search, the planner takes RUM. Only when every match holds a text
        leaf (text_cover): an OR of words and a facet value needs a bitmap OR."""
        if not self.uses_rum():
            return
        phrase = (
            any(pg_sql.has_phrase(lit) for lit in literals.values() if lit)
            and pg_sql.text_cover(parsed.tree, literals) is not None
        )
        if phrase:
            with self._connection().cursor() as cursor:
                cursor.execute("SELECT set_config('enable_bitmapscan', 'off', true)")

    def _rare_words(self, lexemes: list[str]) -> str | None:
        """The query's rarest words, as a tsquery, when a few of them are held by fewer than
        RARE_POOL articles while the others are common; else None.

        A long question mixes rare words (high idf) with common ones (idf near 0): the
        best BM25 scores are those of the articles holding the rare ones, so those articles
        alone are scored (MaxScore's idea) rather than every article holding any word,
        which the RUM index can only order by ranking them all (0.4 s at 10,000 articles
        for a ten-word question). Articles holding only the common words come after them
        unless their few common words outscore a rare one."""
        df = getattr(self._local, "df", None) or {}
        words = sorted(dict.fromkeys(lx for lx in lexemes if df.get(lx)), key=lambda w: df[w])
        chosen, held = [], 0
        for word in words:
            if held + df[word] > RARE_POOL:
                break
            chosen.append(word)
            held += df[word]
        if not chosen or len(chosen) == len(words):
            return None  # every word common (the index's order), or every word rare (exact)
        return pg_sql.any_lexeme(chosen)

    def all_ids(self, sq: SearchQuery, limit: int | None = None) -> MatchedIds:
        parsed = parse_query(sq.q)
        try:
            with self._reading():
                where, flags, score, *_ = self._prepare(sq, parsed, [], [])
                ranked = not parsed.empty and sq.sort == "relevance"
                every = replace(sq, page=1, per_page=ALL_ROWS)
                statement = pg_sql.page(where, flags, every, score if ranked else None)
                # The window counts every match while the outer LIMIT keeps only what is
                # wanted: one run of the query gives both, in the inner ORDER BY's order.
                sql = f"SELECT s.id, count(*) OVER () FROM ({statement.sql}) s LIMIT %s"
                wanted = ALL_ROWS if limit is None else max(limit, 1)  # the row with the count
                with self._connection().cursor() as cursor:
                    cursor.execute(sql, [*statement.params, wanted])
                    rows = cursor.fetchall()
        except OperationalError as error:
            if not isinstance(error.__cause__, QueryCanceled):
                raise
            return MatchedIds(0, [])
        total = int(rows[0][1]) if rows else 0
        return MatchedIds(total, [int(pk) for pk, _ in rows[:limit]])

    def _search(
        self, sq: SearchQuery, parsed: qt.ParsedQuery, with_suggestion: bool = True
    ) -> tuple[SearchPage, int | None]:
        """The page, and for ranked queries how many articles hold every word."""
        notes = list(parsed.notes)
        expanded: list[str] = []
        where, flags, score, n_all, pool = self._prepare(sq, parsed, notes, expanded)
        ranked = not parsed.empty and sq.sort == "relevance"
        ranked_page = None
        if ranked and pool and self.uses_rum():
            ranked_page = pg_sql.ranked_candidates(
                where, flags, pool, score, sq, RUM_CANDIDATES, self.uses_rum()
            )
        counted = self._counted_in_memory(sq, where)
        if counted is None:  # counted in SQL, with the ranked page in the same statement
            if ranked and ranked_page is None:
                ranked_page = pg_sql.ranked_hits(score, flags, sq)
            total, facets, page_rows = self._counts(where, flags, sq, ranked_page)
        else:
            total, facets = _facets_of(counted, sq)
            page_rows = []
            if ranked and total:
                page_rows = self._ranked_page(ranked_page, where, flags, score, sq)
        if not ranked and counted is not None:  # by date, from the columns
            offset = (sq.page - 1) * sq.per_page
            ids = counted.columns.page(counted.mask(), sq.sort, offset, sq.per_page)
            page_rows = [(pk, 0.0) for pk in ids]
        elif not ranked:  # by date: the newest-first index finds the page without the counts
            with self._connection().cursor() as cursor:
                statement = pg_sql.page(where, flags, sq)  # by date
                cursor.execute(statement.sql, statement.params)
                page_rows = [(pk, 0.0) for pk, _ in cursor.fetchall()]
        if n_all is not None and n_all < qt.RANKED_FEW and total > n_all:
            notes.append(qt.ranked_note(n_all, total))
        hits = self._hits(page_rows, highlight.marks_for(parsed, expanded))
        suggestion = None
        if with_suggestion:
            suggestion = self._suggest(sq, parsed, total if n_all is None else n_all)
        page = SearchPage(
            query=sq, total=total, hits=hits, facets=facets, suggestion=suggestion, notes=notes
        )
        return page, n_all

    # -- compiling the query tree -----------------------------------------------------------

    def _literals(
        self, parsed: qt.ParsedQuery, notes: list[str], expanded: list[str]
    ) -> dict[qt.Node, str]:
        """The tsquery literal of every text leaf of the tree ('' when the index cannot hold
        it); prefix and fuzzy terms expand to at most budget.max_expansion vocabulary words."""
        out: dict[qt.Node, str] = {}
        limit = parsed.budget.max_expansion
        plain = []
        with self._connection().cursor() as cursor:
            for leaf in dict.fromkeys(qt.leaves(parsed.tree)):
                if isinstance(leaf, (qt.Word, qt.Phrase)):
                    plain.append(leaf)
                elif isinstance(leaf, (qt.Prefix, qt.Fuzzy)) and leaf.field not in qt.FACET_FIELDS:
                    statement = pg_sql.expansion(leaf, limit)
                    cursor.execute(statement.sql, statement.params)
                    rows = cursor.fetchall()
                    if isinstance(leaf, qt.Fuzzy):
                        typed = qt.fold(leaf.text)
                        rows = [
                            (w, n) for w, n in rows if suggest.edits(typed, w, 2) <= leaf.distance
                        ]
                    words = [w for w, _ in rows]
                    if isinstance(leaf, qt.Fuzzy) and qt.fold(leaf.text) not in words:
                        words.insert(0, qt.fold(leaf.text))
                    if len(words) > limit:
                        term = leaf.text + ("*" if isinstance(leaf, qt.Prefix) else "~")
                        note = qt.expansion_note(term, limit)
                        if note not in notes:
                            notes.append(note)
                        words = words[:limit]
                    expanded.extend(words)
                    statement = pg_sql.words_tsquery(words)
                    cursor.execute(statement.sql, statement.params)
                    out[leaf] = cursor.fetchone()[0] or ""
            if plain:
                parts = [pg_sql.leaf_tsquery(leaf) for leaf in plain]
                cursor.execute(
                    "SELECT " + ", ".join(p.sql for p in parts),
                    [x for p in parts for x in p.params],
                )
                for leaf, literal in zip(plain, cursor.fetchone(), strict=True):
                    out[leaf] = literal or ""
        return out

    def _term_weights(self, parsed: qt.ParsedQuery, literals) -> dict[str, float]:
        """Lexeme -> how often the query asks for it (repeats count, as in BM25's qtf)."""
        weights: dict[str, float] = {}
        counts = dict(qt.clauses(parsed.tree)) if parsed.ranked else {}
        for leaf in _positive_leaves(parsed.tree):
            literal = literals.get(leaf)
            if not literal:
                continue
            for lexeme in dict.fromkeys(_lexemes(literal)):
                weights[lexeme] = weights.get(lexeme, 0.0) + counts.get(leaf, 1)
        return weights

    def _statistics(self, lexemes: list[str]) -> tuple[dict[str, float], float]:
        """idf of each lexeme and the average document length (distinct lexemes)."""
        with self._connection().cursor() as cursor:
            n_docs, last_id = self._table_size(cursor)
            # Document frequencies and average lengths cost a pass over each word's rows
            # (titles and bodies counted apart: 0.1-0.3 s for a common word at 100,000
            # articles, a second for a ten-word question at 300,000) and reading 2,000
            # bodies. They are remembered until DF_DRIFT of the archive has been added or
            # deleted since they were counted (idf moves by less than that share); the
            # article count itself is always the current one.
            counted_at, cache = self._df_cache.get(self.alias, ((0, 0), {}))
            if _drifted(counted_at, (n_docs, last_id)):
                cache = {}
                self._df_cache[self.alias] = ((n_docs, last_id), cache)
            if AVERAGES not in cache:
                cursor.execute(pg_sql.AVERAGE_LENGTHS)
                cache[AVERAGES] = cursor.fetchone()
            avg_title, avg_body = cache[AVERAGES]
            missing = [t for t in lexemes if t not in cache]
            found = {}
            if missing:  # per field, as Whoosh counts: a word rare in titles weighs more there
                # 'word':A matches the word in titles only (weight A), 'word':B in bodies: the
                # RUM index answers both from its own entries, GIN rechecks every vector.
                in_field = [
                    f"(SELECT count(*) FROM {pg_sql.ARTICLE} a WHERE a.{pg_schema.VECTOR_COLUMN}"
                    f" @@ to_tsquery('simple', quote_literal(w) || ':{weight}'))"
                    for weight in "AB"
                ]
                # GIN cannot tell a word's weight: it rechecks the stored vector of every
                # article holding the word (6 s for a common word at 100,000 articles, past
                # the statement timeout, so the count was never cached and every search with
                # the word failed). The RUM index knows each entry's weight: 0.1-0.3 s. It
                # only serves plain index scans, so bitmap scans are off for this statement.
                rum = self.uses_rum()
                if rum:  # restored after: a phrase search keeps it off (_positions_from_rum)
                    cursor.execute(
                        "SELECT current_setting('enable_bitmapscan'), "
                        "set_config('enable_bitmapscan', 'off', true)"
                    )
                    before = cursor.fetchone()[0]
                cursor.execute(
                    f"SELECT w, {', '.join(in_field)} FROM unnest(%s::text[]) w", [missing]
                )
                found = {t: (ti, tb) for t, ti, tb in cursor.fetchall() if ti or tb}
                if rum:
                    cursor.execute("SELECT set_config('enable_bitmapscan', %s, true)", [before])
            if len(cache) > DF_CACHE_WORDS:
                cache.clear()
                cache[AVERAGES] = (avg_title, avg_body)
            for t in missing:
                cache[t] = found.get(t)
            idf = {
                t: (qt.idf(n_docs, cache[t][0]), qt.idf(n_docs, cache[t][1]))
                for t in lexemes
                if cache.get(t) is not None
            }
            # At most how many articles hold each word (title + body counts), for the
            # rare-word candidates of a ranked page (see _rare_words).
            self._local.df = {t: sum(cache[t]) if cache.get(t) else 0 for t in lexemes}
        return idf, (float(avg_title or 1.0), float(avg_body or 1.0))

    def _table_size(self, cursor) -> tuple[int, int]:
        """Rows and highest id of the article table: counted again only when the data
        version has moved since the last count (a count reads every row: 5-8 ms at 100,000
        articles, on each ranked search; the version is 64 rows). The version is read
        first, so a count is never older than the version it is kept under."""
        version = self._facet_columns.version(cursor, self.alias)
        known = self._sizes.get(self.alias)
        if version is not None and known is not None and known[0] == version:
            return known[1]
        cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {pg_sql.ARTICLE}")
        size = tuple(cursor.fetchone())
        if version is not None:
            self._sizes[self.alias] = (version, size)
        return size

    def _bm25(self, parsed: qt.ParsedQuery, literals) -> pg_sql.Sql:
        weights = self._term_weights(parsed, literals)
        if not weights:  # nothing to score (facets or dates alone): no statistics to read
            return pg_sql.bm25([], (1.0, 1.0))
        idf, avg = self._statistics(list(weights))
        return pg_sql.bm25(_weighted(weights, idf), avg)

    def _ranked_score(self, clauses, literals, every: pg_sql.Sql) -> pg_sql.Sql:
        """BM25 x (share of the query's weight held) ** COORDINATION, complete matches lifted
        above the rest (the Whoosh engine's Evaluator.ranked, in SQL)."""
        weights: dict[str, float] = {}
        clause_weights = []
        all_lexemes = {lx for c, _ in clauses for lx in _clause_lexemes(c, literals)}
        idf, avg = self._statistics(sorted(all_lexemes))
        for clause, n in clauses:
            lexemes = list(dict.fromkeys(_clause_lexemes(clause, literals)))
            for lx in lexemes:
                weights[lx] = weights.get(lx, 0.0) + n
            rarest = max((idf[lx][1] for lx in lexemes if lx in idf), default=0.0)
            clause_weights.append((clause, n * rarest or 1.0))
        bm25 = pg_sql.bm25(_weighted(weights, idf), avg)
        total = sum(w for _, w in clause_weights) or 1.0
        held_parts, held_params = [], []
        for clause, w in clause_weights:
            cond = pg_sql.condition(clause, literals)
            held_parts.append(f"(CASE WHEN {cond.sql} THEN {float(w)} ELSE 0 END)")
            held_params += cond.params
        held = "(" + " + ".join(held_parts) + f") / {total}"
        # Complete matches: the lift exceeds any partial score (held share < 1 there).
        sql = (
            f"(CASE WHEN {every.sql} THEN 1e6 ELSE 0 END + "
            f"{bm25.sql} * power({held}, {qt.COORDINATION}))"
        )
        return pg_sql.Sql(sql, [*every.params, *bm25.params, *held_params])

    def _count(self, where: pg_sql.Where, flags, sq: SearchQuery) -> int:
        """Matches of `where` passing the facet selections: from the facet columns when they
        serve (the matches' ids are then kept for this search's counts, which for a broad
        ranked query are of the same condition: one full-text pass instead of two)."""
        counted = self._counted_in_memory(sq, where)
        if counted is not None:
            return int(counted.mask().sum())
        return self._count_in_sql(where, flags)

    def _count_in_sql(self, where: pg_sql.Sql, flags) -> int:
        statement = pg_sql.count(where, flags)
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

    def _ranked_page(self, candidates, where, flags, score, sq: SearchQuery):
        """The page's (id, score) rows on their own: from the RUM candidates when given, else
        every match scored (GIN)."""
        if candidates is None:
            statement = pg_sql.page(where, flags, sq, score)
            rows = [(pk, score) for pk, score in self._rows(statement)]
        else:
            rows = [(int(pk), score) for _, pk, _, score in self._rows(candidates)]
        return [(int(pk), float(score)) for pk, score in rows]

    def _counted_in_memory(self, sq: SearchQuery, where: pg_sql.Where) -> _Counted | None:
        """The search's matches as rows of this process's facet columns, with each facet's
        selection as a row mask; None when they are off or cannot be used for this snapshot
        (then everything is counted in SQL). The condition's atoms are matched by the
        columns (facets.py); match_where's own clauses (copies, years) here."""
        if settings.SEARCH_POSTGRES_FACET_COLUMNS == "off":
            return None
        tree = where.tree
        # One search may ask for the same matches twice (a ranked query's count of complete
        # matches, then its counts): found once per search (_prepare resets), whether or not
        # the columns keep them.
        memo = self._local.matches
        key = (self.alias, repr(tree))
        if key not in memo:
            with self._connection().cursor() as cursor:
                memo[key] = self._facet_columns.matches(cursor, self.alias, tree)
        if memo[key] is None:
            return None
        columns, rows = memo[key]
        rows = rows.copy()
        if not sq.all_copies:
            rows &= columns.representative
        if sq.year_from is not None:
            rows &= (columns.year >= sq.year_from) & (columns.year > 0)
        if sq.year_to is not None:
            rows &= (columns.year <= sq.year_to) & (columns.year > 0)
        flags = {
            facet: columns.selected(facet, sq.selected(facet))
            for facet in FACETS
            if sq.selected(facet)
        }
        return _Counted(columns, rows, flags)

    def _hits(self, page_rows: list[tuple[int, float]], marks) -> list[Hit]:
        """One page of hits, marked by the one highlighter (search/engines/highlight.py)."""
        if not page_rows:
            return []
        ids = [pk for pk, _ in page_rows]
        qs = (
            self._articles()
            .filter(pk__in=ids)
            .defer("raw_content")
            .prefetch_related("cities", "organisations")
            .order_by()
        )
        by_id = {a.pk: a for a in qs}
        hits = []
        for pk, score in page_rows:
            a = by_id.get(pk)
            if a is None:  # deleted between the two queries
                continue
            hits.append(
                hit_for(
                    a,
                    score=float(score),
                    title_html=highlight.title_html(a.title, marks),
                    snippet=highlight.snippet_html(a.body, marks, SNIPPET_CHARS),
                )
            )
        return hits

    # -- aggregates (see the contract) ----------------------------------------------------

    def _rows(self, statement) -> list[tuple]:
        with self._connection().cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            return cursor.fetchall()

    def _counted(self, sq: SearchQuery, parsed: qt.ParsedQuery):
        """(where, facet flags) of an aggregate over the search's matches."""
        where, flags, *_ = self._prepare(sq, parsed, [], [])
        if pg_sql.is_archive(sq, parsed):
            where = pg_sql.archive_where()  # the same rows, from the dates index
        return where, flags

    def _in_memory(self, sq: SearchQuery, parsed: qt.ParsedQuery) -> _Counted | None:
        """An aggregate's matches in this process's facet columns (see _counted_in_memory)."""
        if settings.SEARCH_POSTGRES_FACET_COLUMNS == "off":
            return None
        where = None
        if parsed.tree is not None:
            where, *_ = self._prepare(sq, parsed, [], [])
        return self._counted_in_memory(sq, where or pg_sql.condition(None, {}))

    def timeline(self, sq: SearchQuery) -> Timeline:
        parsed = parse_query(sq.q)
        with self._reading(parsed):
            counted = self._in_memory(sq, parsed)
            if counted is not None:
                return Timeline(*counted.columns.timeline(counted.mask()))
            where, flags = self._counted(sq, parsed)
            rows = self._rows(pg_aggregate.timeline(where, flags))
        return _timeline(rows)

    def timelines(self, queries: Sequence[SearchQuery]) -> list[Timeline]:
        """Every query's timeline in one transaction and one statement (a comparison page
        asked each in its own, with its own round trips)."""
        if not queries:
            return []
        parsed = [parse_query(sq.q) for sq in queries]
        words = next((p for p in parsed if _matches_text(p.tree)), None)
        parts = []
        with self._reading(words or parsed[0]):
            counted = [self._in_memory(sq, p) for sq, p in zip(queries, parsed, strict=True)]
            if all(c is not None for c in counted):
                return [Timeline(*c.columns.timeline(c.mask())) for c in counted]
            for sq, p in zip(queries, parsed, strict=True):
                where, flags = self._counted(sq, p)
                parts.append(pg_aggregate.timeline(where, flags))
            rows = self._rows(pg_aggregate.numbered(parts))
        found: list[list[tuple]] = [[] for _ in queries]
        for i, *row in rows:
            found[i].append(tuple(row))
        return [_timeline(r) for r in found]

    def value_counts(self, sq: SearchQuery, facet: str, limit: int) -> list[FacetCount]:
        if facet not in TALLY_FACETS:
            raise ValueError(f"cannot count {facet!r}; one of {', '.join(TALLY_FACETS)}")
        parsed = parse_query(sq.q)
        with self._reading(parsed):
            counted = self._in_memory(sq, parsed)
            if counted is not None:
                rows = counted.columns.value_counts(facet, counted.mask())
                return [FacetCount(v, n, False) for v, n in ranked_values(rows, limit)]
            where, flags, *_ = self._prepare(sq, parsed, [], [])
            rows = self._rows(pg_aggregate.value_counts(where, flags, facet, limit))
        return [FacetCount(v, n, False) for v, n in ranked_values(dict(rows), limit)]

    def overview(self, sq: SearchQuery, tallies: dict[str, int], newest: int) -> Overview:
        """One statement for all of it (an entity page made ~19 round trips)."""
        for facet in tallies:
            if facet not in TALLY_FACETS:
                raise ValueError(f"cannot count {facet!r}; one of {', '.join(TALLY_FACETS)}")
        parsed = parse_query(sq.q)
        with self._reading(parsed):
            expanded: list[str] = []
            where, flags, *_ = self._prepare(sq, parsed, [], expanded)
            counted = self._counted_in_memory(sq, where)
            if counted is not None:
                columns, matched = counted.columns, counted.mask()
                newest_ids = columns.page(matched, "newest", 0, newest)
                return Overview(
                    timeline=Timeline(*columns.timeline(matched)),
                    archive=Timeline(*columns.timeline(columns.representative)),
                    values={
                        facet: [
                            FacetCount(v, n, False)
                            for v, n in ranked_values(columns.value_counts(facet, matched), limit)
                        ]
                        for facet, limit in tallies.items()
                    },
                    newest=self._hits(
                        [(pk, 0.0) for pk in newest_ids], highlight.marks_for(parsed, expanded)
                    ),
                )
            archive = pg_sql.archive_where()
            statement = pg_aggregate.overview(where, flags, archive, tallies, newest)
            rows = self._rows(statement)
            counts: dict[str, dict] = {}
            ids = []
            for kind, value, n in rows:
                if kind == "newest":
                    ids.append((int(value), 0.0))
                else:
                    counts.setdefault(kind, {})[value] = n
            hits = self._hits(ids, highlight.marks_for(parsed, expanded))

        def timeline(prefix: str) -> Timeline:
            years = {int(y): n for y, n in counts.get(f"{prefix}year", {}).items()}
            months = counts.get(f"{prefix}month", {})
            total = counts.get(f"{prefix}total", {}).get(None, 0)
            return Timeline(total, dict(sorted(years.items())), dict(sorted(months.items())))

        return Overview(
            timeline=timeline(""),
            archive=timeline("archive-"),
            values={
                facet: [
                    FacetCount(v, n, False)
                    for v, n in ranked_values(counts.get(f"value:{facet}", {}), limit)
                ]
                for facet, limit in tallies.items()
            },
            newest=hits,
        )

    def cooccurrence(
        self, sq: SearchQuery, row_facet: str, col_facet: str, limit: int
    ) -> Cooccurrence:
        return self.cooccurrences(sq, [(row_facet, col_facet)], limit)[0]

    def cooccurrences(
        self, sq: SearchQuery, pairs: Sequence[tuple[str, str]], limit: int
    ) -> list[Cooccurrence]:
        """Every pair table of the query in one statement: one matching, one tally per
        facet (the pairs page's two tables matched the search twice)."""
        pairs = list(pairs)
        for row_facet, col_facet in pairs:
            if row_facet not in PAIR_FACETS or col_facet not in PAIR_FACETS:
                raise ValueError(f"pairs are of {', '.join(PAIR_FACETS)}")
        if not pairs:
            return []
        limit = max(0, min(limit, MAX_PAIR_VALUES))
        parsed = parse_query(sq.q)
        with self._reading(parsed):
            counted = self._in_memory(sq, parsed)
            if counted is not None:
                return _cooccurrences(counted, pairs, limit)
            where, flags, *_ = self._prepare(sq, parsed, [], [])
            rows = self._rows(pg_aggregate.cooccurrences(where, flags, pairs, limit))
        total = 0
        found = [({"row": {}, "col": {}}, {}) for _ in pairs]
        for i, kind, a, b, n in rows:
            if kind == "total":
                total = n
            elif kind == "cell":
                found[i][1][(a, b)] = n
            else:
                found[i][0][kind][a] = n
        return [
            Cooccurrence(
                row_facet,
                col_facet,
                total,
                [FacetCount(v, n, False) for v, n in ranked_values(top["row"], limit)],
                [FacetCount(v, n, False) for v, n in ranked_values(top["col"], limit)],
                cells,
            )
            for (row_facet, col_facet), (top, cells) in zip(pairs, found, strict=True)
        ]

    # -- suggestions ----------------------------------------------------------------------

    def suggestion_count(self, sq: SearchQuery, text: str) -> int:
        """SearchBackend.suggestion_count without the page around the number: the base ranks
        a page, counts its facets and highlights a hit for each suggestion it weighs (a long
        question's suggestion cost as much as the question itself)."""
        if getattr(self._local, "alias", None) is None:  # asked outside a search
            with self._reading():
                return self.suggestion_count(sq, text)
        parsed = parse_query(text)
        sq = replace(sq, q=text)
        literals = self._literals(parsed, [], [])
        where = pg_sql.match_where(pg_sql.condition(parsed.tree, literals), sq)
        return self._count(where, pg_sql.facet_flags(sq), sq)

    def _suggest(self, sq: SearchQuery, parsed: qt.ParsedQuery, found: int) -> str | None:
        if not suggest.replaceable(parsed):
            return None

        def known(word: str) -> bool:
            with self._connection().cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {pg_schema.VOCABULARY_TABLE} WHERE word = lower(unaccent(%s))",
                    [word],
                )
                return cursor.fetchone() is not None

        def near(word: str) -> list[tuple[str, int]]:
            with self._connection().cursor() as cursor:
                cursor.execute(
                    f"""
                    SELECT word, ndoc FROM {pg_schema.VOCABULARY_TABLE}
                    WHERE word %% lower(unaccent(%s))
                      AND similarity(word, lower(unaccent(%s))) >= %s
                    ORDER BY similarity(word, lower(unaccent(%s))) DESC, ndoc DESC, word
                    LIMIT 20
                    """,
                    [word, word, SUGGEST_SIMILARITY, word],
                )
                return cursor.fetchall()

        return suggest.suggest(
            parsed, found, known=known, near=near, count=partial(self.suggestion_count, sq)
        )

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
        return self._hits(list(rows), highlight.Marks())


# The unstemmed, accent-folded words of the article `a`, as a tsvector.
_WORDS_VECTOR = (
    "to_tsvector('simple', unaccent(coalesce(a.title, '') || ' ' || coalesce(a.body, '')))"
)


def _drifted(counted_at: tuple[int, int], now: tuple[int, int]) -> bool:
    """Whether more than DF_DRIFT of the articles counted at `counted_at` (rows, highest id)
    have been added or deleted since (ids only grow: added = ids past the highest then,
    deleted = what the count misses of the rows then plus those added)."""
    (rows, last), (rows_now, last_now) = counted_at, now
    if last_now < last or rows == 0:
        return True  # emptied and filled again, or nothing counted yet
    added = last_now - last
    deleted = rows + added - rows_now
    return added + deleted > DF_DRIFT * rows


def _words_sql(ids: list[int] | None) -> str:
    """SQL for ts_stat: the words of some articles (all when None)."""
    where = f" WHERE id IN ({','.join(str(int(i)) for i in ids)})" if ids is not None else ""
    return f"SELECT {_WORDS_VECTOR} FROM search_article a{where}"


def _positions_sql(article_id: int) -> str:
    return (
        "SELECT to_tsvector('simple', unaccent(coalesce(title, '') || ' ' || coalesce(body, '')))"
        f" FROM search_article WHERE id = {int(article_id)}"
    )


def _matches_text(node: qt.Node | None) -> bool:
    """Whether the query tree matches words (rather than only facet values and years)."""
    return any(
        not isinstance(leaf, (qt.FacetValue, qt.YearRange)) and leaf.field not in qt.FACET_FIELDS
        for leaf in qt.leaves(node)
    )


def _timeline(rows) -> Timeline:
    """A Timeline from aggregate.timeline's (kind, period, n) rows."""
    total, years, months = 0, {}, {}
    for kind, period, n in rows:
        if kind == "total":
            total = n
        elif kind == "year":
            years[int(period)] = n
        else:
            months[period] = n
    return Timeline(total, dict(sorted(years.items())), dict(sorted(months.items())))


def _facet_counts(facet: str, counts: dict[str, int], sq: SearchQuery) -> list[FacetCount]:
    return ordered_counts(facet, counts, sq.selected(facet))


def _weighted(weights: dict[str, float], idf) -> list[tuple[str, float, float]]:
    return [(t, w * idf[t][0], w * idf[t][1]) for t, w in weights.items() if t in idf]


def _clause_lexemes(clause: qt.Node, literals) -> list[str]:
    """The lexemes of a ranked query's clause: a word, or a word with the facet values it
    names (facet_names.canonical_tree), which add no lexeme."""
    return [lx for leaf in _positive_leaves(clause) for lx in _lexemes(literals.get(leaf) or "")]


def _lexemes(literal: str) -> list[str]:
    """The lexemes of a tsquery literal ('smart' & 'citi' -> smart, citi)."""
    return [m.replace("''", "'") for m in _LEXEME_RE.findall(literal)]


_positive_leaves = highlight.positive_leaves


class _Counted:
    """A search's matches in the facet columns: `rows` before any facet selection and each
    selected facet's row mask (`flags`)."""

    def __init__(self, columns: pg_facets.Columns, rows, flags: dict) -> None:
        self.columns, self.rows, self.flags = columns, rows, flags

    def mask(self, but: str | None = None):
        """The matches passing every facet's selection but `but`'s (disjunctive counts)."""
        out = self.rows.copy()
        for facet, flag in self.flags.items():
            if facet != but:
                out &= flag
        return out


def _facets_of(counted: _Counted, sq: SearchQuery) -> tuple[int, dict[str, list[FacetCount]]]:
    """The search's total and each facet's disjunctive counts (as sql.counts counts them)."""
    total = int(counted.mask().sum())
    facets = {
        facet: _facet_counts(facet, counted.columns.value_counts(facet, counted.mask(facet)), sq)
        for facet in FACETS
    }
    return total, facets


def _cooccurrences(
    counted: _Counted, pairs: list[tuple[str, str]], limit: int
) -> list[Cooccurrence]:
    """aggregate.cooccurrences from the facet columns: each facet's top values among the
    matches, and the articles naming each pair of them."""
    columns, matched = counted.columns, counted.mask()
    total = int(matched.sum())
    tops = {
        facet: ranked_values(columns.value_counts(facet, matched), limit)
        for facet in dict.fromkeys(f for pair in pairs for f in pair)
    }
    out = []
    for row_facet, col_facet in pairs:
        codes = {}
        for facet in (row_facet, col_facet):
            link = columns.links[facet]
            codes[facet] = [(c, v) for v, _ in tops[facet] for c in link.by_name.get(v, [])]
        rows, cols = codes[row_facet], codes[col_facet]
        counts = columns.cells(
            matched, row_facet, [c for c, _ in rows], col_facet, [c for c, _ in cols]
        )
        cells: dict[tuple[str, str], int] = {}
        for i, j in zip(*counts.nonzero(), strict=True):
            key = (rows[i][1], cols[j][1])
            cells[key] = cells.get(key, 0) + int(counts[i, j])
        out.append(
            Cooccurrence(
                row_facet,
                col_facet,
                total,
                [FacetCount(v, n, False) for v, n in tops[row_facet]],
                [FacetCount(v, n, False) for v, n in tops[col_facet]],
                cells,
            )
        )
    return out
