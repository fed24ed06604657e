"""On PostgreSQL the index is the database: its identity moves with every committed write,
including a facet rename that touches no article row."""

import pytest

from search.caching import index_version
from search.engines.base import get_backend
from search.models import City

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_committed_writes_move_the_version_and_reads_do_not(settings):
    settings.SEARCH_BACKEND = "postgres"
    backend = get_backend()
    first = index_version(backend).token
    assert index_version(backend).token == first  # reading changes nothing
    city = City.objects.create(name="Wuxi")
    second = index_version(backend).token
    assert second != first
    city.name = "Wúxī"
    city.save()
    assert index_version(backend).token != second
