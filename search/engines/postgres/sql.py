"""SQL for one PostgreSQL search: the matched set is computed once and every count (the total
and the three disjunctive facets) is read from it in a single statement.

Expressed as SQL rather than ORM querysets because each ORM count re-ran the full-text match
(five times per search); at 100,000 articles that repetition was most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.engines.base import FACETS, UNDATED, SearchQuery
from search.engines.postgres import schema as pg_schema
from search.engines.query_fields import FieldQuery, TextQuery
from search.models import Article, City, Organisation

CONFIG = pg_schema.TS_CONFIG
# ts_rank_cd normalisation 1: divide by 1 + log(length), so long articles do not win by size.
RANK_NORMALISATION = 1
# word* and word~ expand to at most this many vocabulary words (the most frequent ones).
MAX_EXPANSION = 200
FUZZY_SIMILARITY = 0.4

ARTICLE = Article._meta.db_table
CITY = City._meta.db_table
ORG = Organisation._meta.db_table
ARTICLE_CITY = Article.cities.through._meta.db_table
ARTICLE_ORG = Article.organisations.through._meta.db_table


@dataclass(frozen=True)
class Sql:
    sql: str
    params: list


@dataclass(frozen=True)
class FacetColumn:
    """A facet with one value per article: an expression over the article row (NULL: none)."""

    value: str


@dataclass(frozen=True)
class FacetLink:
    """A facet with several values per article, through a many-to-many table."""

    link: str
    table: str
    fk: str


FACET_SQL = {
    "year": FacetColumn(f"coalesce(a.year::text, '{UNDATED}')"),
    "city": FacetLink(ARTICLE_CITY, CITY, "city_id"),
    "organisation": FacetLink(ARTICLE_ORG, ORG, "organisation_id"),
    "source": FacetColumn("nullif(a.source_name, '')"),
    "language": FacetColumn("nullif(a.language, '')"),
}
assert set(FACET_SQL) == set(FACETS), "every facet of the contract needs its SQL"


def _has_value(link: str, value_table: str, fk: str, condition: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {link} l JOIN {value_table} v ON v.id = l.{fk} "
        f"WHERE l.article_id = a.id AND {condition})"
    )


def _like_prefix(prefix: str) -> str:
    return prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def compile_tsquery(tq: TextQuery) -> Sql:
    """SQL giving the query as a tsquery literal (NULL when it has no lexemes): websearch
    syntax for the text, ANDed with each `prefix*` and `fuzzy~` term. Those two expand to
    the vocabulary's words (which to_tsquery then stems like the index), so `governmen*`
    finds "government" although its stem is "govern"."""
    parts, params = [], []
    if tq.text:
        parts.append("websearch_to_tsquery(%s::regconfig, %s)")
        params += [CONFIG, tq.text]
    vocabulary = pg_schema.VOCABULARY_TABLE
    for prefix in tq.prefixes:
        parts.append(
            f"""(to_tsquery('simple', quote_literal(lower(unaccent(%s))) || ':*') ||
                coalesce((SELECT to_tsquery(%s::regconfig, string_agg(quote_literal(w.word), ' | '))
                          FROM (SELECT word FROM {vocabulary} WHERE word LIKE lower(unaccent(%s))
                                ORDER BY ndoc DESC LIMIT {MAX_EXPANSION}) w), ''::tsquery))"""
        )
        params += [prefix, CONFIG, _like_prefix(prefix)]
    for word in tq.fuzzy:
        parts.append(
            f"""(to_tsquery(%s::regconfig, quote_literal(%s)) ||
                coalesce((SELECT to_tsquery(%s::regconfig, string_agg(quote_literal(w.word), ' | '))
                          FROM (SELECT word FROM {vocabulary}
                                WHERE word %% lower(unaccent(%s))
                                  AND similarity(word, lower(unaccent(%s))) >= {FUZZY_SIMILARITY}
                                ORDER BY similarity(word, lower(unaccent(%s))) DESC, ndoc DESC
                                LIMIT {MAX_EXPANSION}) w), ''::tsquery))"""
        )
        params += [CONFIG, word, CONFIG, word, word, word]
    expression = " && ".join(f"({p})" for p in parts) or "''::tsquery"
    return Sql(
        f"SELECT CASE WHEN numnode(q) > 0 THEN q::text END FROM (SELECT {expression} AS q) s",
        params,
    )


def match_where(tsquery: str | None, fq: FieldQuery, sq: SearchQuery) -> Sql:
    """What every count shares: the query text, its field:value terms and the year range.
    `tsquery` is a literal from compile_tsquery."""
    clauses, params = ["TRUE"], []
    if tsquery:
        clauses.append(f"a.{pg_schema.VECTOR_COLUMN} @@ %s::tsquery")
        params.append(tsquery)
    for title in fq.titles:
        # The GIN index narrows by the main tsquery (which holds the title words too); this
        # re-checks the few rows left against the title alone.
        clauses.append(
            "to_tsvector(%s::regconfig, translate(a.title, '<>', '  ')) "
            "@@ websearch_to_tsquery(%s::regconfig, %s)"
        )
        params += [CONFIG, CONFIG, title]
    for city in fq.cities:
        clauses.append(_has_value(ARTICLE_CITY, CITY, "city_id", "lower(v.name) = lower(%s)"))
        params.append(city)
    for org in fq.organisations:
        clauses.append(_has_value(ARTICLE_ORG, ORG, "organisation_id", "lower(v.name) = lower(%s)"))
        params.append(org)
    for lo, hi in fq.years:
        clauses.append("a.year BETWEEN %s AND %s")
        params += [lo, hi]
    if not sq.all_copies:  # one row per story: its copies are left out of rows and counts
        clauses.append("a.is_representative")
    if sq.year_from is not None:
        clauses.append("a.year >= %s")
        params.append(sq.year_from)
    if sq.year_to is not None:
        clauses.append("a.year <= %s")
        params.append(sq.year_to)
    return Sql(" AND ".join(clauses), params)


def facet_flags(sq: SearchQuery) -> dict[str, Sql]:
    """Per facet, whether an article passes that facet's selection (TRUE when none)."""
    flags = {}
    for facet in FACETS:
        selected = list(sq.selected(facet))
        spec = FACET_SQL[facet]
        if not selected:
            flags[facet] = Sql("TRUE", [])
        elif isinstance(spec, FacetColumn):
            flags[facet] = Sql(f"coalesce({spec.value} = ANY(%s::text[]), FALSE)", [selected])
        else:
            flags[facet] = Sql(
                _has_value(spec.link, spec.table, spec.fk, "v.name = ANY(%s::text[])"), [selected]
            )
    return flags


