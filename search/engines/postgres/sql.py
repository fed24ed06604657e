"""SQL for one PostgreSQL search: the matched set is computed once and every count (the total
and the three disjunctive facets) is read from it in a single statement.

Expressed as SQL rather than ORM querysets because each ORM count re-ran the full-text match
(five times per search); at 100,000 articles that repetition was most of the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.engines import analysis
from search.engines import query as qt
from search.engines.base import FACETS, UNDATED, SearchQuery
from search.engines.postgres import schema as pg_schema
from search.models import Article, City, Organisation

CONFIG = pg_schema.TS_CONFIG
VECTOR = f"a.{pg_schema.VECTOR_COLUMN}"
TITLE_VECTOR = pg_schema.TITLE_VECTOR_SQL.format(row="a.")

ARTICLE = Article._meta.db_table
CITY = City._meta.db_table
ORG = Organisation._meta.db_table
ARTICLE_CITY = Article.cities.through._meta.db_table
ARTICLE_ORG = Article.organisations.through._meta.db_table
# The tables searches join to the article table (kept analysed: see backend.rebuild).
JOINED_TABLES = (ARTICLE_CITY, ARTICLE_ORG, CITY, ORG, pg_schema.FACET_ARRAYS)
FACET_TABLES = {
    "city": (ARTICLE_CITY, CITY, "city_id"),
    "organisation": (ARTICLE_ORG, ORG, "organisation_id"),
}


@dataclass(frozen=True)
class Sql:
    sql: str
    params: list


@dataclass(frozen=True)
class Bool:
    """A condition as a tree of atoms: "AND" / "OR" of its parts ("AND" of none is TRUE,
    "OR" of none FALSE) or "NOT" of its one part; an atom is an Sql test of the row `a`."""

    op: str
    parts: tuple


TRUE, FALSE = Bool("AND", ()), Bool("OR", ())


@dataclass(frozen=True)
class Where(Sql):
    """A query's condition, with the same meaning as a tree of atoms (`tree`): the facet
    columns combine each atom's cached matches in memory (facets.py) where SQL would test
    the whole condition. match_where's own clauses (copies, years) are not in the tree."""

    tree: Bool | Sql = TRUE


@dataclass(frozen=True)
class FacetColumn:
    """A facet with one value per article: an expression over the article row (NULL: none)."""

    value: str


@dataclass(frozen=True)
class FacetLink:
    """A facet with several values per article, through a many-to-many table; counted from
    the article's id array (schema.FACET_ARRAYS, the table joined as `fa`)."""

    link: str
    table: str
    fk: str
    array: str


ARRAYS = pg_schema.FACET_ARRAYS
FACET_SQL = {
    "year": FacetColumn(f"coalesce(a.year::text, '{UNDATED}')"),
    "city": FacetLink(ARTICLE_CITY, CITY, "city_id", pg_schema.FACET_ARRAY_COLUMNS["city"]),
    "organisation": FacetLink(
        ARTICLE_ORG, ORG, "organisation_id", pg_schema.FACET_ARRAY_COLUMNS["organisation"]
    ),
    "source": FacetColumn("nullif(a.source_name, '')"),
    "language": FacetColumn("nullif(a.language, '')"),
}
assert set(FACET_SQL) == set(FACETS), "every facet of the contract needs its SQL"


# The matches' facet id arrays (an article without links has no row: NULL arrays, which
# unnest to nothing).
WITH_ARRAYS = f"LEFT JOIN {ARRAYS} fa ON fa.article_id = a.id"


def _has_value(link: str, value_table: str, fk: str, condition: str, in_or: bool = False) -> str:
    # Not a correlated EXISTS: that is one index probe per candidate row (90,000 of them for
    # a broad word with a city ticked). Uncorrelated, PostgreSQL reads the value's articles
    # once, into a hash (a semi-join, or a hashed SubPlan in a select list or under NOT).
    # A branch of an OR is an id array instead: `id = ANY(...)` is an index condition, so
    # (words OR city:x) is a bitmap OR of the GIN and primary key indexes, not a scan of
    # every row testing its vector.
    ids = (
        f"SELECT l.article_id FROM {link} l JOIN {value_table} v ON v.id = l.{fk} WHERE {condition}"
    )
    return f"a.id = ANY(ARRAY({ids}))" if in_or else f"a.id IN ({ids})"


