"""SQL for the aggregates of the contract (timeline, value counts, co-occurrence) over the
articles a search matches: the same WHERE as a search (sql.match_where, sql.facet_flags), with
every facet's selection applied, then one GROUP BY.
"""

from __future__ import annotations

from search.engines.postgres.sql import (
    ARTICLE,
    FACET_SQL,
    WITH_ARRAYS,
    FacetLink,
    Sql,
)


def _tally(facet: str) -> str:
    """(id, name, n) rows: every value of the facet among the matches `m` and how many hold
    it; link facets counted by id over the matches' id arrays, then named (a few hundred
    names joined, not one per match)."""
    if facet == "source":
        return (
            "SELECT NULL::bigint AS id, m.source_name AS name, count(*) AS n FROM m "
            "WHERE m.source_name <> '' GROUP BY m.source_name"
        )
    spec = FACET_SQL[facet]
    assert isinstance(spec, FacetLink)
    # unnest in the select list (a ProjectSet): half the CPU of a LATERAL function scan,
    # which set up a scan per row (0.11 against 0.22 s for 100,000 rows).
    return (
        f"SELECT s.id, v.name, s.n FROM (SELECT x.id, count(*) AS n FROM "
        f"(SELECT unnest(m.{spec.array}) AS id FROM m) x GROUP BY x.id) s "
        f"JOIN {spec.table} v ON v.id = s.id"
    )


def _top(facet: str) -> str:
    """The `limit` (a parameter) most frequent values: most articles first, then by name in
    code point order (COLLATE "C"), as base.ranked_values orders them."""
    return f'SELECT t.id, t.name, t.n FROM ({_tally(facet)}) t ORDER BY t.n DESC, t.name COLLATE "C" LIMIT %s'


def _matched(where: Sql, flags: dict[str, Sql], columns: tuple[str, ...] | None = None) -> Sql:
    """m: the matches with the columns the statement reads (all of them by default); only
    the facet arrays for pairs: a narrower row is a smaller table to materialise and scan."""
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    arrays = [f"fa.{s.array}" for s in FACET_SQL.values() if isinstance(s, FacetLink)]
    if columns is None:
        columns = ("a.id", "a.year", "a.published_date", "a.source_name", *arrays)
    return Sql(
        f"m AS MATERIALIZED (SELECT {', '.join(columns)} FROM {ARTICLE} a {WITH_ARRAYS} "
        f"WHERE {where.sql} AND {filters})",
        [*where.params, *params],
    )


def _days(name: str, where: Sql, flags: dict[str, Sql]) -> Sql:
    """`name` AS (year, day, n): the matches counted per (year, publication date), the one
    pass every timeline reads. Only the article row's date columns: no facet arrays joined
    (at 100,000 matches that join was 0.7 of 1.2 s) and no per-row month label (to_char on
    each row cost more than the grouping; the labels are made per day, a few thousand)."""
    filters = " AND ".join(f.sql for f in flags.values()) or "TRUE"
    return Sql(
        f"{name} AS MATERIALIZED (SELECT a.year, a.published_date AS day, count(*) AS n "
        f"FROM {ARTICLE} a WHERE {where.sql} AND {filters} GROUP BY a.year, a.published_date)",
        [*where.params, *[p for f in flags.values() for p in f.params]],
    )


def _timeline_rows(days: str, prefix: str = "") -> list[str]:
    """(kind, period, n) branches of a timeline from a _days table."""
    return [
        f"SELECT '{prefix}total', NULL, coalesce(sum({days}.n), 0)::bigint FROM {days}",
        f"SELECT '{prefix}year', {days}.year::text, sum({days}.n)::bigint FROM {days} "
        f"WHERE {days}.year IS NOT NULL GROUP BY {days}.year",
        f"SELECT '{prefix}month', to_char({days}.day, 'YYYY-MM'), sum({days}.n)::bigint "
        f"FROM {days} WHERE {days}.day IS NOT NULL GROUP BY 2",
    ]


def timeline(where: Sql, flags: dict[str, Sql]) -> Sql:
    """(kind, period, n) rows: ('total', NULL, n), ('year', 'YYYY', n), ('month', 'YYYY-MM', n)."""
    d = _days("d", where, flags)
    return Sql(f"WITH {d.sql} {' UNION ALL '.join(_timeline_rows('d'))}", d.params)


def numbered(statements: list[Sql]) -> Sql:
    """Several statements as one: each row prefixed with its statement's index."""
    parts = [f"SELECT {i}, s{i}.* FROM ({st.sql}) s{i}" for i, st in enumerate(statements)]
    return Sql(" UNION ALL ".join(parts), [p for st in statements for p in st.params])


