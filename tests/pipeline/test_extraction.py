"""Unit tests of facet extraction on hand-built Cleaned articles (independent of cleaning)."""

import datetime as dt
import subprocess
import sys

import pytest

from search.pipeline.cleaning import Cleaned
from search.pipeline.extraction import Facets, Gazetteer, default_gazetteer, extract
from search.pipeline.gazetteer import with_additions
from search.pipeline.organisations import acronym_fits
from tests.pipeline.hostile_inputs import BAD_FOR_EXTRACTION


def article(*paragraphs, title="A report", meta_lines=(), meta=None) -> Facets:
    cleaned = Cleaned(
        title=title, paragraphs=tuple(paragraphs), meta_lines=tuple(meta_lines), meta=meta or {}
    )
    return extract(cleaned)


# --- date and year -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("July 19, 2021", dt.date(2021, 7, 19)),
        ("Source:Global Times Published: 2018/11/20 19:03:40", dt.date(2018, 11, 20)),
        ("Updated : 2017-03-03", dt.date(2017, 3, 3)),
        ("12 May 2023", dt.date(2023, 5, 12)),
        ("Posted on Sept. 5th, 2020 by staff", dt.date(2020, 9, 5)),
        ("2021年6月30日 10:00", dt.date(2021, 6, 30)),
    ],
)
def test_date_from_a_meta_line(line, expected):
    facets = article("The city opened a data centre.", meta_lines=[line])
    assert (facets.date, facets.year) == (expected, expected.year)


def test_date_line_still_in_the_body_is_found():
    facets = article("Updated : 2017-03-03", "(chinadaily.com.cn)", "Wuxi signed a deal.")
    assert facets.date == dt.date(2017, 3, 3)


def test_wire_dateline_opening_a_long_paragraph():
    facets = article(
        "GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/ — The Smart City Development Forum 2022, "
        "which was jointly hosted by the State Information Center, opened on November 16 and "
        "brought together government representatives, experts and scholars."
    )
    assert facets.date == dt.date(2022, 11, 21)
    assert facets.source == "PR Newswire"


def test_html_meta_date_wins_and_iso_time_is_read():
    facets = article(
        "July 1, 2015 was when the plan began.",
        meta={"article:published_time": "2019-06-12T08:30:00+08:00"},
    )
    assert facets.date == dt.date(2019, 6, 12)


def test_a_date_inside_a_story_sentence_is_not_the_article_date():
    facets = article(
        "The city, which has been investing in sensors for years and now runs one of the largest "
        "networks in the region, first switched its lamps on July 1, 2015, the mayor said in a "
        "long interview with reporters who had gathered for the occasion."
    )
    assert facets.date is None


def test_numbers_and_targets_are_never_years():
    facets = article(
        "The group will invest 10 billion yuan (2025 million in other units) by 2025.",
        "This is the key direction of the 14th Five-Year Plan, discussed at the 269th forum.",
        "The city aims to be carbon neutral by 2030 under its Vision 2035 strategy.",
    )
    assert (facets.date, facets.year) == (None, None)


def test_expo_year_in_title_gives_a_year_without_a_date():
    facets = article("The fair drew 400 exhibitors.", title="China Smart City Expo 2018 opens")
    assert (facets.date, facets.year) == (None, 2018)


def test_event_year_in_body_when_undated():
    facets = article(
        "The Fourth China Smart City International Expo 2018 kicked off in Shenzhen yesterday.",
        "The city plans 500 smart projects by 2025.",
    )
    assert (facets.date, facets.year) == (None, 2018)


def test_dateline_year_beats_every_year_in_the_text():
    facets = article("Expo 2019 will follow. The plan runs to 2025.", meta_lines=["2018-11-20"])
    assert facets.year == 2018


def test_impossible_dates_are_skipped():
    facets = article("Published: 2021-02-30", "Published: 2021-03-01")
    assert facets.date == dt.date(2021, 3, 1)


# --- cities ---------------------------------------------------------------------------------


def test_city_aliases_and_diacritics_give_one_canonical_name():
    facets = article(
        "Lyuliang and Lüliang, Urumqi and Ürümqi, Xian and Xi’an and Xi'an all joined.",
    )
    assert sorted(facets.cities) == ["Lüliang", "Xi'an", "Ürümqi"]


