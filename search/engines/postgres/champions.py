"""Champion lists: for each common word, the articles it scores best in (its BM25 term score,
title and body saturated apart), kept in a table, so that the ranked page of a query of
common words scores a few hundred candidates instead of ordering every match.

The RUM index returns the best matches of a query in its own rank order, but finds them by
ranking every match: 0.4 s for one word held by all of 100,000 articles, 1.3-2 s for two.
An article in the exact top ten of a query of common words is nearly always among the best
few hundred of one of its words; those few hundred per word are found here by an index
lookup, and the exact score (sql.bm25) orders them, as it orders the RUM index's candidates.

Lists are made for the words held by at least CHAMPION_DF articles (rarer words: every
match is a candidate, or the RUM index orders them cheaply) by rebuild(), and kept up by
add() for each article the engine indexes: an article scoring at least a list's last entry
joins it (lists may grow past CHAMPIONS between rebuilds). A deleted article leaves its
entries, which match no article row; an article whose text loses the word keeps its entry
until the next rebuild, as a candidate whose exact score says what it is worth.
"""

from __future__ import annotations

from search.engines import query as qt
from search.engines.postgres import schema as pg_schema
from search.engines.postgres.sql import ARTICLE, AVERAGE_LENGTHS, TITLE_WEIGHT, Sql

TABLE = pg_schema.CHAMPIONS
CHAMPION_DF = 4000  # words held by at least this many articles have a list (see vocabulary)
CHAMPIONS = 300  # articles per list

VECTOR = f"a.{pg_schema.VECTOR_COLUMN}"


def _scores(avg_title: float, avg_body: float, condition: str, weighted: bool = True) -> str:
    """(lexeme, id, score, in title, in body) of each article matching `condition` for each
    listed lexeme it holds (parameters: %(lexemes)s, and the lexemes' title and body idf
    %(wt)s, %(wb)s when `weighted`): the word's score as sql.bm25 scores it alone (its query
    weight left out: one list is ordered by one word)."""
    k1, b = qt.K1, qt.B

    def saturated(tf: str, length: str, avg: float) -> str:
        # In float8: the literals would make it numeric, ten times slower over millions.
        tf, length = f"{tf}::float8", f"{length}::float8"
        return f"({tf} * {k1 + 1}) / ({tf} + {k1} * ({1 - b} + {b} * {length} / {avg!r}))"

    picked = "ts_filter(setweight({}, 'D', %(lexemes)s::text[]), '{{d}}')"
    title = saturated("f.ta", "length(a.title)", max(avg_title, 1.0))
    body = saturated("f.tb", "octet_length(a.body)", max(avg_body, 1.0))
    score, weights = f"({title} + {body})", ""
    if weighted:
        score = f"(w.wt * {title} + w.wb * {body})"
        weights = (
            "JOIN unnest(%(lexemes)s::text[], %(wt)s::float8[], %(wb)s::float8[]) "
            "w(lexeme, wt, wb) ON w.lexeme = f.lexeme"
        )
    return f"""
        SELECT f.lexeme, a.id, {score}::real AS score, f.ta > 0 AS in_title, f.tb > 0 AS in_body
        FROM {ARTICLE} a CROSS JOIN LATERAL (
            SELECT u.lexeme,
                   {TITLE_WEIGHT} * coalesce(cardinality(t.positions), 0) AS ta,
                   cardinality(u.positions) - coalesce(cardinality(t.positions), 0) AS tb
            FROM unnest({picked.format(VECTOR)}) u
            LEFT JOIN unnest({picked.format(f"ts_filter({VECTOR}, '{{a}}')")}) t
              ON t.lexeme = u.lexeme
        ) f {weights}
        WHERE {condition} AND a.is_representative IS NOT FALSE"""


def _averages(cursor) -> tuple[float, float]:
    cursor.execute(AVERAGE_LENGTHS)
    return tuple(float(x) for x in cursor.fetchone())


