"""Plain-text page dumps in the styles of other sites than the seeds."""

from search.pipeline.cleaning import clean

XINHUA_DUMP = """English.news.cn
China
World
Business
Sci-Tech

China to build 100 new smart cities by 2025
Source: Xinhua | 2021-06-03 18:21:32 | Editor: huaxia
[Large Medium Small]

BEIJING, June 3 (Xinhua) -- China will support the construction of 100 new smart cities \
by 2025, with a focus on digital public services and urban safety, the National Development \
and Reform Commission said Thursday.

The cities will build unified data platforms that let residents handle most government \
services online, according to a guideline released by the commission.

"Data must serve people," said an official.

The guideline also asks cities to protect personal data. Enditem

Related:
Shanghai rolls out digital ID cards
Guangzhou tests self-driving buses
Chengdu's green corridors

Copyright © 2000-2021 XINHUANET.com All rights reserved.
"""

PORTAL_DUMP = """首页 > 新闻中心 > 本地新闻
无锡市建成物联网城市大脑平台
来源：无锡日报　发布时间：2021-07-19 09:30
【字体：大 中 小】
　　7月19日，无锡市城市运行管理中心正式启用。该平台汇聚了全市交通、水务、环保等四十多个部门的数据，实现城市运行状态的实时监测。
　　市大数据管理局负责人表示，下一步将推动更多公共服务接入平台。
【打印本页】【关闭窗口】
相关新闻
无锡举办世界物联网博览会
太湖治理取得新进展
版权所有：无锡市人民政府　苏ICP备05012345号
"""


def test_xinhua_dump():
    cleaned = clean(XINHUA_DUMP)
    assert cleaned.title == "China to build 100 new smart cities by 2025"
    assert cleaned.meta_lines == (
        "Source: Xinhua | 2021-06-03 18:21:32 | Editor: huaxia",
        "BEIJING, June 3 (Xinhua)",
    )
    assert cleaned.paragraphs[0].startswith("China will support the construction")
    assert cleaned.paragraphs[-2:] == (
        '"Data must serve people," said an official.',
        "The guideline also asks cities to protect personal data.",
    )
    assert len(cleaned.paragraphs) == 4


def test_chinese_portal_dump():
    cleaned = clean(PORTAL_DUMP)
    assert cleaned.title == "无锡市建成物联网城市大脑平台"
    assert cleaned.meta_lines == ("来源:无锡日报 发布时间:2021-07-19 09:30",)
    assert cleaned.paragraphs == (
        "7月19日,无锡市城市运行管理中心正式启用。该平台汇聚了全市交通、水务、环保等四十多个部门的数据,"
        "实现城市运行状态的实时监测。",
        "市大数据管理局负责人表示,下一步将推动更多公共服务接入平台。",
    )


def test_standfirst_under_the_headline_stays():
    dump = (
        "Menu\nNews\nSports\n\nHangzhou opens a city brain for parking\n"
        "Drivers find a space in half the time.\n\n"
        + "The system links 3,000 car parks across the city and tells drivers where spaces are "
        "free, the transport bureau said on Monday, after a year of trials in two districts.\n"
    )
    cleaned = clean(dump)
    assert cleaned.title == "Hangzhou opens a city brain for parking"
    assert cleaned.paragraphs[0] == "Drivers find a space in half the time."
