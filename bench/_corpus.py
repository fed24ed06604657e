"""A deterministic synthetic corpus and query set for the search benchmarks.

Stand-in until the engine benchmark's `generate_corpus` (bench/search.py) is on main: the
PostgreSQL benchmark only needs `generate_corpus(n, seed)` yielding article dicts and
`QUERIES`, so swapping the import is the whole change.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator


def _words(text: str) -> list[str]:
    return text.split()


CITIES = _words(
    "Beijing Shanghai Shenzhen Guangzhou Hangzhou Nanjing Wuxi Suzhou Chengdu Chongqing Wuhan "
    "Xi'an Tianjin Qingdao Dalian Xiamen Ningbo Hefei Changsha Zhengzhou Jinan Fuzhou Kunming "
    "Guiyang Nanning Harbin Changchun Shenyang Shijiazhuang Taiyuan Yinchuan Lanzhou Xining "
    "Urumqi Hohhot Lhasa Haikou Sanya Zhuhai Dongguan Foshan Huizhou Wenzhou Shaoxing Jiaxing "
    "Yangzhou Changzhou Nantong Xuzhou Yantai Weifang Luoyang Baotou Datong Lyuliang Yichang "
    "Xiangyang Zhuzhou Ganzhou Quanzhou"
)
ORGANISATIONS = [
    "Huawei", "China Mobile", "China Telecom", "China Unicom", "Alibaba", "Tencent", "Baidu",
    "ZTE", "CETC", "Inspur", "iFlytek", "Hikvision", "Dahua", "Lenovo", "Xiaomi", "JD.com",
    "SenseTime", "Megvii", "State Grid", "CEC", "Siemens", "IBM", "Cisco", "Microsoft",
    "Ericsson", "Nokia", "Hitachi", "NEC", "Panasonic", "Schneider Electric", "Bosch",
    "Hubei University", "Tsinghua University", "Zhejiang University", "Peking University",
    "Chinese Academy of Sciences", "World Bank", "Asian Development Bank", "UN-Habitat",
    "Smart City Expo",
]  # fmt: skip
TOPIC_WORDS = _words(
    "smart city cities urban digital data platform cloud computing internet things iot sensor "
    "sensors network networks 5g broadband fibre traffic transport transit metro bus parking "
    "lighting energy grid power water waste environment air quality monitoring camera cameras "
    "surveillance safety security emergency government services citizens residents app apps "
    "payment mobile big analytics artificial intelligence ai machine learning algorithm "
    "blockchain governance management centre center brain dashboard operations command "
    "innovation industry industrial park zone economy investment partnership agreement "
    "cooperation strategic signing ceremony summit forum expo conference exhibition launch "
    "pilot project programme plan development construction infrastructure building buildings "
    "healthcare hospital education school tourism logistics retail e-commerce manufacturing "
    "semiconductor chip chips robotics autonomous vehicle vehicles electric charging hydrogen "
    "carbon green low emission sustainable resilience flood drainage pipeline gas heating "
    "housing community communities neighbourhood grid-based elderly care"
)
COMMON_WORDS = _words(
    "the of and to in a is that for on with as by at from this it an be are was will has "
    "have which its their more also new said year years first two three million billion "
    "percent about over into than other after while during between such most many local "
    "national provincial municipal officials company companies according report reported "
    "announced expected including help make provide support improve build use using based "
    "level system systems public people work working area areas time future part major"
)


def _sentence(rng: random.Random, words: list[str], weights: list[float]) -> str:
    n = rng.randint(8, 24)
    chosen = rng.choices(words, weights=weights, k=n)
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


def generate_corpus(n: int, seed: int = 42) -> Iterator[dict]:
    """n synthetic articles: title, body (~150-600 words), date/year, cities, organisations."""
    rng = random.Random(seed)
    words = TOPIC_WORDS + COMMON_WORDS
    # Zipf-like: a few words very common, most rare, as in real text.
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]
    rng.shuffle(weights)
    start = dt.date(2010, 1, 1).toordinal()
    span = dt.date(2024, 12, 31).toordinal() - start
    for i in range(n):
        cities = rng.sample(CITIES, rng.choice((1, 1, 1, 2, 2, 3)))
        orgs = rng.sample(ORGANISATIONS, rng.choice((0, 1, 1, 2, 3)))
        date = dt.date.fromordinal(start + rng.randrange(span))
        topic = rng.sample(TOPIC_WORDS, 3)
        title = f"{cities[0]} {topic[0]} {topic[1]} {rng.choice(('plan', 'project', 'deal', 'pilot', 'forum'))}"
        if orgs:
            title = f"{orgs[0]} and {title}"
        paragraphs = []
        for _ in range(rng.randint(3, 8)):
            sentences = [_sentence(rng, words, weights) for _ in range(rng.randint(2, 5))]
            # Name the facets in the text, as real articles do.
            sentences.append(
                f"{rng.choice(cities)} worked with {rng.choice(orgs) if orgs else 'local partners'}"
                f" on {' '.join(topic)}."
            )
            paragraphs.append(" ".join(sentences))
        yield {
            "n": i,
            "title": title[0].upper() + title[1:],
            "body": "\n\n".join(paragraphs),
            "date": date,
            "year": date.year,
            "cities": cities,
            "organisations": orgs,
        }


# The query set: words, phrases, boolean forms and facet filters, as a researcher types them.
QUERIES: list[dict] = [
    {"q": "smart city"},
    {"q": "traffic"},
    {"q": "hydrogen charging"},
    {"q": "blockchain governance"},
    {"q": '"smart city"'},
    {"q": '"data platform"'},
    {"q": "sensor network -camera"},
    {"q": "metro or bus"},
    {"q": "flood drainage resilience"},
    {"q": "artificial intelligence"},
    {"q": "Huawei"},
    {"q": "Wuxi iot"},
    {"q": "city:Wuxi traffic"},
    {"q": "elderly care community"},
    {"q": "semiconductor chips investment"},
    {"q": "the"},
    {"q": "trafic"},  # misspelt: suggestion path
    {"q": "", "filters": {"city": ["Wuxi"]}},
    {"q": "", "filters": {"year": ["2017"]}},
    {"q": "smart", "filters": {"city": ["Nanjing", "Wuxi"]}},
    {"q": "energy", "filters": {"organisation": ["State Grid"], "year": ["2019", "2020"]}},
    {"q": "digital government", "filters": {"city": ["Hangzhou"]}, "sort": "newest"},
    {"q": "parking", "year_from": 2015, "year_to": 2018},
    {"q": "5g", "page": 5},
    {"q": "", "sort": "newest"},
]
