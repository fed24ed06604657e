import json
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# The PostgreSQL half of the suite: see tests/pg.py.
pytest_plugins = ["tests.pg"]


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """Every test gets its own real Whoosh index in a temp dir."""
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return settings.SEARCH_INDEX_DIR


@pytest.fixture
def whoosh_engine(settings, index_dir):
    """The Whoosh engine alone, for tests about it whatever engines the contract runs on."""
    from search.engines import base

    settings.SEARCH_BACKEND = "whoosh"
    settings.SEARCH_INDEX_PROCS = 1  # forking index writers costs more than it saves here
    base._backend.cache_clear()
    yield base.get_backend()
    base._backend.cache_clear()


@pytest.fixture(scope="session")
def expected() -> dict:
    data = json.loads((SEEDS / "expected.json").read_text(encoding="utf-8"))
    return {name: item for name, item in data.items() if not name.startswith("_")}


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    """The five seed articles imported, with their index updates run."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(SEEDS), verbosity=0)
