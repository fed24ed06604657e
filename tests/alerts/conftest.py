import pytest

from tests.ui_corpus import build_corpus


@pytest.fixture
def corpus(db, django_capture_on_commit_callbacks):
    """The UI test corpus, imported and indexed (its on_commit index updates run)."""
    with django_capture_on_commit_callbacks(execute=True):
        return build_corpus()
