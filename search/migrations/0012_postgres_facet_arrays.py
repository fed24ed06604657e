"""PostgreSQL: each article's city and organisation ids as arrays on a narrow table kept by
triggers on the link tables (search/engines/postgres/schema.py, FACET_ARRAYS), which facet
counts and pairs read. On SQLite this migration does nothing."""

from django.db import migrations

from search.engines.postgres import schema as pg_schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0011_postgres_chinese"),
    ]

    operations = [
        migrations.RunPython(
            pg_schema.on_postgres(pg_schema.CREATE_FACET_ARRAYS),
            pg_schema.on_postgres(pg_schema.DROP_FACET_ARRAYS),
            elidable=False,
        ),
    ]