def value_counts(where: Sql, flags: dict[str, Sql], facet: str, limit: int) -> Sql:
    """(value, n) rows of the facet's `limit` most frequent values among the matches."""
    m = _matched(where, flags)
    sql = f"WITH {m.sql} SELECT r.name, r.n FROM ({_top(facet)}) r"
    return Sql(sql, [*m.params, limit])


def cooccurrences(
    where: Sql, flags: dict[str, Sql], pairs: list[tuple[str, str]], limit: int
) -> Sql:
    """(i, kind, a, b, n) rows for the i-th (row facet, col facet) pair of facets: ('total',
    NULL, NULL, n); ('row'|'col', value, NULL, n) for the top `limit` values of each facet;
    ('cell', row value, col value, n) for their pairs. One matching and one tally per facet
    serve every pair table (the pairs page asks two). Cells are counted over the id arrays
    of the matches holding a top value of each facet (an array overlap test first: most
    matches hold none and are never unnested)."""
    facets = list(dict.fromkeys(f for pair in pairs for f in pair))
    m = _matched(where, flags, tuple(f"fa.{FACET_SQL[f].array}" for f in facets))
    tops = [f"t_{f} AS MATERIALIZED ({_top(f)})" for f in facets]
    branches = ["SELECT NULL::int, 'total', NULL, NULL, count(*) FROM m"]
    for i, (row, col) in enumerate(pairs):
        a, b = FACET_SQL[row], FACET_SQL[col]
        assert isinstance(a, FacetLink) and isinstance(b, FacetLink)
        # Pairs of two top values counted by id (a hash of integer pairs; each value
        # tested against its top list by a hashed semi-join) and named afterwards: a few
        # hundred names joined instead of a sort of every pair's two names.
        branches += [
            f"SELECT {i}, 'row', name, NULL, n FROM t_{row}",
            f"SELECT {i}, 'col', name, NULL, n FROM t_{col}",
            f"""SELECT {i}, 'cell', ta.name, tb.name, c.n FROM (
                SELECT p.x, p.y, count(*) AS n FROM (
                    SELECT q.x, unnest(q.ys) AS y FROM (
                        SELECT unnest(m.{a.array}) AS x, m.{b.array} AS ys FROM m
                        WHERE m.{a.array} && (SELECT array_agg(id) FROM t_{row})
                          AND m.{b.array} && (SELECT array_agg(id) FROM t_{col})
                    ) q WHERE q.x IN (SELECT id FROM t_{row})
                ) p WHERE p.y IN (SELECT id FROM t_{col}) GROUP BY p.x, p.y
            ) c JOIN t_{row} ta ON ta.id = c.x JOIN t_{col} tb ON tb.id = c.y""",
        ]
    sql = f"WITH {m.sql}, {', '.join(tops)} {' UNION ALL '.join(branches)}"
    return Sql(sql, [*m.params, *[limit for _ in facets]])


def overview(
    where: Sql, flags: dict[str, Sql], archive: Sql, tallies: dict[str, int], newest: int
) -> Sql:
    """(kind, value, n) rows of an entity page in one statement (one pass over the matches
    `m`): 'total' / 'year' / 'month' of the matches, the same prefixed 'archive-' for the
    rows matching `archive` (the whole archive's condition), ('value:<facet>', value, n) for
    each facet's `tallies[facet]` most frequent values, and ('newest', id, NULL) for the
    `newest` newest matches, newest first."""
    m = _matched(where, flags)
    # The archive's counts: an index-only scan of schema.DATES_INDEX (not the table's rows).
    arc = _days("arc", archive, {})
    branches = [
        "SELECT 'total', NULL, count(*) FROM m",
        "SELECT 'year', m.year::text, count(*) FROM m WHERE m.year IS NOT NULL GROUP BY m.year",
        "SELECT 'month', to_char(m.published_date, 'YYYY-MM'), count(*) FROM m "
        "WHERE m.published_date IS NOT NULL GROUP BY 2",
        *_timeline_rows("arc", "archive-"),
    ]
    params: list = []
    for facet, limit in tallies.items():
        branches.append(f"(SELECT 'value:{facet}', r.name, r.n FROM ({_top(facet)}) r)")
        params.append(limit)
    branches.append(
        "(SELECT 'newest', m.id::text, NULL FROM m "
        "ORDER BY m.published_date DESC NULLS LAST, m.id DESC LIMIT %s)"
    )
    params.append(newest)
    sql = f"WITH {m.sql}, {arc.sql} {' UNION ALL '.join(branches)}"
    return Sql(sql, [*m.params, *arc.params, *params])
