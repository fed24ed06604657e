"""PostgreSQL: a partial index of the representatives' dates (schema.DATES_INDEX), from
which the archive's timeline is counted without reading the article rows. On SQLite this
migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0014_extract_facet_curated"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE_DATES_INDEX),
            pg_schema.on_postgres(pg_schema.DROP_DATES_INDEX),
            elidable=False,
        ),
    ]
