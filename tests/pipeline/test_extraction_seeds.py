"""Acceptance: clean + extract each seed and compare with seeds/expected.json."""

import datetime as dt
import unicodedata

import pytest

from search.pipeline.cleaning import clean
from search.pipeline.extraction import extract
from tests.conftest import SEEDS

SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def facets_of():
    return {name: extract(clean((SEEDS / name).read_bytes(), "text")) for name in SEED_NAMES}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_date_year_and_source(name, facets_of, expected):
    facets, want = facets_of[name], expected[name]
    assert facets.date == (dt.date.fromisoformat(want["date"]) if want["date"] else None)
    assert facets.year == want["year"]
    assert facets.source == want["source"]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_required_cities_and_organisations_are_found(name, facets_of, expected):
    facets, want = facets_of[name], expected[name]
    assert {norm(c) for c in want["cities_required"]} <= {norm(c) for c in facets.cities}
    organisations = {norm(o) for o in facets.organisations}
    assert {norm(o) for o in want["organisations_required"]} <= organisations


@pytest.mark.parametrize("name", SEED_NAMES)
def test_nothing_listed_as_not_a_facet_appears(name, facets_of, expected):
    facets, want = facets_of[name], expected[name]
    values = {norm(v) for v in (*facets.cities, *facets.organisations)}
    assert not values & {norm(v) for v in want["not_facets"]}
