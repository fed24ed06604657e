"""The line rules one by one: each is shared by text dumps and HTML."""

import pytest

from search.pipeline.cleaning import clean
from search.pipeline.text_rules import (
    clean_lines,
    is_junk,
    is_meta_line,
    normalise,
    split_dateline,
    strip_credits,
)


@pytest.mark.parametrize(
    "line",
    [
        "Home > News > Content",
        "首页 > 新闻中心 > 本地新闻",
        "blog comments powered by Disqus",
        "640 - 副本.jpg",
        "5 13574401154769142426.jpg",
        "8.03K",
        "In pics: Wetland parks in Wuxi",
        "Related News",
        "• Follow us on Wechat",
        "• Mobile version",
        "Copyright © China Daily. All rights reserved.",
        "Presented by China Daily.",
        "Share this article",
        "【打印本页】【关闭窗口】",
        "【字体：大 中 小】",
        "[Large Medium Small]",
        "View original content:https://www.prnewswire.com/news-releases/x.html",
        "Get the latest updates right in your inbox. Subscribe to our newsletters.",
        "Have a tip? Amy may be reached at amy@example.com. Follow her on Twitter.",
        "Like this story? Share it with a friend!",
        "SEE MORE: Hong Kong protests: students under siege",
        "Advertisement",
    ],
)
def test_furniture(line):
    assert is_junk(normalise(line))


@pytest.mark.parametrize(
    "line",
    [
        "Shenzhen Mayor Chen Rugu delivered a welcome speech at the opening ceremony.",
        "Digital and intelligent development leads to new progress and a great future",
        "By the numbers",
        "苏州市民可以通过手机查看实时路况。",
        "“Every drop counts,” he said.",
        "Recommended measures include more sensors on every street corner, the report said.",
        "The city sends a newsletter to residents who sign up at its service centres.",
        "Residents can read more about the plan on the city's website, officials said.",
    ],
)
def test_article_lines_are_not_furniture(line):
    assert not is_junk(normalise(line))
    assert not is_meta_line(normalise(line))


@pytest.mark.parametrize(
    "line",
    [
        "July 19, 2021",
        "Source:Global Times Published: 2018/11/20 19:03:40",
        "Updated : 2017-03-03",
        "(chinadaily.com.cn)",
        "By Zhang Wei in Suzhou | chinadaily.com.cn | Updated: 2023-05-12 10:21",
        "By Global Times Published: Nov 20, 2018 07:03 PM",
        "来源：无锡日报　发布时间：2021-07-19 09:30",
        "Editor: Li Yan",
        "SOURCE Asia Water Group",
        "Monday, 19 July 2021 10:20",
    ],
)
def test_metadata_lines(line):
    assert is_meta_line(normalise(line))


@pytest.mark.parametrize(
    ("line", "dateline", "rest"),
    [
        (
            "GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/ — The Smart City Development Forum 2022 opened.",
            "GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/",
            "The Smart City Development Forum 2022 opened.",
        ),
        (
            "BEIJING, June 3 (Xinhua) -- China will support 100 new smart cities.",
            "BEIJING, June 3 (Xinhua)",
            "China will support 100 new smart cities.",
        ),
        ("Smart cities — the next step for Wuxi.", "", "Smart cities — the next step for Wuxi."),
        (
            "IoT: the next step for Wuxi and its firms.",
            "",
            "IoT: the next step for Wuxi and its firms.",
        ),
    ],
)
def test_datelines(line, dateline, rest):
    assert split_dateline(line) == (dateline, rest)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "The general manager delivers remarks on November 14. Photo: Courtesy of CEC",
            "The general manager delivers remarks on November 14.",
        ),
        (
            "Officials sign a deal in Nanjing. [Photo provided to China Daily]",
            "Officials sign a deal in Nanjing.",
        ),
        ("A view of the park. (Photo/Xinhua)", "A view of the park."),
    ],
)
def test_photo_credits(line, kept):
    assert strip_credits(line) == kept


def test_normalise():
    assert normalise("Wuxi\u00a0city\u200b  ＩｏＴ\r\n\r\nnext") == "Wuxi city IoT\n\nnext"


def test_short_sentences_after_the_article_stay_until_the_furniture():
    lines = [
        "Headline of the story",
        "First paragraph of the story that is long enough to count as prose for sure.",
        "The expo ends on Friday.",
        "Related News",
        "Another story title",
        "It has a full stop too.",
    ]
    title, paragraphs, _ = clean_lines(lines)
    assert title == "Headline of the story"
    assert paragraphs == lines[1:3]


def test_menus_in_the_middle_go_subheadings_stay():
    lines = [
        "Headline of the story",
        "First paragraph of the story that is long enough to count as prose for sure.",
        "A sub-heading",
        "Second paragraph of the story that is long enough to count as prose for sure.",
        "News",
        "Sports",
        "Business",
        "Travel",
        "Third paragraph of the story that is long enough to count as prose for sure.",
    ]
    _, paragraphs, _ = clean_lines(lines)
    assert paragraphs == [lines[1], lines[2], lines[3], lines[8]]


def test_html_lists_and_tables_in_the_article_stay():
    html = """<html><head><title>Five things Wuxi built</title></head><body><article>
    <h1>Five things Wuxi built</h1>
    <p>Wuxi has spent five years turning itself into a test bed for the Internet of Things,
    and the city government listed what it has to show for the money on Monday.</p>
    <ul><li>Smart lamps</li><li>Water sensors</li><li>Bus tracking</li></ul>
    <p>The city plans to double the number of sensors by 2025, officials said, and to open
    the data to companies that want to build services on it.</p></article></body></html>"""
    items = [p.removeprefix("- ") for p in clean(html).paragraphs[1:4]]  # list marker or not
    assert items == ["Smart lamps", "Water sensors", "Bus tracking"]
