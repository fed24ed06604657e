"""Bulk loads into PostgreSQL: the search vector's indexes built once afterwards.

Each insert pays for its row's vector (a parse of ~6 kB of text, ~1.3 ms of CPU) and, with
the indexes in place, for their upkeep: GIN's pending list and RUM's per-row WAL made a
100,000-article load run at 35-64 articles/s. Built once over the loaded rows with room to
sort (maintenance_work_mem), the same indexes take seconds. The operator's paths (the admin's
save, import_articles) keep the indexes in place: they are correct after every write.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connections

from search.engines.postgres import schema as pg_schema

# Room for sorting an index build (the server's default is 64 MB): per statement, not kept.
BUILD_MEMORY = "512MB"

_VECTOR_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_article' "
    "AND (indexdef LIKE %s OR indexname = %s) ORDER BY indexname"
)


def vector_indexes(connection) -> list[tuple[str, str]]:
    """(name, definition) of every full-text index: on the search vector (GIN, and RUM when
    made) and on the titles' words (schema.TITLE_INDEX, which parses each title)."""
    with connection.cursor() as cursor:
        cursor.execute(_VECTOR_INDEXES, [f"%{pg_schema.VECTOR_COLUMN}%", pg_schema.TITLE_INDEX])
        return cursor.fetchall()


@contextmanager
def deferred_vector_indexes(connection):
    """Drops the search vector's indexes for the block and builds them again after it, also
    when the block fails (a half-done load still leaves a searchable table)."""
    indexes = vector_indexes(connection)
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        build_indexes(connection, [definition for _, definition in indexes])


def build_indexes(connection, definitions: list[str]) -> None:
    """Builds the indexes at once, each from its own connection: a GIN or RUM build runs on
    one core (PostgreSQL 15 parallelises only btree builds), and both may read the table
    together (CREATE INDEX's lock does not conflict with itself). Inside a transaction (a
    test's), the other connections could not see its rows: one after the other there."""
    if connection.in_atomic_block or len(definitions) < 2:
        for definition in definitions:
            _build(connection, definition)
        return
    alias = connection.alias

    def build(definition: str) -> None:
        own = connections[alias]  # this thread's connection to the same database
        try:
            _build(own, definition)
        finally:
            own.close()

    with ThreadPoolExecutor(len(definitions)) as pool:
        list(pool.map(build, definitions))


def _build(connection, definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [BUILD_MEMORY])
        try:
            cursor.execute(definition)
        finally:
            cursor.execute("RESET maintenance_work_mem")


# Tables a bulk load leaves for VACUUM: the facet arrays' table holds a dead row version per
# article (its row is written by the city links' trigger, then rewritten by the
# organisations'), and the article table's visibility map is unset until vacuumed, so an
# index-only scan (the archive's dates, schema.DATES_INDEX) still visits every row.
SETTLED_TABLES = (
    "search_article",
    "search_article_cities",
    "search_article_organisations",
    pg_schema.FACET_ARRAYS,
)


def settle(connection) -> None:
    """VACUUM ANALYZE of the tables a bulk load wrote, what autovacuum would do some minutes
    later: at 100,000 articles the pairs of a word matching all of them took 0.45 instead
    of 0.55 s of server CPU after it. Not inside a transaction (a test's), where VACUUM
    cannot run."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in SETTLED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def reserve_ids(connection, table: str, count: int) -> list[int]:
    """`count` ids of the table's own sequence, ascending: rows inserted by several workers
    in any order still get ids in the order of their numbers, as one writer would give."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            "FROM generate_series(1, %s) ORDER BY 1",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(connection, model, objs: list) -> None:
    """Inserts model instances with COPY: each field's value as its save would write it
    (pre_save fills auto_now stamps and the like); ids when the instances have them, else
    the table's sequence. bulk_create's SQL building was ~1 ms of Python per article."""
    if not objs:
        return
    with_pk = objs[0].pk is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
