"""PostgreSQL full-text search: a weighted tsvector column with a GIN index and a trigram
vocabulary. On any other database (SQLite, the embedded default) this migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE),
            pg_schema.on_postgres(pg_schema.DROP),
            elidable=False,
        ),
    ]
