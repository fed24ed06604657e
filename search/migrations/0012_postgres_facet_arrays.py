"""PostgreSQL: each article's city and organisation ids as arrays on a narrow table kept by
triggers on the link tables (search/engines/postgres/schema.py, FACET_ARRAYS), which facet
counts and pairs read. On SQLite this migration does nothing."""

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
        ("search", "0011_postgres_chinese"),
    ]

    operations = [
        migrations.RunPython(
            _run(pg_schema.CREATE_FACET_ARRAYS), _run(pg_schema.DROP_FACET_ARRAYS), elidable=False
        ),
    ]
