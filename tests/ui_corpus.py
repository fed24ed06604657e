"""A small corpus with known facets for the UI tests.

Articles go in through `ingest` (the one entry point); their facets are then set by hand as an
admin would (facets_manual), so the tests do not depend on how good extraction is today.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from search.ingest import apply_facets, ingest
from search.pipeline.extraction import Facets

CITIES = [
    "Wuxi", "Nanjing", "Yinchuan", "Shenzhen", "Hangzhou", "Beijing", "Shanghai", "Wuhan",
    "Chengdu", "Xiamen", "Guangzhou",
]  # fmt: skip

# (title, first paragraph, date, source, cities, organisations)
ARTICLES = [
    ("Wuxi builds an IoT park for sensor makers", "The Wuxi IoT park hosts sensor makers.",
     dt.date(2017, 3, 3), "China Daily", ("Wuxi",), ("China Mobile",)),
    ("Nanjing and Wuxi share IoT traffic data", "Traffic sensors link Nanjing and Wuxi.",
     dt.date(2017, 6, 1), "China Daily", ("Nanjing", "Wuxi"), ("Huawei",)),
    ("Yinchuan hosts the global smart city summit", "The summit met in Yinchuan in November.",
     dt.date(2018, 11, 20), "Global Times", ("Yinchuan",), ("China Electronics Corporation",)),
    ("Shenzhen tests driverless buses", "Driverless buses run on a Shenzhen route.",
     dt.date(2019, 5, 2), "Shenzhen Daily", ("Shenzhen",), ("Huawei", "BYD")),
    ("Hangzhou city brain cuts traffic jams", "The city brain times traffic lights in Hangzhou.",
     dt.date(2019, 8, 9), "Xinhua", ("Hangzhou",), ("Alibaba",)),
    ("Beijing opens a data exchange", "A data exchange opened in Beijing.",
     dt.date(2020, 1, 15), "Xinhua", ("Beijing",), ("China Mobile",)),
    ("Shanghai rolls out smart meters", "Smart meters reach homes in Shanghai.",
     dt.date(2020, 7, 4), "Shanghai Daily", ("Shanghai",), ("State Grid",)),
    ("Wuhan university opens a smart city research centre",
     "Hubei University opened a research centre in Wuhan.",
     dt.date(2021, 7, 19), None, ("Wuhan",), ("Hubei University", "Huizhimei Group")),
    ("Chengdu pilots IoT water sensors", "Water sensors watch pipes in Chengdu.",
     dt.date(2021, 3, 30), "Chengdu Economic Daily", ("Chengdu",), ("China Telecom",)),
    ("Xiamen port goes digital", "Cranes in Xiamen report over 5G.",
     dt.date(2022, 9, 1), "Xinhua", ("Xiamen",), ("China Mobile",)),
    ("Guangzhou and Shenzhen link transport cards", "One card pays in Guangzhou and Shenzhen.",
     dt.date(2022, 2, 14), "Global Times", ("Guangzhou", "Shenzhen"), ("Tencent",)),
    ("Nanjing smart grid trial ends", "The trial in Nanjing met its targets.",
     dt.date(2016, 10, 10), "China Daily", ("Nanjing",), ("State Grid",)),
]  # fmt: skip


def build_corpus() -> dict[str, int]:
    """Ingest the articles and set their facets; returns title -> article id."""
    ids = {}
    for title, lead, date, source, cities, orgs in ARTICLES:
        raw = (
            f"{title}\n\n{lead} This article is part of the test archive for the search "
            f"interface and describes smart city work in {', '.join(cities)}.\n\n"
            f"Officials said the project would continue next year, with more partners "
            f"joining from {', '.join(orgs)}.\n"
        )
        article = ingest(raw, fmt="text", source_name=source or "").article
        with transaction.atomic():
            article.facets_manual = True
            apply_facets(article, Facets(date, date.year, source, cities, orgs))
        ids[title] = article.id
    return ids
