"""Organisations shown by the text's own words (search/pipeline/org_evidence.py), people and
ordinary words that must not be taken for them, and the city rules that came with them.

Every name here is made up or general knowledge; none comes from the benchmark pages."""

import pytest

from search.pipeline.cleaning import Cleaned
from search.pipeline.extraction import extract


def facets(*paragraphs: str, title: str = "A report"):
    return extract(Cleaned(title=title, paragraphs=paragraphs))


def organisations(*paragraphs: str) -> set[str]:
    return set(facets(*paragraphs).organisations)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # an appositive or a descriptor says what it is
        ("Talvane, a Denver-based maker of grid batteries, said it would hire 200.", "Talvane"),
        ("The deal was signed with Norquist, the logistics firm that runs the port.", "Norquist"),
        ("Investigators looked at Moldovan energy company Varexo last year.", "Varexo"),
        (
            "The study appeared in the journal Urban Climate Letters on Monday.",
            "Urban Climate Letters",
        ),
        ("Kestrel paid more, the Evening Courant newspaper said.", "Evening Courant"),
        # what only an organisation has
        ("Brightwell's chief executive resigned on Friday.", "Brightwell"),
        ("Shares of Quorvia fell 3% in New York.", "Quorvia"),
        (
            "Ostrander said it would close two plants. Ostrander’s shareholders objected.",
            "Ostrander",
        ),
        # a role at it, or before a person's name
        ('"Prices will rise," said Mina Patel, an analyst at Halvorsen.', "Halvorsen"),
        ("Drexford analyst Tom Reyes cut his forecast.", "Drexford"),
        # a source the story cites
        ("The plan was delayed, according to data from Pricewell.", "Pricewell"),
        ("The mayor told the Lakeside Ledger that the plan was dead.", "Lakeside Ledger"),
        ("The council voted 5-4, the Ridgeline Bugle reported.", "Ridgeline Bugle"),
        # beside a known company in a list
        ("Drivers for Uber, Lyft and Zoomcart will be covered.", "Zoomcart"),
    ],
)
def test_a_name_the_text_shows_to_be_an_organisation(text, name):
    assert name in organisations(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a person's surname, once the person has been named in full
        ('Dana Whitfield runs the firm. "We are growing," Whitfield said.', "Whitfield"),
        ('"Prices will rise," according to Mina Patel. Patel said more.', "Patel"),
        # a bare name cited like a person
        ("The plan was delayed, according to Mina Patel.", "Mina Patel"),
        # ordinary words that open a sentence
        ("Officials said the officials had left. Analysts said so too.", "Officials"),
        # the founder after "the company"
        ("It is the company Jane Doe founded in 2010.", "Jane Doe"),
        # products listed with a maker's product are not companies
        ("It comes with Apple CarPlay and Android Auto.", "Android Auto"),
        # an event named after an organisation
        ("She spoke at the United Nations Climate Action Summit.", "United Nations"),
        # a venue named after a company, and "Über" is not Uber
        ("Fans queued at the Chase Center for Über-smart screens.", "Uber"),
    ],
)
def test_not_an_organisation(text, name):
    assert name not in organisations(text)


def test_an_acronym_the_article_defines_is_that_name():
    text = (
        "The Coastal Transit Oversight Board (CTOB) opened an inquiry. A spokesperson for "
        "the CTOB declined to comment."
    )
    assert "Coastal Transit Oversight Board" in organisations(text)
    assert "CTOB" not in organisations(text)


def test_an_acronym_defined_for_ordinary_words_is_not_the_known_company():
    text = "Tests showed hypersensitivity pneumonitis, or HP. The man had HP for months."
    assert "HP" not in organisations(text)


def test_a_head_noun_with_on_keeps_its_whole_name_but_not_a_date():
    found = organisations(
        "The National Institute on Urban Ageing estimated the cost. The Regional Commission "
        "on Monday approved it."
    )
    assert "National Institute on Urban Ageing" in found
    assert not any("Monday" in name for name in found)


def test_a_capital_used_for_its_government_is_not_a_city_unless_something_is_in_it():
    gov = facets("Officials rejected Beijing's demands and pressed talks with Beijing.")
    assert "Beijing" not in gov.cities
    both = facets("Officials rejected Beijing's demands at a meeting in Beijing.")
    assert "Beijing" in both.cities


def test_a_city_before_bay_area_or_bridge_names_something_else():
    assert "San Francisco" not in facets("Rents rose across the San Francisco Bay Area.").cities
    assert "San Francisco" in facets("Rents rose in San Francisco.").cities


def test_a_small_town_with_an_ap_state_abbreviation():
    assert "DeKalb" in facets("DEKALB, Ill. — The team won at home in DeKalb, Ill.").cities


def test_a_chinese_family_name_cited_alone_is_a_person():
    text = "The Mayor of Lanzhou Wang Hongbin spoke. Clinics were added, according to Wang."
    assert "Wang" not in organisations(text)


def test_a_brand_spelled_as_no_person_is_cited_alone():
    assert "QuantLedger" in organisations("QuantLedger said prices would fall further.")


def test_an_acronym_that_keeps_the_of_maps_to_the_name_found_already():
    found = organisations(
        "The Harbour Reliability Council of Ontario (HRCOO) said supply was tight. "
        "HRCOO said demand would peak on Friday."
    )
    assert "HRCOO" not in found
