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