# rebuild() first scores a sample of one article in SAMPLE, and takes each word's
# (2 x CHAMPIONS / SAMPLE)-th best score there as a floor that about twice CHAMPIONS
# articles reach: the full pass then sorts those few rows per word, not every article's
# every common word (~23 million rows at 100,000 articles, 70+ s of sorting).
SAMPLE = 20


def _top(scores: str, floors: bool) -> str:
    """The best CHAMPIONS rows per lexeme of a scores statement (at or above the floors)."""
    floor = ""
    if floors:
        floor = (
            "JOIN unnest(%(lexemes)s::text[], %(floors)s::real[]) f(lexeme, floor) "
            "ON f.lexeme = s.lexeme WHERE s.score >= f.floor"
        )
    return f"""SELECT r.lexeme, r.id, r.score FROM (
            SELECT s.lexeme, s.id, s.score,
                   row_number() OVER (PARTITION BY s.lexeme ORDER BY s.score DESC, s.id DESC) AS n
            FROM ({scores}) s {floor}
        ) r WHERE r.n <= %(k)s"""


def rebuild(cursor) -> int:
    """Every list made again from the articles (inside the caller's transaction); the common
    words from the spelling vocabulary (words as typed, with their document counts), stemmed
    as the index stems them. Returns the number of lists."""
    cursor.execute(
        f"SELECT array_agg(DISTINCT l) FROM {pg_schema.VOCABULARY_TABLE} v, "
        f"unnest(tsvector_to_array(to_tsvector(%s::regconfig, v.word))) l WHERE v.ndoc >= %s",
        [pg_schema.TS_CONFIG, CHAMPION_DF],
    )
    lexemes = cursor.fetchone()[0] or []
    cursor.execute(f"DELETE FROM {TABLE}")
    if not lexemes:
        cursor.execute(f"DELETE FROM {pg_schema.CHAMPION_WORDS}")
        return 0
    # Room to sort, and parallel scans of the articles (the scores are a parse-free but
    # per-row function of the stored vector): INSERT ... SELECT never runs in parallel, so
    # the rows are fetched and copied back, as the vocabulary is.
    cursor.execute(
        "SELECT set_config('work_mem', '256MB', true), "
        "set_config('parallel_setup_cost', '0', true), "
        "set_config('parallel_tuple_cost', '0', true), "
        "set_config('min_parallel_table_scan_size', '0', true), "
        # Each article's words against the floors by a hash (the planner, taking unnest
        # for ten rows, sorted millions of rows for a merge join).
        "set_config('enable_mergejoin', 'off', true)"
    )
    averages = _averages(cursor)
    # Each word's title and body idf, as the engine weighs them (a common word is often
    # rare in titles: its best articles are those naming it there), from the sample.
    in_sample = f"mod(a.id, {SAMPLE}) = 0"
    cursor.execute(
        f"SELECT count(*) FROM {ARTICLE} a WHERE {in_sample} AND a.is_representative IS NOT FALSE"
    )
    sampled = max(cursor.fetchone()[0], 1)
    cursor.execute(
        f"SELECT s.lexeme, count(*) FILTER (WHERE s.in_title), count(*) FILTER (WHERE s.in_body) "
        f"FROM ({_scores(*averages, in_sample, weighted=False)}) s GROUP BY s.lexeme",
        {"lexemes": lexemes},
    )
    held = {lx: (t, b) for lx, t, b in cursor.fetchall()}
    weights = {
        lx: (qt.idf(sampled, held.get(lx, (0, 0))[0]), qt.idf(sampled, held.get(lx, (0, 0))[1]))
        for lx in lexemes
    }
    cursor.execute(f"DELETE FROM {pg_schema.CHAMPION_WORDS}")
    with cursor.copy(f"COPY {pg_schema.CHAMPION_WORDS} (lexeme, wt, wb) FROM STDIN") as copy:
        for lx, (wt, wb) in weights.items():
            copy.write_row((lx, wt, wb))

    def given(chosen: list[str]) -> dict:
        return {
            "lexemes": chosen,
            "wt": [weights[lx][0] for lx in chosen],
            "wb": [weights[lx][1] for lx in chosen],
        }

    nth = max(1, 2 * CHAMPIONS // SAMPLE)
    sample = _scores(*averages, in_sample)
    cursor.execute(
        f"SELECT r.lexeme, r.score FROM ({_top(sample, False)}) r", {**given(lexemes), "k": nth}
    )
    floors: dict[str, float] = {}
    counts: dict[str, int] = {}
    for lexeme, score in cursor.fetchall():  # the nth best: the lowest of each lexeme's rows
        counts[lexeme] = counts.get(lexeme, 0) + 1
        floors[lexeme] = min(score, floors.get(lexeme, score))
    # A word with fewer than nth sampled articles keeps no floor: all its articles count.
    floor_of = [floors[lx] if counts.get(lx, 0) >= nth else 0.0 for lx in lexemes]
    full = _scores(*averages, "TRUE")
    cursor.execute(_top(full, True), {**given(lexemes), "floors": floor_of, "k": CHAMPIONS})
    rows = cursor.fetchall()
    # A word whose floor let fewer than CHAMPIONS articles through (an unlucky sample) is
    # counted again without one.
    got: dict[str, int] = {}
    for lexeme, _, _ in rows:
        got[lexeme] = got.get(lexeme, 0) + 1
    short = [
        lx for lx, f in zip(lexemes, floor_of, strict=True) if f and got.get(lx, 0) < CHAMPIONS
    ]
    if short:
        rows = [r for r in rows if r[0] not in set(short)]
        cursor.execute(_top(full, False), {**given(short), "k": CHAMPIONS})
        rows += cursor.fetchall()
    with cursor.copy(f"COPY {TABLE} (lexeme, article_id, score) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return len(lexemes)


def add(cursor, ids: list[int]) -> None:
    """The articles (just written) join the lists whose last entry they score above, scored
    with the idf the lists were made with."""
    if not ids:
        return
    cursor.execute(
        f"SELECT w.lexeme, w.wt, w.wb, (SELECT min(c.score) FROM {TABLE} c "
        f"WHERE c.lexeme = w.lexeme) FROM {pg_schema.CHAMPION_WORDS} w"
    )
    words = [row for row in cursor.fetchall() if row[3] is not None]
    if not words:
        return
    scores = _scores(*_averages(cursor), "a.id = ANY(%(ids)s)")
    cursor.execute(
        f"""INSERT INTO {TABLE} (lexeme, article_id, score)
        SELECT s.lexeme, s.id, s.score FROM ({scores}) s
        JOIN unnest(%(lexemes)s::text[], %(floors)s::real[]) f(lexeme, floor)
          ON f.lexeme = s.lexeme
        WHERE s.score >= f.floor
        ON CONFLICT (lexeme, article_id) DO UPDATE SET score = EXCLUDED.score""",
        {
            "lexemes": [w[0] for w in words],
            "wt": [w[1] for w in words],
            "wb": [w[2] for w in words],
            "floors": [w[3] for w in words],
            "ids": ids,
        },
    )


def listed(cursor, lexemes: list[str]) -> set[str]:
    """Which of these lexemes have a list."""
    if not lexemes:
        return set()
    cursor.execute(
        f"SELECT l FROM unnest(%s::text[]) l WHERE EXISTS "
        f"(SELECT 1 FROM {TABLE} c WHERE c.lexeme = l)",
        [lexemes],
    )
    return {row[0] for row in cursor.fetchall()}


def candidates(lexemes: list[str]) -> Sql:
    """The ids listed for any of these lexemes (an index range per lexeme)."""
    return Sql(f"SELECT c.article_id FROM {TABLE} c WHERE c.lexeme = ANY(%s::text[])", [lexemes])
