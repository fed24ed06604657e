"""The PostgreSQL-only parts of the schema, shared by the migration and the search backend.

They live outside the Django models on purpose: the same migrations run on SQLite, where none
of this exists, and the Article model stays engine-neutral.
"""

from search.engines import analysis

# A text search configuration of our own: English stemming with accents folded, so that
# "Zürich" and "zurich" meet, as they do in the Whoosh index (accent_map).
TS_CONFIG = "smartcity_english"
# Words as typed (not stemmed), for "did you mean" suggestions and more-like-this weights.
VOCABULARY_TABLE = "search_vocabulary"
VECTOR_COLUMN = "search_vector"
RUM_INDEX = "search_article_search_vector_rum"

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{TS_CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
      END IF;
    END $$
    """,
    # Title weighs A, body B; PostgreSQL keeps the column in step with every INSERT/UPDATE,
    # so no app server holds any index state. Titles and bodies are plain text: "<" and ">"
    # become spaces because the parser would read "<script>..." as markup and drop the words.
    f"""
    ALTER TABLE search_article ADD COLUMN {VECTOR_COLUMN} tsvector
      GENERATED ALWAYS AS (
        setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                              translate(coalesce(title, ''), '<>', '  ')), 'A') ||
        setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                              translate(coalesce(body, ''), '<>', '  ')), 'B')
      ) STORED
    """,
    f"CREATE INDEX search_article_search_vector_gin ON search_article USING gin ({VECTOR_COLUMN})",
    # "Newest first" pages of everything (no query words) read the first rows of this index
    # instead of sorting the whole table.
    """
    CREATE INDEX search_article_newest
      ON search_article (published_date DESC NULLS LAST, id DESC)
    """,
    f"""
    CREATE TABLE {VOCABULARY_TABLE} (
      word text PRIMARY KEY,
      ndoc integer NOT NULL
    )
    """,
    f"""
    CREATE INDEX search_vocabulary_word_trgm
      ON {VOCABULARY_TABLE} USING gin (word gin_trgm_ops)
    """,
]

DROP = [
    f"DROP TABLE IF EXISTS {VOCABULARY_TABLE}",
    "DROP INDEX IF EXISTS search_article_search_vector_gin",
    "DROP INDEX IF EXISTS search_article_newest",
    f"ALTER TABLE search_article DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}",
]

# The RUM access method (Debian's postgresql-N-rum), when the server has it: an index that
# keeps each word's positions, so `ORDER BY vector <=> tsquery` returns the best-ranked matches
# of a broad query from the index alone, where GIN + a rank function reads the stored vector of
# every match. The GIN index stays: it is the smaller, cheaper index for counting matches, and
# the engine falls back to it wherever RUM is missing (see backend.PostgresBackend.uses_rum).
RUM_AVAILABLE = "SELECT 1 FROM pg_available_extensions WHERE name = 'rum'"
CREATE_RUM = [
    "CREATE EXTENSION IF NOT EXISTS rum",
    f"""
    CREATE INDEX IF NOT EXISTS {RUM_INDEX}
      ON search_article USING rum ({VECTOR_COLUMN} rum_tsvector_ops)
    """,
]
DROP_RUM = [f"DROP INDEX IF EXISTS {RUM_INDEX}"]

# Chinese (CJK) text: PostgreSQL has no Chinese parser here, so the engine writes each
# article's CJK tokens (search/engines/analysis.py: characters and jieba words, folded to
# Simplified) into these columns, space-separated, and the vector indexes them with the
# `simple` configuration (migration 0011 redefines the generated column with them).
CJK_TITLE = "search_cjk_title"
CJK_BODY = "search_cjk_body"
ENGLISH_VECTOR_SQL = f"""
    setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                          translate(coalesce(title, ''), '<>', '  ')), 'A') ||
    setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                          translate(coalesce(body, ''), '<>', '  ')), 'B')
"""
# The English parser reads a run of Han characters as one word, glued to the Latin letters
# around it ("Huawei在深圳发布5G" would be one lexeme): CJK runs become spaces there.
_NO_CJK = f"regexp_replace(coalesce({{}}, ''), '[{analysis.CJK_CHARS}]+', ' ', 'g')"
VECTOR_SQL = f"""
    setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                          translate({_NO_CJK.format("title")}, '<>', '  ')), 'A') ||
    setweight(to_tsvector('{TS_CONFIG}'::regconfig,
                          translate({_NO_CJK.format("body")}, '<>', '  ')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, coalesce({CJK_TITLE}, '')), 'A') ||
    setweight(to_tsvector('simple'::regconfig, coalesce({CJK_BODY}, '')), 'B')