def test_provinces_countries_and_regions_are_not_cities():
    facets = article(
        "The summit in Yinchuan, Ningxia Hui Autonomous Region, drew guests from Hubei, Jiangsu "
        "province, Spain, Algeria, Inner Mongolia and Europe, and the Jilin province government."
    )
    assert facets.cities == ("Yinchuan",)


def test_ordinary_words_and_lowercase_never_match():
    facets = article(
        "Reading the data is a nice way to split the work. Mobile phones help; victoria sponge.",
        "Nice results, said Victoria Lin. Orange County and Phoenix were mentioned.",
        "the suzhou team and the wuxi team",
    )
    assert facets.cities == ()


def test_a_given_name_after_a_surname_is_a_person_not_a_city():
    facets = article("Wang Xining, an engineer from Lanzhou, met Li Yinchuan in Xining.")
    assert facets.cities == ("Lanzhou", "Xining")


def test_all_caps_dateline_city_and_world_cities():
    facets = article("SAN JOSE, Calif. -- Trials run in Barcelona, Singapore and New York.")
    assert facets.cities == ("San Jose", "Barcelona", "Singapore", "New York City")


def test_a_city_inside_an_organisation_name_is_not_a_place_mention():
    facets = article("Researchers at Wuhan University presented the work.")
    assert facets.cities == ()
    assert facets.organisations == ("Wuhan University",)


def test_a_venue_still_names_its_city():
    facets = article("It opened at Jasmine Hall of Shenzhen Convention and Exhibition Center.")
    assert facets.cities == ("Shenzhen",)
    assert facets.organisations == ()


# --- organisations --------------------------------------------------------------------------


def test_inline_acronym_is_one_organisation_and_bare_uses_count_for_it():
    facets = article(
        "He said the government will support CETC.",
        "The company is a subsidiary of state-owned China Electronics Technology Group "
        "Corporation (CETC), a large enterprise.",
    )
    assert facets.organisations == ("China Electronics Technology Group Corporation",)
    assert facets.organisation_aliases == {
        "China Electronics Technology Group Corporation": ("CETC",)
    }


def test_an_acronym_defined_by_the_article_wins_over_the_gazetteer():
    facets = article(
        "The Chengdu Energy Council (CEC) met on Monday. CEC said prices would fall.",
    )
    assert facets.organisations == ("Chengdu Energy Council",)


def test_an_unknown_acronym_in_brackets_after_a_non_name_is_ignored():
    facets = article("The Internet of Things (IoT) grows. IoT devices are cheap.")
    assert facets.organisations == ()


@pytest.mark.parametrize(
    ("acronym", "name", "fits"),
    [
        ("CETC", "China Electronics Technology Group Corporation", True),
        ("CEC", "China Electronics Corporation", True),
        ("NDRC", "National Development and Reform Commission", True),
        ("GT", "GienTech", True),
        ("IoT", "China Electronics Corporation", False),
        ("XYZ", "China Electronics Corporation", False),
    ],
)
def test_acronym_fits(acronym, name, fits):
    assert acronym_fits(acronym, name) is fits


def test_names_by_shape_are_whole_and_not_glued():
    facets = article(
        "The expo is hosted by China Center for Urban Development, the Shenzhen government, "
        "Ping An Insurance (Group) Company of China, Ltd. and Smart City Development Alliance.",
        "Peng Sen, former deputy director of the National Development and Reform Commission, "
        "spoke, as did Zhu Dongfang, President of Asia Digital Group South China.",
        "Academicians from the Chinese Academy of Engineering joined the Vice Party Secretary.",
        "The award went to Hangzhou Dt Dream Technology Co., Ltd., GienTech Co., Ltd., "
        "and Lanxin Data Technology Co., Ltd. on Monday.",
    )
    assert facets.organisations == (
        "China Center for Urban Development",
        "Ping An Insurance (Group) Company of China, Ltd.",
        "Smart City Development Alliance",
        "National Development and Reform Commission",
        "Asia Digital Group",
        "Chinese Academy of Engineering",
        "Dt Dream",
        "GienTech",
        "Lanxin Data Technology Co., Ltd.",
    )


