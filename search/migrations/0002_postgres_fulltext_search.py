"""PostgreSQL full-text search: a weighted tsvector column with a GIN index and a trigram
vocabulary. On any other database (SQLite, the embedded default) this migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(pg_schema.CREATE), _run(pg_schema.DROP), elidable=False),
    ]