"""

# The dates of every article a search counts (representatives: see sql.match_where), for
# the whole archive's timeline on entity and comparison pages, read by an index-only scan:
# the table's rows were 0.5 of an entity page's 0.6 s at 100,000 articles. Its condition is
# written as only that statement writes it (sql.ARCHIVE), not as searches do ("IS NOT
# FALSE"): a partial index whose predicate a search implies is a cheap-looking list of
# every row, and the planner took it for a word matching everything and tested each row's
# stored vector (2.0 s instead of the full-text index's 0.2 s).
DATES_INDEX = "search_article_dates"
ARCHIVE_CONDITION = "coalesce({row}is_representative, TRUE)"
CREATE_DATES_INDEX = [
    f"""CREATE INDEX IF NOT EXISTS {DATES_INDEX} ON search_article (year, published_date)
    WHERE {ARCHIVE_CONDITION.format(row="")}"""
]
DROP_DATES_INDEX = [f"DROP INDEX IF EXISTS {DATES_INDEX}"]

# Each article's cities and organisations as id arrays on a narrow table of their own, kept
# in step with the link tables by triggers (any writer: the admin, imports, merges, bulk
# loads, raw SQL). A search counts its facets and pairs by unnesting the arrays of its
# matches (one row each, ~40 bytes) instead of joining the link tables (three rows per
# match per facet, through two indexes): at 10,000 articles the pairs of a word matching
# all of them spent 230 of 280 ms in those joins. Not on the article row itself: a change
# there rewrites the row and re-parses its generated search vector.
FACET_ARRAYS = "search_article_facets"
FACET_ARRAY_COLUMNS = {"city": "city_ids", "organisation": "org_ids"}
# (link table, its value column, the array column) per facet.
_ARRAY_LINKS = (
    ("search_article_cities", "city_id", "city_ids"),
    ("search_article_organisations", "organisation_id", "org_ids"),
)


def _array_trigger(link: str, fk: str, column: str) -> list[str]:
    """A function recomputing `column` for the articles a statement on `link` touched, and
    its three statement-level triggers (one per event: a trigger with transition tables
    has one). Articles gone meanwhile are skipped (their row goes with them)."""
    function = f"{link}_to_arrays"
    touched = {
        "INSERT": "SELECT article_id FROM new_rows",
        "DELETE": "SELECT article_id FROM old_rows",
        "UPDATE": "SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows",
    }
    branches = []
    for op, ids in touched.items():
        branches.append(
            f"""IF TG_OP = '{op}' THEN
              INSERT INTO {FACET_ARRAYS} (article_id, {column})
              SELECT a.id, coalesce((SELECT array_agg(l.{fk} ORDER BY l.{fk}) FROM {link} l
                                     WHERE l.article_id = a.id), '{{}}')
              FROM search_article a WHERE a.id IN ({ids})
              ON CONFLICT (article_id) DO UPDATE SET {column} = EXCLUDED.{column};
            END IF;"""
        )
    body = "\n".join(branches)
    statements = [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          {body}
          RETURN NULL;
        END $$"""
    ]
    for op in touched:
        tables = {
            "INSERT": "NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
            "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
        }[op]
        statements.append(
            f"CREATE TRIGGER {link}_arrays_{op.lower()} AFTER {op} ON {link} "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return statements


CREATE_FACET_ARRAYS = [
    f"""CREATE TABLE {FACET_ARRAYS} (
      article_id bigint PRIMARY KEY,
      city_ids bigint[] NOT NULL DEFAULT '{{}}',
      org_ids bigint[] NOT NULL DEFAULT '{{}}'
    )""",
    *[sql for link in _ARRAY_LINKS for sql in _array_trigger(*link)],
    # A deleted article's row goes with it. Triggers, not a foreign key: Django's test
    # flush truncates its own tables without CASCADE, which a referencing table refuses.
    f"""CREATE OR REPLACE FUNCTION {FACET_ARRAYS}_forget() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE {FACET_ARRAYS};
      ELSE
        DELETE FROM {FACET_ARRAYS} WHERE article_id IN (SELECT id FROM old_rows);
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER search_article_arrays_delete AFTER DELETE ON search_article
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {FACET_ARRAYS}_forget()""",
    f"""CREATE TRIGGER search_article_arrays_truncate AFTER TRUNCATE ON search_article
    FOR EACH STATEMENT EXECUTE FUNCTION {FACET_ARRAYS}_forget()""",
    # The arrays of the articles already there.
    *[
        f"""INSERT INTO {FACET_ARRAYS} (article_id, {column})
        SELECT article_id, array_agg({fk} ORDER BY {fk}) FROM {link} GROUP BY article_id
        ON CONFLICT (article_id) DO UPDATE SET {column} = EXCLUDED.{column}"""
        for link, fk, column in _ARRAY_LINKS
    ],
]
DROP_FACET_ARRAYS = [
    *[
        f"DROP TRIGGER IF EXISTS {link}_arrays_{op} ON {link}"
        for link, _, _ in _ARRAY_LINKS
        for op in ("insert", "delete", "update")
    ],
    *[f"DROP FUNCTION IF EXISTS {link}_to_arrays()" for link, _, _ in _ARRAY_LINKS],
    "DROP TRIGGER IF EXISTS search_article_arrays_delete ON search_article",
    "DROP TRIGGER IF EXISTS search_article_arrays_truncate ON search_article",
    f"DROP FUNCTION IF EXISTS {FACET_ARRAYS}_forget()",
    f"DROP TABLE IF EXISTS {FACET_ARRAYS}",
]


def on_postgres(statements: list[str]):
    """A RunPython function executing `statements` on PostgreSQL and nothing elsewhere
    (SQLite, the embedded default): the migrations' way to run this module's SQL."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


# The data version an app process checks its facet columns against (facets.FacetColumns):
# every statement that writes the article table, its facet arrays (so every link write,
# through the arrays' triggers) or the value tables (renames) stamps a fresh number of a
# sequence into one of VERSION_SHARDS rows, picked by the writing backend's pid so that
# concurrent writers rarely wait on the same row. Sequence numbers are never handed out
# twice (not even after a rollback), so the shards' values name one state of the data: a
# rolled back write (or savepoint) restores the old values, and no later statement can bring
# back a set of values seen before with other data (a counter could: a rolled back +1 and
# another transaction's committed +1 look alike). Read in the same statement as a search's
# matches, it is of the same snapshot, on the primary and on a replica alike.
DATA_VERSION = "search_data_version"
VERSION_SHARDS = 64
VERSIONED_TABLES = ("search_article", FACET_ARRAYS, "search_city", "search_organisation")
CREATE_DATA_VERSION = [
    f"CREATE SEQUENCE {DATA_VERSION}_stamps",
    f"""CREATE TABLE {DATA_VERSION} (
      shard integer PRIMARY KEY,
      stamp bigint NOT NULL DEFAULT 0
    )""",
    f"INSERT INTO {DATA_VERSION} (shard) SELECT generate_series(0, {VERSION_SHARDS - 1})",
    f"""CREATE OR REPLACE FUNCTION {DATA_VERSION}_stamp() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN
      UPDATE {DATA_VERSION} SET stamp = nextval('{DATA_VERSION}_stamps')
      WHERE shard = mod(pg_backend_pid(), {VERSION_SHARDS});
      RETURN NULL;
    END $$""",
    *[
        f"""CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
        ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {DATA_VERSION}_stamp()"""
        for table in VERSIONED_TABLES
    ],
]
DROP_DATA_VERSION = [
    *[f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}" for table in VERSIONED_TABLES],
    f"DROP FUNCTION IF EXISTS {DATA_VERSION}_stamp()",
    f"DROP TABLE IF EXISTS {DATA_VERSION}",
    f"DROP SEQUENCE IF EXISTS {DATA_VERSION}_stamps",
]

# The words of the title alone (the vector's A weight: English and CJK tokens), indexed, for
# `title:` searches: testing `ts_filter(vector, '{a}')` read each candidate's whole stored
# vector (~6 kB, out of line), 1.0 s for a common word at 100,000 articles; this index
# answers the test itself. Searches write the expression exactly as here (sql.TITLE_VECTOR).
TITLE_INDEX = "search_article_title_vector"
TITLE_VECTOR_SQL = (
    f"(to_tsvector('{TS_CONFIG}'::regconfig, translate({_NO_CJK.format('{row}title')}, '<>', '  '))"
    f" || to_tsvector('simple'::regconfig, coalesce({{row}}{CJK_TITLE}, '')))"
)
CREATE_TITLE_INDEX = [
    f"CREATE INDEX IF NOT EXISTS {TITLE_INDEX} ON search_article "
    f"USING gin ({TITLE_VECTOR_SQL.format(row='')})"
]
DROP_TITLE_INDEX = [f"DROP INDEX IF EXISTS {TITLE_INDEX}"]

# Champion lists (champions.py): per common word, the articles it scores best in.
CHAMPIONS = "search_champions"
CREATE_CHAMPIONS = [
    f"""CREATE TABLE IF NOT EXISTS {CHAMPIONS} (
      lexeme text NOT NULL,
      article_id bigint NOT NULL,
      score real NOT NULL,
      PRIMARY KEY (lexeme, article_id)
    )"""
]
# Each listed word's title and body idf when its list was made (champions.add scores
# written articles with them).
CHAMPION_WORDS = "search_champion_words"
CREATE_CHAMPIONS.append(
    f"""CREATE TABLE IF NOT EXISTS {CHAMPION_WORDS} (
      lexeme text PRIMARY KEY,
      wt double precision NOT NULL,
      wb double precision NOT NULL
    )"""
)
DROP_CHAMPIONS = [f"DROP TABLE IF EXISTS {CHAMPIONS}", f"DROP TABLE IF EXISTS {CHAMPION_WORDS}"]