def test_person_names_and_countries_do_not_stick_to_a_name():
    facets = article(
        "the former deputy director of the National Health and Family Planning Commission of "
        "China Jin Xiaotao, and the State Grid Corporation of China."
    )
    assert facets.organisations == (
        "National Health and Family Planning Commission",
        "State Grid Corporation of China",
    )


def test_two_organisations_joined_by_and_stay_two():
    facets = article(
        "Cisco Systems and Tongji University signed; Hubei University and Huizhimei Group too; "
        "SBI and ICICI Bank as well."
    )
    assert facets.organisations == (
        "Cisco",
        "Tongji University",
        "Hubei University",
        "Huizhimei Group",
        "ICICI Bank",
    )


def test_hyphenated_joint_centre_is_one_name():
    facets = article(
        "The Hubei University-Huizhimei Group Joint Research Center for Smart City was held."
    )
    assert facets.organisations == (
        "Hubei University-Huizhimei Group Joint Research Center for Smart City",
    )


def test_venues_slogans_and_single_words_are_not_organisations():
    facets = article(
        "Themed “Digital China, Smart Society,” the forum opened at Jasmine Hall of Shenzhen "
        "Convention and Exhibition Center and the Fuzhou Strait International Conference and "
        "Exhibition Center. University students and the Group attended. Hall 3 and the "
        "Lingshan Mountain Scenic Area were full.",
    )
    assert facets.organisations == ()


def test_title_case_headline_does_not_glue_words_into_names():
    facets = article(
        "Huawei will build the cloud.",
        title="Wuhan Partners With Huawei To Build City Cloud Alliance At Optics Valley Group",
    )
    assert facets.organisations == ("Huawei",)
    assert facets.cities == ("Wuhan",)


def test_known_organisation_facility_counts_as_the_organisation():
    facets = article("Li Weibo, Chief Engineer at ZTE Data Center, spoke; so did iFlytek.")
    assert facets.organisations == ("ZTE", "iFlytek")


def test_lowercase_common_words_are_not_acronyms():
    facets = article("Most cities and the un-named group cas.", title="most of it")
    assert facets.organisations == ()


# --- source ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "source"),
    [
        ({"meta_lines": ["Source:Global Times Published: 2018/11/20 19:03:40"]}, "Global Times"),
        ({"meta_lines": ["Source: Xinhua | Editor: Li Wei"]}, "Xinhua"),
        ({"meta_lines": ["(chinadaily.com.cn)"]}, "China Daily"),
        ({"meta": {"og:site_name": "Sixth Tone"}}, "Sixth Tone"),
        ({"meta": {"publisher": "https://www.scmp.com/"}}, "South China Morning Post"),
        ({"meta": {"twitter:site": "https://twitter.com/somebody"}}, None),
        ({}, None),
    ],
)
def test_source(kwargs, source):
    assert article("Wuxi signed a deal.", **kwargs).source == source


def test_xinhua_dateline_gives_source():
    facets = article("BEIJING, March 8, 2021 (Xinhua) -- The city opened a centre on Monday.")
    assert (facets.source, facets.date) == ("Xinhua", dt.date(2021, 3, 8))


def test_a_source_word_deep_in_the_story_is_not_the_source():
    paragraphs = ["Intro."] * 3 + ["The data came from (chinadaily.com.cn) reports."] + ["x"] * 4
    assert article(*paragraphs).source is None


# --- gazetteer ------------------------------------------------------------------------------


def test_builtin_gazetteer_is_loaded_once():
    assert default_gazetteer() is default_gazetteer()
    assert default_gazetteer().city_index is default_gazetteer().city_index


