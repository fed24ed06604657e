"""field:value parsing for the PostgreSQL engine (pure; runs in every session)."""

from search.engines.query_fields import plain_words, split_fields, websearch_parts


def test_known_fields_become_filters_and_leave_the_words():
    fq = split_fields('iot city:Wuxi org:"China Mobile" year:2017 title:summit expo')
    assert fq.text == "iot expo"
    assert fq.cities == ("Wuxi",)
    assert fq.organisations == ("China Mobile",)
    assert fq.years == ((2017, 2017),)
    assert fq.titles == ("summit",)


def test_field_names_are_case_blind_and_have_spellings():
    fq = split_fields("City:Nanjing organization:Huawei ORG:CETC")
    assert fq.cities == ("Nanjing",)
    assert fq.organisations == ("Huawei", "CETC")
    assert fq.text == ""


def test_year_ranges_either_way_round():
    assert split_fields("year:2017-2015").years == ((2015, 2017),)
    assert split_fields("year:2015..2016").years == ((2015, 2016),)


def test_bad_year_and_negated_field_give_notes_not_errors():
    fq = split_fields("year:soon -city:Wuxi smart")
    assert fq.text == "smart"
    assert fq.years == () and fq.cities == ()
    assert len(fq.notes) == 2


def test_unknown_fields_and_urls_stay_words():
    fq = split_fields("foo:bar http://example.com")
    assert fq.text == "foo:bar http://example.com"
    assert fq.cities == ()


def test_plain_words_skip_operators_and_numbers():
    assert plain_words('"smart citty" or -iot 2017 AND x') == ["smart", "citty", "iot"]


def test_websearch_parts_translate_whoosh_spellings():
    tq = websearch_parts("sens* city NOT camera AND bus fuzy~2")
    assert (tq.text, tq.prefixes, tq.fuzzy, tq.note) == (
        "city -camera bus",
        ("sens",),
        ("fuzy",),
        None,
    )
    assert websearch_parts('"smart city" or iot').text == '"smart city" or iot'


def test_malformed_queries_become_plain_words_with_a_note():
    for text, words in [
        ('"unclosed smart', "unclosed smart"),
        ("AND OR", ""),
        ("(((", ""),
        ("smart AND OR city", "smart city"),
        ("city)", "city"),
    ]:
        tq = websearch_parts(text)
        assert tq.note and tq.text == words, text
    for fine in ['"smart city" OR (data -energy)', "iot NOT camera", "NOT camera", "a OR b"]:
        assert websearch_parts(fine).note is None, fine
