"""PostgreSQL: champion lists (search/engines/postgres/champions.py), filled by the engine's
rebuild. On SQLite this migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0017_pg_title_index"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE_CHAMPIONS),
            pg_schema.on_postgres(pg_schema.DROP_CHAMPIONS),
            elidable=False,
        ),
    ]