def test_admin_names_are_merged_with_the_builtin_ones():
    # As current_gazetteer() builds it from City/Organisation rows: spelled or lower-cased.
    gazetteer = with_additions(
        {"Lingang": "Lingang", "lin-gang": "Lingang"},
        {"Shanghai Lingang Group": "Shanghai Lingang Group", "slg": "Shanghai Lingang Group"},
    )
    cleaned = Cleaned(
        title="Lingang tests robotaxis",
        paragraphs=("SLG said Lin-gang and Shanghai will share data.",),
    )
    facets = extract(cleaned, gazetteer)
    assert facets.cities == ("Lingang", "Shanghai")
    assert facets.organisations == ("Shanghai Lingang Group",)
    assert with_additions({"Lingang": "Lingang"}, {}) is with_additions({"Lingang": "Lingang"}, {})


def test_an_explicit_gazetteer_is_used_as_given():
    cleaned = Cleaned(title="Notes", paragraphs=("Foo City and Bar Works met in Beijing.",))
    facets = extract(cleaned, Gazetteer(cities={"foo city": "Foo"}, organisations={}))
    assert facets.cities == ("Foo",)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("cleaned", BAD_FOR_EXTRACTION.values(), ids=BAD_FOR_EXTRACTION)
def test_bad_input_finds_no_date_and_nothing_made_up(cleaned):
    """(Its time is in `python -m bench bad_input`.)"""
    facets = extract(cleaned)
    assert facets.date is None and facets.year is None
    text = cleaned.title + " " + " ".join(cleaned.paragraphs)
    assert all(name in text for name in facets.cities + facets.organisations)