def _flag(facet: str) -> str:
    return f"f_{facet}"


def _all_flags(but: str | None = None, table: str = "m") -> str:
    return " AND ".join(f"{table}.{_flag(f)}" for f in FACETS if f != but) or "TRUE"


def counts(where: Sql, flags: dict[str, Sql], ranked_page: Sql | None = None) -> Sql:
    """(kind, value, count, score) rows: ('total', NULL, n, NULL) and each facet's disjunctive
    counts, which apply every other facet's selection but not its own; with `ranked_page`
    (from ranked_hits) also the page's ('hit', id, NULL, score) rows, so the full-text match,
    the costly part for phrases, runs once for everything."""
    columns = [f"{flags[f].sql} AS {_flag(f)}" for f in FACETS]
    columns += [
        f"{spec.value} AS v_{f}" for f, spec in FACET_SQL.items() if isinstance(spec, FacetColumn)
    ]
    branches = [f"SELECT 'total', NULL, count(*), NULL::real FROM m WHERE {_all_flags()}"]
    for facet, spec in FACET_SQL.items():
        if isinstance(spec, FacetColumn):
            branches.append(
                f"SELECT '{facet}', m.v_{facet}, count(*), NULL FROM m "
                f"WHERE {_all_flags(facet)} AND m.v_{facet} IS NOT NULL GROUP BY m.v_{facet}"
            )
        else:
            branches.append(
                f"SELECT '{facet}', v.name, s.n, NULL FROM ("
                f"SELECT l.{spec.fk}, count(*) AS n FROM m JOIN {spec.link} l "
                f"ON l.article_id = m.id WHERE {_all_flags(facet)} GROUP BY l.{spec.fk}"
                f") s JOIN {spec.table} v ON v.id = s.{spec.fk}"
            )
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT a.id, a.published_date, {", ".join(columns)}
            FROM {ARTICLE} a WHERE {where.sql}
        )
        {" UNION ALL ".join(branches)}
    """
    params = [p for f in FACETS for p in flags[f].params] + where.params
    if ranked_page is not None:
        sql += f"UNION ALL ({ranked_page.sql})"
        params += ranked_page.params
    return Sql(sql, params)


def ranked_hits(tsquery: str, sq: SearchQuery) -> Sql:
    """The best page of the matched set `m` (see counts), ranked by ts_rank_cd."""
    newest = "m.published_date DESC NULLS LAST, m.id DESC"
    sql = f"""
        SELECT 'hit', m.id::text, NULL,
               ts_rank_cd(a.{pg_schema.VECTOR_COLUMN}, %s::tsquery, {RANK_NORMALISATION}) AS score
        FROM m JOIN {ARTICLE} a ON a.id = m.id
        WHERE {_all_flags()}
        ORDER BY score DESC, {newest} LIMIT %s OFFSET %s
    """
    return Sql(sql, [tsquery, sq.per_page, (sq.page - 1) * sq.per_page])


def page(where: Sql, flags: dict[str, Sql], tsquery: str | None, sq: SearchQuery) -> Sql:
    """(id, score) of one page of hits, best first (or by date)."""
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    newest = "a.published_date DESC NULLS LAST, a.id DESC"
    if sq.sort == "oldest":
        order, score = "a.published_date ASC NULLS LAST, a.id ASC", "0"
    elif sq.sort == "added":  # ids grow as articles are added
        order, score = "a.id DESC", "0"
    elif sq.sort == "newest" or not tsquery:
        order, score = newest, "0"
    else:
        score = f"ts_rank_cd(a.{pg_schema.VECTOR_COLUMN}, %s::tsquery, {RANK_NORMALISATION})"
        order = f"score DESC, {newest}"
    select_params = [tsquery] if score != "0" else []
    sql = (
        f"SELECT a.id, {score} AS score FROM {ARTICLE} a "
        f"WHERE {where.sql} AND {filters} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    offset = (sq.page - 1) * sq.per_page
    return Sql(sql, [*select_params, *where.params, *params, sq.per_page, offset])


def exists(where: Sql, flags: dict[str, Sql]) -> Sql:
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    return Sql(
        f"SELECT EXISTS (SELECT 1 FROM {ARTICLE} a WHERE {where.sql} AND {filters})",
        [*where.params, *params],
    )


def headlines(ids: list[int], tsquery: str, start: str, stop: str, lt: str, gt: str) -> Sql:
    """(id, title, snippet) with the query's words between start/stop; "<" and ">" of the
    plain text travel as lt/gt, and those four characters are removed from the text first,
    so the caller can escape everything else and only then insert <mark> tags."""
    chars, swap = f"<>{start}{stop}{lt}{gt}", f"{lt}{gt}"
    # One passage, not MaxFragments: with fragments, a cover longer than MaxWords was cut
    # into a fragment holding none of the query words.
    body_options = f"StartSel={start}, StopSel={stop}, MaxWords=40, MinWords=20"
    title_options = f"StartSel={start}, StopSel={stop}, HighlightAll=true"
    sql = f"""
        SELECT a.id,
          ts_headline(%s::regconfig, translate(a.title, %s, %s), q, %s),
          ts_headline(%s::regconfig, translate(a.body, %s, %s), q, %s)
        FROM {ARTICLE} a, (SELECT %s::tsquery AS q) s
        WHERE a.id = ANY(%s)
    """
    params = [CONFIG, chars, swap, title_options, CONFIG, chars, swap, body_options]
    return Sql(sql, [*params, tsquery, ids])
