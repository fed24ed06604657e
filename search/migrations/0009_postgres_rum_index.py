"""PostgreSQL with the RUM extension available: a RUM index on the search vector, which the
engine uses to rank broad queries (search/engines/postgres/schema.py, CREATE_RUM). Without the
extension, or on SQLite, this migration does nothing and the engine ranks with GIN."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(pg_schema.RUM_AVAILABLE)
        if cursor.fetchone() is None:
            return
    for sql in pg_schema.CREATE_RUM:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in pg_schema.DROP_RUM:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0008_copy_groups"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
