"""The contract suite runs once per engine named in ENGINES (PostgreSQL adds "postgres")."""

import pytest
from django.core.management import call_command

from search.engines import base

ENGINES = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]
CORPUS_SIZE = 150
CORPUS_SEED = 7


@pytest.fixture(params=ENGINES)
def engine(request, settings, index_dir):
    """The engine under test, configured as the app would configure it."""
    settings.SEARCH_BACKEND = request.param
    settings.SEARCH_INDEX_PROCS = 1  # forking index writers costs more than it saves here
    # PostgreSQL counts from its in-memory facet columns, reloaded after every write (the
    # app waits a few seconds between reloads, counting in SQL meanwhile: see
    # tests/postgres/test_facet_columns.py for that path and the two agreeing).
    settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS = 0
    base._backend.cache_clear()
    yield base.get_backend()
    base._backend.cache_clear()


@pytest.fixture
def corpus(engine, db):
    """A small deterministic synthetic corpus, indexed."""
    call_command("generate_corpus", CORPUS_SIZE, seed=CORPUS_SEED, no_index=True, verbosity=0)
    engine.rebuild()
    return engine


@pytest.fixture
def seeded_engine(engine, seeded):
    """The five seed articles, indexed by this engine."""
    engine.rebuild()
    return engine
