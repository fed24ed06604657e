"""Cities and organisations named in Chinese: one facet value per place whatever the script,
homographs apart, districts and provinces never cities, organisations joined to their
English facet. Sentences written for these tests (the labelled Chinese pages are scored in
tests/pipeline/test_extraction_zh.py once they exist)."""

import pytest

from search.pipeline.cleaning import clean
from search.pipeline.extraction import extract
from search.pipeline.gazetteer import (
    chinese_names,
    default_gazetteer,
    facet_details,
    resolve_homographs,
)
from search.pipeline.han_entities import find_han_entities


def facets(text: str, gazetteer=None):
    return extract(clean(text, "text"), gazetteer or default_gazetteer(), language=False)


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("深圳发布新政", "Shenzhen"),
        ("廣州地鐵開通新線", "Guangzhou"),
        ("臺北市推動智慧城市", "Taipei"),
        ("台北捷運", "Taipei"),
        ("泰州（江苏）建设数据中心", "Taizhou (Jiangsu)"),
        ("台州（浙江）建设数据中心", "Taizhou (Zhejiang)"),
    ],
)
def test_a_chinese_place_name_is_the_english_facet(text, city):
    assert facets(f"标题\n\n{text}。").cities == (city,)


def test_homographs_are_two_facet_values_in_chinese_and_resolved_by_context_in_english():
    assert facets("两个泰州\n\n泰州和台州都在建设城市大脑。").cities == (
        "Taizhou (Jiangsu)",
        "Taizhou (Zhejiang)",
    )
    assert facets("Taizhou\n\nTaizhou in Zhejiang opened a city brain.").cities == (
        "Taizhou (Zhejiang)",
    )
    # Other cities of the article tell the province too (Yangzhou is in Jiangsu).
    assert "Taizhou (Jiangsu)" in facets("Trains\n\nTaizhou and Yangzhou share a line.").cities
    # Nothing tells which Taizhou: left out rather than guessed.
    assert facets("Taizhou\n\nTaizhou opened a city brain.").cities == ()
    # A city far bigger than the other of its name keeps its plain name.
    assert resolve_homographs(["Suzhou"], "Suzhou opened a park.") == ["Suzhou"]
    assert resolve_homographs(["Suzhou"], "Suzhou in Anhui opened a park.") == ["Suzhou (Anhui)"]


def test_districts_new_areas_and_provinces_are_never_cities():
    text = "新区\n\n雄安新区、浦东新区、滨海新区、南山区和广东省都在建设数字政府。吉林省也在推进。"
    assert facets(text).cities == ()
    # A district named with its city counts for the city; 吉林市 is the city of Jilin.
    assert facets("南山\n\n深圳市南山区发布通知，吉林市也跟进。").cities == ("Shenzhen", "Jilin")


def test_a_wechat_ip_location_line_is_not_a_mention():
    text = "原创 张三 智慧城市观察 2023-05-01 发表于北京\n\n杭州的城市大脑上线。\nIP属地：上海"
    found = find_han_entities(text, default_gazetteer().han_index)
    assert found.cities == ("Hangzhou",)


def test_everyday_words_that_are_also_place_names_are_not_cities():
    text = "合作\n\n双方加强合作，东方的数据中心开通。"
    assert facets(text).cities == ()
    # GeoNames names the city of 东方 Basuo.
    assert facets("东方市\n\n东方市建设数据中心。").cities == ("Basuo",)


def test_chinese_organisations_join_their_english_facet_and_keep_their_spelling():
    f = facets(
        "签约\n\n华为技术有限公司与中国电信上海公司签约，華為也参加。"
        "国家发展和改革委员会（国家发改委）发布通知。"
    )
    assert f.organisations == (
        "Huawei",
        "China Telecom",
        "National Development and Reform Commission",
    )
    assert f.organisation_aliases["Huawei"] == ("华为技术有限公司", "華為")
    assert f.organisation_aliases["China Telecom"] == ("中国电信上海公司",)
    assert f.organisation_aliases["National Development and Reform Commission"] == (
        "国家发展和改革委员会",
        "国家发改委",
    )


def test_unknown_chinese_organisations_are_kept_as_written():
    f = facets("科创委\n\n记者从深圳市科技创新委员会获悉，该公司的布局已经完成。")
    assert f.organisations == ("深圳市科技创新委员会",)
    # The city written with 市 inside the organisation's name still names the city.
    assert f.cities == ("Shenzhen",)
    # A university named after its city does not name the city.
    assert facets("北大\n\n北京大学和中山大学的研究人员。").cities == ()


def test_admin_aliases_in_chinese_are_matched():
    gazetteer = default_gazetteer().merged(
        cities={"鹏城": "Shenzhen"}, organisations={"鹏城实验室": "Peng Cheng Laboratory"}
    )
    f = facets("鹏城\n\n鹏城实验室位于鹏城。", gazetteer)
    assert f.cities == ("Shenzhen",)
    assert f.organisations == ("Peng Cheng Laboratory",)


def test_the_chinese_names_for_a_segmenter_and_the_details_of_new_rows():
    names = chinese_names()
    assert names["深圳"] == "city" and names["广东省"] == "region"
    assert names["华为"] == "organisation"
    shenzhen = facet_details("city", "Shenzhen")
    assert shenzhen.name_zh == "深圳" and shenzhen.geonameid == 1795565
    assert "深圳市" in shenzhen.aliases
    assert facet_details("city", "Taizhou (Zhejiang)").name_zh == "台州"
    assert facet_details("organisation", "Huawei").name_zh == "华为"
    assert facet_details("organisation", "深圳市科技创新委员会").name_zh == ""
