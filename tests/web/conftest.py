import pytest

from tests.ui_corpus import build_corpus


@pytest.fixture
def corpus(db, django_capture_on_commit_callbacks):
    """The UI test corpus, imported and indexed (its on_commit index updates run)."""
    with django_capture_on_commit_callbacks(execute=True):
        return build_corpus()


@pytest.fixture
def corpus_committed(transactional_db):
    """The UI corpus in committed rows, for tests that close the database connection."""
    return build_corpus()
