"""The publication an article comes from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Web addresses and wire tags to the publication's name.
DOMAINS = {
    "chinadaily.com.cn": "China Daily",
    "globaltimes.cn": "Global Times",
    "xinhuanet.com": "Xinhua",
    "news.cn": "Xinhua",
    "english.news.cn": "Xinhua",
    "people.cn": "People's Daily",
    "peopledaily.com.cn": "People's Daily",
    "ecns.cn": "China News Service",
    "chinanews.com.cn": "China News Service",
    "cgtn.com": "CGTN",
    "cctv.com": "CCTV",
    "scmp.com": "South China Morning Post",
    "shine.cn": "Shanghai Daily",
    "shanghaidaily.com": "Shanghai Daily",
    "sixthtone.com": "Sixth Tone",
    "caixinglobal.com": "Caixin Global",
    "china.org.cn": "China.org.cn",
    "gov.cn": "The State Council of China",
    "eastday.com": "Eastday",
    "szdaily.com": "Shenzhen Daily",
    "eyeshenzhen.com": "Eye Shenzhen",
    "prnewswire.com": "PR Newswire",
    "businesswire.com": "Business Wire",
    "globenewswire.com": "GlobeNewswire",
    "reuters.com": "Reuters",
    "smartcitiesworld.net": "SmartCitiesWorld",
}
WIRES = (
    (re.compile(r"/\s*PRNewswire[\w-]*\s*/", re.IGNORECASE), "PR Newswire"),
    (re.compile(r"\(BUSINESS WIRE\)|/BUSINESS WIRE/"), "Business Wire"),
    (re.compile(r"GLOBE NEWSWIRE"), "GlobeNewswire"),
    (re.compile(r"\(Xinhua\)|^\s*[A-Z]{3,}[^.]{0,60}\bXinhua\s*[—–-]"), "Xinhua"),
    (re.compile(r"\(Reuters\)"), "Reuters"),
)
_SOURCE_LINE = re.compile(
    r"(?:\bSource|来源)\s*[:：]\s*(.+?)\s*(?=\b(?:Published|Updated|Author|Editor|Editors|By|Date|"
    r"Time|Reporter)\b|发布|作者|编辑|时间|[|｜]|\d{4}[-/]|$)",
    re.IGNORECASE,
)
_DOMAIN_TAG = re.compile(r"\(((?:[a-z0-9-]+\.)+(?:com|cn|net|org|gov)(?:\.cn)?)\)")
# Page metadata keys (compared in lower case) that name the publication, best first.
META_SOURCE_KEYS = (
    "og:site_name", "source", "publisher.name", "publisher", "dc.publisher", "site_name",
    "application-name", "twitter:site",
)  # fmt: skip
# A source line or site name runs on into a date or a slogan: "Ministry, October 25, 2019",
# "LinkNaija | Nigeria's popular news platform".
_TRAILER = re.compile(
    r"\s+[|｜]\s+.*|,?\s+(?:\d{1,2}\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"[a-z]*\.?\s+\d.*"
)
SHORT_LINE = 200


def domain_name(value: str) -> str | None:
    host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/")[0]
    host = host.removeprefix("www.")
    while host:
        if host in DOMAINS:
            return DOMAINS[host]
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None


def _tidy(name: str) -> str | None:
    name = _TRAILER.sub("", name).strip(" \t-–—:,.;|")
    if not name or len(name) > 80:
        return None
    return domain_name(name) or name


def find_source(
    meta: Mapping[str, str], meta_lines: Iterable[str], paragraphs: tuple[str, ...]
) -> str | None:
    lines = [*meta_lines, *paragraphs[:3], *paragraphs[-3:]]
    short = [line for line in lines if len(line) <= SHORT_LINE]
    for line in short:
        if (m := _SOURCE_LINE.search(line)) and (name := _tidy(m[1])):
            return name
    for line in lines[: len(lines) - min(3, len(paragraphs))]:  # datelines live at the top
        for pattern, name in WIRES:
            if pattern.search(line[:SHORT_LINE]):
                return name
    for line in short:
        for m in _DOMAIN_TAG.finditer(line):
            return domain_name(m[1]) or m[1]
    lowered = {key.lower(): value for key, value in meta.items()}
    for key in META_SOURCE_KEYS:
        value = (lowered.get(key) or "").strip().lstrip("@")
        if value.startswith("http") and not domain_name(value):
            continue  # a profile page address names no publication
        if name := _tidy(value):
            return name
    return None