def like_prefix(prefix: str) -> str:
    return prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- the query tree's text leaves as tsqueries -----------------------------------------------


def leaf_tsquery(node: qt.Node) -> Sql:
    """SQL giving one word or phrase as a tsquery literal. The index reads "e-government" as
    e-govern, e and govern; the query reads its pieces as a phrase (e <-> govern), which
    matches "e-government" and "e government" as the Whoosh engine does."""
    if isinstance(node, qt.Word) and analysis.has_cjk(node.text):
        return Sql("%s::tsquery::text", [cjk_tsquery(analysis.fold(node.text))])
    words = [node.text] if isinstance(node, qt.Word) else list(node.words)
    text = " ".join(w.replace("-", " ") for w in words)
    return Sql("phraseto_tsquery(%s::regconfig, %s)::text", [CONFIG, text])


def cjk_tsquery(word: str) -> str:
    """A CJK word: the word as the index holds it, or its characters next to each other
    (search/engines/analysis.py), as a tsquery literal."""

    def lexeme(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    chars = analysis.char_phrase(word)
    if len(chars) == 1:
        return lexeme(word)
    return f"{lexeme(word)} | ({' <-> '.join(lexeme(c) for c in chars)})"


def expansion(node: qt.Node, limit: int) -> Sql:
    """Vocabulary words a prefix* / fuzzy~ term stands for, the most frequent first (limit+1
    rows, so the caller can tell that it cut)."""
    vocabulary = pg_schema.VOCABULARY_TABLE
    if isinstance(node, qt.Prefix):
        return Sql(
            f"SELECT word, ndoc FROM {vocabulary} WHERE word LIKE lower(unaccent(%s)) "
            f"ORDER BY ndoc DESC, word LIMIT %s",
            [like_prefix(node.text), limit + 1],
        )
    # Trigram neighbours, checked for edit distance by the caller (no fuzzystrmatch here).
    return Sql(
        f"""SELECT word, ndoc FROM {vocabulary}
            WHERE word %% lower(unaccent(%s)) AND left(word, 1) = left(lower(unaccent(%s)), 1)
            ORDER BY similarity(word, lower(unaccent(%s))) DESC, ndoc DESC, word LIMIT 500""",
        [node.text, node.text, node.text],
    )


def words_tsquery(words: list[str]) -> Sql:
    """The tsquery of any of these vocabulary words, stemmed as the index is."""
    return Sql(
        "SELECT coalesce(to_tsquery(%s::regconfig, string_agg(quote_literal(w), ' | '))::text, '')"
        " FROM unnest(%s::text[]) w",
        [CONFIG, words],
    )


def _flat_children(node: qt.And | qt.Or) -> list[qt.Node]:
    """The children of an AND (OR), with those of AND (OR) children lifted in: (a OR (b OR
    city:x)) is a OR b OR city:x, so that a and b share one tsquery."""
    out: list[qt.Node] = []
    for child in node.children:
        if type(child) is type(node):
            out.extend(_flat_children(child))
        else:
            out.append(child)
    return out


def condition(node: qt.Node | None, literals: dict[qt.Node, str], in_or: bool = False) -> Where:
    """The WHERE condition of a query tree; `literals` holds each text leaf's tsquery.
    `in_or`: the node is a branch of an OR (a facet value is then an id list, see below)."""
    if node is None:
        return Where("TRUE", [], TRUE)
    if isinstance(node, (qt.And, qt.Or)):
        op = "AND" if isinstance(node, qt.And) else "OR"
        children = _flat_children(node)
        # The plain text leaves of one AND / OR as one tsquery (l1 & l2 / l1 | l2): one
        # test of the row's vector instead of one per leaf (each detoasts the ~6 kB vector),
        # and one GIN scan, where an OR of separate tests next to a facet value made the
        # planner read every row. In the tree each leaf stays an atom of its own, so that
        # queries sharing a word share its cached matches.
        plain = [c for c in children if _plain_text(c)]
        merged = [literals.get(c) or "" for c in plain]
        rest = [c for c in children if not _plain_text(c)]
        parts = [condition(c, literals, op == "OR") for c in rest]
        if op == "AND" and not all(merged):
            return _FALSE  # a word the index cannot hold: nothing has it
        merged = [lit for lit in merged if lit]
        atoms = tuple(_text_atom(lit) for lit in merged)
        if len(merged) == 1:
            parts.insert(0, _where(atoms[0]))
        elif merged:
            literal = f" {'&' if op == 'AND' else '|'} ".join(f"({lit})" for lit in merged)
            parts.insert(0, Where(f"{VECTOR} @@ %s::tsquery", [literal], Bool(op, atoms)))
        if not parts:
            return _FALSE
        return Where(
            "(" + f" {op} ".join(p.sql for p in parts) + ")",
            [x for p in parts for x in p.params],
            Bool(op, tuple(p.tree for p in parts)),
        )
    if isinstance(node, qt.Not):
        inner = condition(node.child, literals)
        # An anti-join with the rows matching the child, not a test of each candidate:
        # testing `NOT vector @@ q` read every candidate's stored vector (~6 kB, out of
        # line), 1.4 s for "digital -network" at 100,000 articles; the anti-join takes the
        # child's rows from the full-text index and hashes their ids (0.11 s). The derived
        # table names its own row `a`, as the child's condition expects; `a.id` after it is
        # the outer row. Same meaning as NOT coalesce(child, FALSE): a NULL test is no match.
        return Where(
            f"NOT EXISTS (SELECT 1 FROM (SELECT a.id FROM {ARTICLE} a WHERE {inner.sql}) n "
            "WHERE n.id = a.id)",
            inner.params,
            Bool("NOT", (inner.tree,)),
        )
    test = _leaf(node, literals, in_or)
    return _FALSE if test.sql == "FALSE" else _where(test)


_FALSE = Where("FALSE", [], FALSE)


def _where(atom: Sql) -> Where:
    """A condition of one atom."""
    return Where(atom.sql, atom.params, atom)


def _text_atom(literal: str) -> Sql:
    return Sql(f"{VECTOR} @@ %s::tsquery", [literal])


def _leaf(node: qt.Node, literals: dict[qt.Node, str], in_or: bool) -> Sql:
    if isinstance(node, qt.YearRange):
        return Sql("a.year BETWEEN %s AND %s", [node.lo, node.hi])
    if isinstance(node, qt.FacetValue):
        link, table, fk = FACET_TABLES[node.field]
        return Sql(_has_value(link, table, fk, "v.name = %s", in_or), [node.value])
    if isinstance(node, qt.Prefix) and node.field in qt.FACET_FIELDS:
        link, table, fk = FACET_TABLES[node.field]
        cond = "lower(unaccent(v.name)) LIKE lower(unaccent(%s))"
        return Sql(_has_value(link, table, fk, cond, in_or), [like_prefix(node.text)])
    literal = literals.get(node) or ""
    if not literal:
        return Sql("FALSE", [])  # nothing in the index it could match
    if node.field == "title":
        # The title's own index (schema.TITLE_INDEX) finds the articles whose titles hold
        # the words, and answers the test without reading their stored vectors. A phrase is
        # checked once more on the vector's title positions, as it always was (the indexed
        # expression joins English and CJK title words without the body between them).
        if has_phrase(literal):
            return Sql(
                f"({TITLE_VECTOR} @@ %s::tsquery AND ts_filter({VECTOR}, '{{a}}') @@ %s::tsquery)",
                [literal, literal],
            )
        return Sql(f"{TITLE_VECTOR} @@ %s::tsquery", [literal])
    return _text_atom(literal)


def _plain_text(node: qt.Node) -> bool:
    """A text leaf of the whole text (no field): its test is `vector @@ literal`."""
    return isinstance(node, (qt.Word, qt.Phrase, qt.Prefix, qt.Fuzzy)) and node.field is None


def match_where(cond: Where, sq: SearchQuery) -> Where:
    """What every count shares: the query's condition, the year range and, unless every copy
    is asked for, one row per story (copies are left out of rows and counts)."""
    clauses, params = [cond.sql], list(cond.params)
    if not sq.all_copies:
        # Not "a.is_representative": that form matches the boolean's btree index, which lists
        # nearly every row, and with sequential scans off (see backend._reading) the planner
        # walked it and tested every row's vector (825 ms at 10,000 articles) rather than
        # taking the matches from the full-text index (90 ms).
        clauses.append("a.is_representative IS NOT FALSE")
    if sq.year_from is not None:
        clauses.append("a.year >= %s")
        params.append(sq.year_from)
    if sq.year_to is not None:
        clauses.append("a.year <= %s")
        params.append(sq.year_to)
    return Where(" AND ".join(clauses), params, cond.tree)


def archive_where() -> Sql:
    """match_where of the whole archive (no words, facets or years), in the words of the
    dates index's condition (schema.DATES_INDEX), so that its counts are an index-only scan."""
    return Sql(pg_schema.ARCHIVE_CONDITION.format(row="a."), [])


def is_archive(sq: SearchQuery, parsed: qt.ParsedQuery) -> bool:
    """Whether the search matches every article match_where counts."""
    return (
        parsed.tree is None
        and not sq.all_copies
        and sq.year_from is None
        and sq.year_to is None
        and not any(sq.selected(f) for f in FACETS)
    )


# -- BM25 -----------------------------------------------------------------------------------

# Title words count this many times a body word (as the Whoosh schema's field boost).
TITLE_WEIGHT = 3
# The average title and body lengths BM25 normalises by, from a sample of 2,000 rows (the
# engine's statistics and the champion lists read the same).
AVERAGE_LENGTHS = (
    "SELECT coalesce(avg(length(title)), 1), coalesce(avg(octet_length(body)), 1) "
    f"FROM (SELECT title, body FROM {ARTICLE} LIMIT 2000) x"
)


def bm25(terms: list[tuple[str, float, float]], avg_lengths: tuple[float, float]) -> Sql:
    """BM25F of the row `a` for (lexeme, weight in titles, weight in bodies) terms (query
    weight x the field's idf), as the Whoosh engine
    scores: title and body each saturate on their own (title frequencies x TITLE_WEIGHT),
    normalised by their own length against the archive's average; term frequencies are read
    from the stored vector's positions (weight A = title, B = body).

    The query's lexemes are picked out of the vector with setweight + ts_filter (marked D,
    then kept): unnesting the whole vector (~400 lexemes) cost 0.4 ms a row, most of the
    time of a ranked page. Title positions are the A ones; body = all - title. The body's
    length is its byte size (octet_length reads the stored size; length() decompressed
    the body, 0.1 ms a row), the title's its characters (stored inline, cheap)."""
    if not terms:
        return Sql("0::real", [])
    lexemes = [t for t, _, _ in terms]
    title_weights = [w for _, w, _ in terms]
    body_weights = [w for _, _, w in terms]
    k1, b = qt.K1, qt.B
    avg_title, avg_body = avg_lengths

    def saturated(tf: str, length: str, avg: float) -> str:
        return f"({tf} * {k1 + 1}) / ({tf} + {k1} * ({1 - b} + {b} * {length} / {avg!r}))"

    title = saturated("f.ta", "length(a.title)", max(avg_title, 1.0))
    body = saturated("f.tb", "octet_length(a.body)", max(avg_body, 1.0))
    picked = "ts_filter(setweight({}, 'D', %s::text[]), '{{d}}')"
    every = picked.format(VECTOR)
    in_title = picked.format(f"ts_filter({VECTOR}, '{{a}}')")
    return Sql(
        f"""(SELECT coalesce(sum(q.wt * {title} + q.wb * {body}), 0)::real
             FROM (SELECT u.lexeme,
                          {TITLE_WEIGHT} * coalesce(cardinality(t.positions), 0) AS ta,
                          cardinality(u.positions) - coalesce(cardinality(t.positions), 0) AS tb
                   FROM unnest({every}) u
                   LEFT JOIN unnest({in_title}) t ON t.lexeme = u.lexeme) f
             JOIN unnest(%s::text[], %s::float8[], %s::float8[]) AS q(t, wt, wb)
               ON q.t = f.lexeme)""",
        [lexemes, lexemes, lexemes, title_weights, body_weights],
    )


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


def _all_flags(flags: dict[str, Sql], but: str | None = None, table: str = "m") -> str:
    """The selections of every facet (but one) over the rows of `m`. Facets without one are
    left out, not tested as TRUE columns: the planner guessed each such test halved the
    rows, and with 32 times too few it probed the link tables once per match."""
    chosen = [f for f in FACETS if f != but and flags[f].sql != "TRUE"]
    return " AND ".join(f"{table}.{_flag(f)}" for f in chosen) or "TRUE"


def counts(where: Sql, flags: dict[str, Sql], ranked_page: Sql | None = None) -> Sql:
    """(kind, value, count, score) rows: ('total', NULL, n, NULL) and each facet's disjunctive
    counts, which apply every other facet's selection but not its own; with `ranked_page`
    (from ranked_hits) also the page's ('hit', id, NULL, score) rows, so the full-text match,
    the costly part for phrases, runs once for everything."""
    columns = [f"{flags[f].sql} AS {_flag(f)}" for f in FACETS]
    columns += [
        f"{spec.value} AS v_{f}" for f, spec in FACET_SQL.items() if isinstance(spec, FacetColumn)
    ]
    columns += [f"fa.{spec.array}" for spec in FACET_SQL.values() if isinstance(spec, FacetLink)]
    branches = [f"SELECT 'total', NULL, count(*), NULL::real FROM m WHERE {_all_flags(flags)}"]
    for facet, spec in FACET_SQL.items():
        if isinstance(spec, FacetColumn):
            branches.append(
                f"SELECT '{facet}', m.v_{facet}, count(*), NULL FROM m "
                f"WHERE {_all_flags(flags, facet)} AND m.v_{facet} IS NOT NULL GROUP BY m.v_{facet}"
            )
        else:
            branches.append(
                f"SELECT '{facet}', v.name, s.n, NULL FROM ("
                f"SELECT x.id, count(*) AS n FROM (SELECT unnest(m.{spec.array}) AS id FROM m "
                f"WHERE {_all_flags(flags, facet)}) x GROUP BY x.id"
                f") s JOIN {spec.table} v ON v.id = s.id"
            )
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT a.id, a.published_date, {", ".join(columns)}
            FROM {ARTICLE} a {WITH_ARRAYS} WHERE {where.sql}
        )
        {" UNION ALL ".join(branches)}
    """
    params = [p for f in FACETS for p in flags[f].params] + where.params
    if ranked_page is not None:
        sql += f"UNION ALL ({ranked_page.sql})"
        params += ranked_page.params
    return Sql(sql, params)


def ranked_hits(score: Sql, flags: dict[str, Sql], sq: SearchQuery) -> Sql:
    """The best page of the matched set `m` (see counts), by the score expression."""
    newest = "m.published_date DESC NULLS LAST, m.id DESC"
    sql = f"""
        SELECT 'hit', m.id::text, NULL, {score.sql} AS score
        FROM m JOIN {ARTICLE} a ON a.id = m.id
        WHERE {_all_flags(flags)}
        ORDER BY score DESC, {newest} LIMIT %s OFFSET %s
    """
    return Sql(sql, [*score.params, sq.per_page, (sq.page - 1) * sq.per_page])


def text_cover(node: qt.Node | None, literals: dict[qt.Node, str]) -> list[str] | None:
    """Text leaves' tsquery literals, one of which every match of `node` holds (so that
    `vector @@ (l1 | l2 ...)` may be added to its condition without changing the matches), or
    None when a match may hold none (a facet or year alone, a NOT, an OR with such a branch)."""
    if node is None:
        return None
    if isinstance(node, qt.And):
        covers = [
            c for c in (text_cover(child, literals) for child in node.children) if c is not None
        ]
        return [lit for c in covers for lit in c] if covers else None
    if isinstance(node, qt.Or):
        covers = [text_cover(child, literals) for child in node.children]
        return None if any(c is None for c in covers) else [lit for c in covers for lit in c]
    if isinstance(node, (qt.Not, qt.YearRange, qt.FacetValue)) or node.field in qt.FACET_FIELDS:
        return None
    literal = literals.get(node) or ""
    return [literal] if literal else []  # '' matches nothing: any cover holds for it


_LEXEME = re.compile(r"('(?:[^']|'')*')")
_PHRASE_OPERATOR = re.compile(r"<(?:\d+|-)>")


def has_phrase(literal: str) -> bool:
    """Whether a tsquery literal asks for words next to each other (needs positions)."""
    pieces = _LEXEME.split(literal)  # odd pieces are quoted lexemes, never operators
    return any(_PHRASE_OPERATOR.search(p) for p in pieces[::2])


def any_of(cover: list[str]) -> str:
    """One tsquery literal matching at least what any of these literals match, phrases
    loosened to all their words: RUM 1.3's ordered index scan returns no rows for a phrase
    operator (the exact phrase is still the query's condition, checked on each candidate)."""
    loose = []
    for literal in dict.fromkeys(cover):
        pieces = _LEXEME.split(literal)  # odd pieces are quoted lexemes, left as they are
        loose.append(
            "".join(p if i % 2 else _PHRASE_OPERATOR.sub("&", p) for i, p in enumerate(pieces))
        )
    return " | ".join(f"({literal})" for literal in loose)


def any_lexeme(lexemes: list[str]) -> str:
    """A tsquery literal matching any of these lexemes."""
    quoted = ["'" + lx.replace("\\", "\\\\").replace("'", "''") + "'" for lx in lexemes]
    return " | ".join(dict.fromkeys(quoted))


@dataclass(frozen=True)
class Candidates:
    """Where a ranked page's rows come from with the RUM index (see ranked_candidates)."""

    cover: str  # a tsquery: the index's best matches of it
    rare: str | None = None  # or every match holding one of these words (no index order)
    newest: bool = False  # also the newest matches (those that may hold no cover word)
    complete: Sql | None = None  # also every row matching this (the complete matches)
    # Instead of the index's order of the whole cover: the champion lists of these common
    # words (champions.py), with the index's best matches of `rest` (the query's other
    # words) when there are any; the whole cover's order only when the lists' matches
    # cannot fill the page.
    champions: Sql | None = None
    rest: str | None = None


def ranked_candidates(
    where: Sql,
    flags: dict[str, Sql],
    pool: Candidates,
    score: Sql,
    sq: SearchQuery,
    k: int,
    rum: bool = True,
) -> Sql:
    """The best page by `score`, computed for the `k` best matches in the RUM index's rank
    order (`vector <=> cover`, read from the index: the stored vectors of the other matches
    are never read), or ten per row down to the page's last when that is more; with the
    complete matches and, when a match may hold no cover word (it scores 0, and such rows
    come newest first), the page's depth of newest matches. The same rows as ranked_hits
    when the matches are no more; for a broad query, the exact score ranks the index's best
    few hundred."""
    filters = " AND ".join(f.sql for f in flags.values())
    filter_params = [p for f in flags.values() for p in f.params]
    newest = "a.published_date DESC NULLS LAST, a.id DESC"
    offset = (sq.page - 1) * sq.per_page
    depth = offset + sq.per_page
    if rum:
        ordered = f"""(SELECT a.id FROM {ARTICLE} a
              WHERE {VECTOR} @@ %s::tsquery AND {where.sql} AND {filters}
              ORDER BY {VECTOR} <=> %s::tsquery LIMIT %s)"""
        # A deeper list needs a deeper pool: ten candidates per row down to the page's last.
        ordered_params = [pool.cover, *where.params, *filter_params]
        ordered_params += [pool.cover, max(k, 10 * depth)]
        if pool.champions is not None:
            ordered, ordered_params = _with_champions(
                pool, where, filters, filter_params, ordered, ordered_params, k, depth
            )
    else:  # no index order: every match is a candidate
        ordered = f"(SELECT a.id FROM {ARTICLE} a WHERE {where.sql} AND {filters})"
        ordered_params = [*where.params, *filter_params]
    if pool.rare:
        # The rare words' matches; the ordered pool too only when they cannot fill the
        # page (a facet selection may leave few): PostgreSQL tests the count first and skips
        # the ordered scan otherwise.
        sources = [
            f"""(WITH r AS MATERIALIZED (SELECT a.id FROM {ARTICLE} a
                   WHERE {VECTOR} @@ %s::tsquery AND {where.sql} AND {filters})
                 SELECT id FROM r
                 UNION ALL
                 SELECT id FROM {ordered} o WHERE (SELECT count(*) FROM r) < %s)"""
        ]
        params = [pool.rare, *where.params, *filter_params, *ordered_params, depth]
    else:
        sources, params = [ordered], ordered_params
    if pool.complete is not None:
        sources.append(f"(SELECT a.id FROM {ARTICLE} a WHERE {pool.complete.sql} AND {filters})")
        params += [*pool.complete.params, *filter_params]
    if pool.newest:
        sources.append(
            f"(SELECT a.id FROM {ARTICLE} a WHERE {where.sql} AND {filters} "
            f"ORDER BY {newest} LIMIT %s)"
        )
        params += [*where.params, *filter_params, depth]
    # Each candidate's row is read by its id (OFFSET 0 keeps that a per-id index lookup: as
    # a plain join the planner hashed the ids and read the whole table to find them) and
    # scored there: the subquery is the row `a` the score reads.
    sql = f"""
        SELECT 'hit', a.id::text, NULL, {score.sql} AS score
        FROM (SELECT DISTINCT id FROM ({" UNION ALL ".join(sources)}) s) best
        CROSS JOIN LATERAL (SELECT a.* FROM {ARTICLE} a WHERE a.id = best.id OFFSET 0) a
        ORDER BY score DESC, {newest} LIMIT %s OFFSET %s
    """
    return Sql(sql, [*score.params, *params, sq.per_page, offset])


def _with_champions(pool, where, filters, filter_params, ordered, ordered_params, k, depth):
    """The candidates of a query of common words: the matches among their champion lists,
    the index's best matches of the query's other words, and the index's order of the whole
    cover only when the lists' matches are fewer than the page's depth (PostgreSQL tests
    the count first and skips that scan otherwise)."""
    listed = f"""(SELECT a.id FROM {ARTICLE} a
          WHERE a.id IN ({pool.champions.sql}) AND {where.sql} AND {filters})"""
    params = [*pool.champions.params, *where.params, *filter_params]
    rest, rest_params = "", []
    if pool.rest:
        rest = f"""UNION ALL SELECT id FROM (SELECT a.id FROM {ARTICLE} a
              WHERE {VECTOR} @@ %s::tsquery AND {where.sql} AND {filters}
              ORDER BY {VECTOR} <=> %s::tsquery LIMIT %s) r"""
        rest_params = [pool.rest, *where.params, *filter_params, pool.rest, k]
    sql = f"""(WITH c AS MATERIALIZED {listed}
          SELECT id FROM c {rest}
          UNION ALL
          SELECT id FROM {ordered} o WHERE (SELECT count(*) FROM c) < %s)"""
    return sql, [*params, *rest_params, *ordered_params, depth]


def page(where: Sql, flags: dict[str, Sql], sq: SearchQuery, score: Sql | None = None) -> Sql:
    """(id, score) of one page of hits: by `score` when given (best first), else by date."""
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    newest = "a.published_date DESC NULLS LAST, a.id DESC"
    select, select_params = "0", []
    if score is not None:
        select, select_params = score.sql, list(score.params)
        order = f"score DESC, {newest}"
    elif sq.sort == "oldest":
        order = "a.published_date ASC NULLS LAST, a.id ASC"
    elif sq.sort == "added":  # ids grow as articles are added
        order = "a.id DESC"
    else:
        order = newest
    sql = (
        f"SELECT a.id, {select} AS score FROM {ARTICLE} a "
        f"WHERE {where.sql} AND {filters} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    offset = (sq.page - 1) * sq.per_page
    return Sql(sql, [*select_params, *where.params, *params, sq.per_page, offset])


def count(where: Sql, flags: dict[str, Sql]) -> Sql:
    filters = " AND ".join(f.sql for f in flags.values())
    params = [p for f in flags.values() for p in f.params]
    return Sql(
        f"SELECT count(*) FROM {ARTICLE} a WHERE {where.sql} AND {filters}",
        [*where.params, *params],
    )
