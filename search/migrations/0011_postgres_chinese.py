"""PostgreSQL: Chinese text in the search vector. Two columns hold each article's CJK tokens
(written by the engine, see search/engines/postgres/schema.py) and the generated vector is
redefined to index them with the `simple` configuration (and to read the English words
beside CJK characters apart from them). The vector's indexes (GIN, and any
other made on it) are dropped with the column and made again as they were. Existing Chinese
articles become searchable word by word after `manage.py rebuild_index`. On SQLite this
migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema

_INDEXES = (
    "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_article' "
    f"AND indexdef LIKE '%%{pg_schema.VECTOR_COLUMN}%%'"
)


def _redefine(expression: str, add_columns: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_INDEXES)
            indexes = [row[0] for row in cursor.fetchall()]
        if add_columns:
            schema_editor.execute(
                f"ALTER TABLE search_article ADD COLUMN {pg_schema.CJK_TITLE} text, "
                f"ADD COLUMN {pg_schema.CJK_BODY} text"
            )
        schema_editor.execute(f"ALTER TABLE search_article DROP COLUMN {pg_schema.VECTOR_COLUMN}")
        schema_editor.execute(
            f"ALTER TABLE search_article ADD COLUMN {pg_schema.VECTOR_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
        for sql in indexes:
            schema_editor.execute(sql)
        if not add_columns:
            schema_editor.execute(
                f"ALTER TABLE search_article DROP COLUMN {pg_schema.CJK_TITLE}, "
                f"DROP COLUMN {pg_schema.CJK_BODY}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0010_facet_chinese_names_and_place_ids"),
    ]

    operations = [
        migrations.RunPython(
            _redefine(pg_schema.VECTOR_SQL, add_columns=True),
            _redefine(pg_schema.ENGLISH_VECTOR_SQL, add_columns=False),
            elidable=False,
        ),
    ]
