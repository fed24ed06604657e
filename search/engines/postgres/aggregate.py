"""SQL for the aggregates of the contract (timeline, value counts, co-occurrence) over the
articles a search matches: the same WHERE as a search (sql.match_where, sql.facet_flags), with
every facet's selection applied, then one GROUP BY.
"""

from __future__ import annotations

from search.engines.postgres.sql import (
    ARTICLE,
    ARTICLE_CITY,
    ARTICLE_ORG,
    CITY,
    ORG,
    Sql,
)

# Per facet: (article_id, name) rows of the matched articles `m`.
_VALUES = {
    "city": f"SELECT l.article_id, v.name FROM m JOIN {ARTICLE_CITY} l ON l.article_id = m.id "
    f"JOIN {CITY} v ON v.id = l.city_id",
    "organisation": f"SELECT l.article_id, v.name FROM m JOIN {ARTICLE_ORG} l "
    f"ON l.article_id = m.id JOIN {ORG} v ON v.id = l.organisation_id",
    "source": "SELECT m.id AS article_id, m.source_name AS name FROM m WHERE m.source_name <> ''",
}


def _matched(where: Sql, flags: dict[str, Sql]) -> Sql:
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    return Sql(
        f"m AS MATERIALIZED (SELECT a.id, a.year, a.published_date, a.source_name "
        f"FROM {ARTICLE} a WHERE {where.sql} AND {filters})",
        [*where.params, *params],
    )


def timeline(where: Sql, flags: dict[str, Sql]) -> Sql:
    """(kind, period, n) rows: ('total', NULL, n), ('year', 'YYYY', n), ('month', 'YYYY-MM', n)."""
    m = _matched(where, flags)
    sql = f"""
        WITH {m.sql}
        SELECT 'total', NULL, count(*) FROM m
        UNION ALL
        SELECT 'year', m.year::text, count(*) FROM m WHERE m.year IS NOT NULL GROUP BY m.year
        UNION ALL
        SELECT 'month', to_char(m.published_date, 'YYYY-MM'), count(*) FROM m
            WHERE m.published_date IS NOT NULL GROUP BY 2
    """
    return Sql(sql, m.params)


def numbered(statements: list[Sql]) -> Sql:
    """Several statements as one: each row prefixed with its statement's index."""
    parts = [f"SELECT {i}, s{i}.* FROM ({st.sql}) s{i}" for i, st in enumerate(statements)]
    return Sql(" UNION ALL ".join(parts), [p for st in statements for p in st.params])


def value_counts(where: Sql, flags: dict[str, Sql], facet: str, limit: int) -> Sql:
    """(value, n) rows of the facet's `limit` most frequent values among the matches.
    COLLATE "C" orders by code point, as base.ranked_values does."""
    m = _matched(where, flags)
    sql = f"""
        WITH {m.sql}, r AS ({_VALUES[facet]})
        SELECT r.name, count(*) AS n FROM r GROUP BY r.name
        ORDER BY n DESC, r.name COLLATE "C" LIMIT %s
    """
    return Sql(sql, [*m.params, limit])


def cooccurrence(
    where: Sql, flags: dict[str, Sql], row_facet: str, col_facet: str, limit: int
) -> Sql:
    """(kind, a, b, n) rows: ('total', NULL, NULL, n); ('row'|'col', value, NULL, n) for the
    top `limit` values of each facet; ('cell', row value, col value, n) for their pairs."""
    m = _matched(where, flags)
    top = 'SELECT name, count(*) AS n FROM {0} GROUP BY name ORDER BY n DESC, name COLLATE "C" LIMIT %s'
    sql = f"""
        WITH {m.sql},
        ra AS MATERIALIZED ({_VALUES[row_facet]}),
        rb AS MATERIALIZED ({_VALUES[col_facet]}),
        ta AS ({top.format("ra")}),
        tb AS ({top.format("rb")})
        SELECT 'total', NULL, NULL, count(*) FROM m
        UNION ALL SELECT 'row', name, NULL, n FROM ta
        UNION ALL SELECT 'col', name, NULL, n FROM tb
        UNION ALL
        SELECT 'cell', x.name, y.name, count(*) FROM ra x
            JOIN rb y ON y.article_id = x.article_id
            WHERE x.name IN (SELECT name FROM ta) AND y.name IN (SELECT name FROM tb)
            GROUP BY x.name, y.name
    """
    return Sql(sql, [*m.params, limit, limit])


def overview(
    where: Sql, flags: dict[str, Sql], archive: Sql, tallies: dict[str, int], newest: int
) -> Sql:
    """(kind, value, n) rows of an entity page in one statement (one pass over the matches
    `m`): 'total' / 'year' / 'month' of the matches, the same prefixed 'archive-' for the
    rows matching `archive` (the whole archive's condition), ('value:<facet>', value, n) for
    each facet's `tallies[facet]` most frequent values, and ('newest', id, NULL) for the
    `newest` newest matches, newest first."""
    m = _matched(where, flags)
    branches = [
        "SELECT 'total', NULL, count(*) FROM m",
        "SELECT 'year', m.year::text, count(*) FROM m WHERE m.year IS NOT NULL GROUP BY m.year",
        "SELECT 'month', to_char(m.published_date, 'YYYY-MM'), count(*) FROM m "
        "WHERE m.published_date IS NOT NULL GROUP BY 2",
        # The archive's counts read only the date columns (see schema: the newest index).
        "SELECT 'archive-total', NULL, count(*) FROM arc",
        "SELECT 'archive-year', arc.year::text, count(*) FROM arc WHERE arc.year IS NOT NULL "
        "GROUP BY arc.year",
        "SELECT 'archive-month', to_char(arc.published_date, 'YYYY-MM'), count(*) FROM arc "
        "WHERE arc.published_date IS NOT NULL GROUP BY 2",
    ]
    params: list = []
    for facet, limit in tallies.items():
        branches.append(
            f"(SELECT 'value:{facet}', r.name, count(*) AS n FROM ({_VALUES[facet]}) r "
            f'GROUP BY r.name ORDER BY n DESC, r.name COLLATE "C" LIMIT %s)'
        )
        params.append(limit)
    branches.append(
        "(SELECT 'newest', m.id::text, NULL FROM m "
        "ORDER BY m.published_date DESC NULLS LAST, m.id DESC LIMIT %s)"
    )
    params.append(newest)
    sql = f"""
        WITH {m.sql},
        arc AS MATERIALIZED (SELECT a.year, a.published_date FROM {ARTICLE} a WHERE {archive.sql})
        {" UNION ALL ".join(branches)}
    """
    return Sql(sql, [*m.params, *archive.params, *params])
