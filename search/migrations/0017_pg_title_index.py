"""PostgreSQL: a full-text index of the titles alone (schema.TITLE_INDEX), which `title:`
searches read instead of each candidate's stored vector. On SQLite this migration does
nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0016_pg_data_version"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE_TITLE_INDEX),
            pg_schema.on_postgres(pg_schema.DROP_TITLE_INDEX),
            elidable=False,
        ),
    ]
