"""PostgreSQL: the data version (schema.DATA_VERSION), stamped by statement triggers on the
article, facet-array and value tables, against which each app process checks the facet
columns it counts with (search/engines/postgres/facets.py). On SQLite this migration does
nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0015_pg_dates_index"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE_DATA_VERSION),
            pg_schema.on_postgres(pg_schema.DROP_DATA_VERSION),
            elidable=False,
        ),
    ]