def test_pipeline_does_not_import_django():
    code = (
        "import sys; import search.pipeline.extraction as e; from search.pipeline.cleaning "
        "import Cleaned; e.extract(Cleaned('Wuxi', ('Wuxi',))); "
        "sys.exit('django' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_an_admin_row_wins_over_a_builtin_acronym():
    # current_gazetteer() lower-cases admin aliases; the admin's meaning of CEC still wins.
    gazetteer = with_additions({}, {"cec": "China Energy Council"})
    facets = extract(Cleaned(title="Notes", paragraphs=("CEC met on Monday.",)), gazetteer)
    assert facets.organisations == ("China Energy Council",)


def test_long_known_names_match_in_lower_case_short_ones_do_not():
    gazetteer = with_additions({}, {"municipal bureau of industry": "Municipal Bureau of Industry"})
    cleaned = Cleaned(
        title="Notes",
        paragraphs=("According to the municipal bureau of industry, china mobile and huawei.",),
    )
    assert extract(cleaned, gazetteer).organisations == ("Municipal Bureau of Industry",)


def test_a_dateline_moved_to_meta_lines_still_names_its_city():
    facets = article(
        "The forum opened on November 16.",
        meta_lines=["GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/", "By Li Wei in Shanghai"],
    )
    assert facets.cities == ("Guangzhou",)
    assert (facets.date, facets.source) == (dt.date(2022, 11, 21), "PR Newswire")


def test_a_known_name_before_and_is_not_glued_to_a_company():
    facets = article("It was built by Tencent and Digital Guangdong Network Construction Co., Ltd.")
    assert facets.organisations == ("Tencent", "Digital Guangdong Network Construction Co., Ltd.")


def test_company_names_that_are_also_towns_are_not_cities():
    facets = article("Dongfeng and Zhongxing supplied buses; the Dalai Lama was not there.")
    assert facets.cities == ()


def test_merged_indexes_equal_indexes_built_from_scratch():
    additions = ({"Lingang": "Lingang", "wuxi": "Wuxi City"}, {"cec": "China Energy Council"})
    merged = default_gazetteer().merged(*additions)
    scratch = Gazetteer(cities=merged.cities, organisations=merged.organisations)
    assert merged.city_index.entries == scratch.city_index.entries
    assert merged.organisation_index.entries == scratch.organisation_index.entries
    assert merged.organisation_index.acronyms == scratch.organisation_index.acronyms


def test_a_known_organisations_legal_name_counts_as_it():
    facets = article(
        "China Mobile Communications Group Co., Ltd. and Huawei Technologies Co., Ltd. signed; "
        "China Mobile Research Institute attended."
    )
    assert facets.organisations == ("China Mobile", "Huawei")


# --- the seeds as cleaning (issue 3) will hand them over: metadata lines out of the body ----


def test_seed_shapes_with_metadata_moved_to_meta_lines():
    yinchuan = extract(
        Cleaned(
            title="Yinchuan showcases smarter city achievements at global summit",
            paragraphs=(
                "The 2018 Global Smart City Summit took place in Yinchuan, Ningxia Hui Autonomous "
                "Region from November 14 to 16. Hosted by the Yinchuan municipal government and "
                "the China Electronics Corporation (CEC), the event showcased achievements.",
            ),
            meta_lines=("Source:Global Times Published: 2018/11/20 19:03:40",),
        )
    )
    assert (yinchuan.date, yinchuan.source) == (dt.date(2018, 11, 20), "Global Times")
    assert yinchuan.cities == ("Yinchuan",)
    assert yinchuan.organisations == ("China Electronics Corporation",)

    forum = extract(
        Cleaned(
            title="Smart City Development Forum 2022 Marks a New Beginning for Future Cities",
            paragraphs=(
                "— The Smart City Development Forum 2022, which was jointly hosted by the State "
                "Information Center and ADG Expo Group, officially opened at Jasmine Hall on the "
                "6th floor of Shenzhen Convention and Exhibition Center on November 16.",
            ),
            meta_lines=("GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/",),
        )
    )
    assert (forum.date, forum.year, forum.source) == (
        dt.date(2022, 11, 21),
        2022,
        "PR Newswire",
    )
    assert forum.cities == ("Guangzhou", "Shenzhen")
    assert forum.organisations == ("State Information Center", "ADG Expo Group")

    expo = extract(
        Cleaned(
            title="Shenzhen's smart city expo highlights intelligent urban management",
            paragraphs=(
                "Themed “New Era, New Journey — Digital China, Smart Society,” the Fourth China "
                "Smart City International Expo 2018 officially kicked off in Shenzhen yesterday.",
                "Concurrent activities include the 269th China Engineering Science and Technology "
                "Forum, where academicians from the Chinese Academy of Engineering spoke.",
            ),
            meta={"og:site_name": "Shenzhen Daily"},
        )
    )
    assert (expo.date, expo.year, expo.source) == (None, 2018, "Shenzhen Daily")
    assert expo.organisations == ("Chinese Academy of Engineering",)


@pytest.mark.parametrize(
    ("line", "date", "year"),
    [
        ("21/11/2022", dt.date(2022, 11, 21), 2022),
        ("11/21/2022 08:00", dt.date(2022, 11, 21), 2022),
        ("05.05.2020", dt.date(2020, 5, 5), 2020),
        ("03/04/2019", None, 2019),  # day and month cannot be told apart: the year still can
    ],
)
def test_numeric_dates_in_either_order(line, date, year):
    facets = article("The city opened a data centre.", meta_lines=[line])
    assert (facets.date, facets.year) == (date, year)


def test_a_year_still_to_come_is_not_the_year_of_an_undated_article():
    facets = article("The city prepares.", title="Smart City Expo 2999 will open in Wuxi")
    assert facets.year is None


def test_names_with_a_dot_inside():
    facets = article("Pony.ai and JD.com run robotaxis and drones. Wuxi.")
    assert facets.organisations == ("Pony.ai", "JD.com")
    assert facets.cities == ("Wuxi",)


@pytest.mark.parametrize(
    ("kwargs", "source"),
    [
        ({"meta": {"publisher.name": "Los Angeles Times"}}, "Los Angeles Times"),
        ({"meta": {"og:site_name": "LinkNaija | Nigeria's news platform"}}, "LinkNaija"),
        (
            {"meta_lines": ["Source: Russian Defense Ministry, October 25, 2019"]},
            "Russian Defense Ministry",
        ),
    ],
)
def test_source_names_are_trimmed(kwargs, source):
    assert article("Wuxi signed a deal.", **kwargs).source == source


def test_metadata_keys_are_matched_in_any_case():
    facets = article("Text.", meta={"DC.Date.Issued": "2019-04-01", "time.datetime": "2020-01-01"})
    assert facets.date == dt.date(2019, 4, 1)


def test_chinese_source_label():
    facets = article("正文。", meta_lines=["来源:无锡日报 发布时间:2021-07-19 09:30"])
    assert (facets.source, facets.date) == ("无锡日报", dt.date(2021, 7, 19))
