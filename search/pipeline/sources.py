"""The publication an article comes from."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from search.pipeline.text_rules import ZH_NAME_DATE

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
    r"(?:\bSource|来源|來源|稿源)\s*[:：]\s*(.+?)\s*(?=\b(?:Published|Updated|Author|Editor|Editors|By|"
    r"Date|Time|Reporter)\b|发布(?:时间|日期)|發[布佈](?:時間|日期)|作者|编辑|編輯|责任|責任|记者|記者"
    r"|时间|時間|浏览|瀏覽|点击|點擊|字[体體号號]|[【|｜]|\s\S{1,6}[:：]|\d{4}[-/]|$)",
    re.IGNORECASE,
)
# A channel after a Chinese site's name: "人民网－科技频道", "新华网 地方频道".
_CHANNEL = re.compile(
    r"(?:\s*[-－—–_·]\s*|\s+)[\u4e00-\u9fff]{1,8}(?:频道|頻道|版|栏目|欄目|专栏|專欄)$"
)
_ZH_NAME = re.compile(r"[\u4e00-\u9fff]")
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
_NAME_DATE = re.compile(ZH_NAME_DATE)


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


@functools.lru_cache(maxsize=1)
def _zh_names() -> dict[str, str]:
    """Chinese names of publications to their usual English names (data/sources_zh.tsv)."""
    out: dict[str, str] = {}
    path = Path(__file__).resolve().parent / "data" / "sources_zh.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, names = line.split("\t")
            for name in names.split("|"):
                out[_zh_key(name)] = english
    return out


def _zh_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def chinese_name(name: str) -> str:
    """A Chinese publication's name without its channel, in English when it has a usual
    English name: "人民网－科技频道" -> "People's Daily Online", "泰州日报" stays."""
    if not _ZH_NAME.search(name):
        return name
    name = _CHANNEL.sub("", name).strip(" -－—–_·:：") or name
    known = _zh_names()
    for candidate in (name, re.sub(r"\s*[A-Za-z][A-Za-z .]*$", "", name)):
        if english := known.get(_zh_key(candidate)):
            return english
    return name


def _tidy(name: str) -> str | None:
    name = _TRAILER.sub("", name).strip(" \t-–—:,.;|")
    if not name or len(name) > 80:
        return None
    return domain_name(name) or chinese_name(name)


# The site's name as the page gives it, best first. "title.site" is the tail of <title>.
SITE_KEYS = (
    "og:site_name",
    "publisher.name",
    "website.name",
    "title.site",
    "application-name",
    "dc.publisher",
    "publisher",
    "source",
    "site_name",
    "twitter:site",
)
# Only when the page names itself nowhere else: its copyright notice, its logo's text.
FALLBACK_SITE_KEYS = ("copyright.name", "logo.name")  # fmt: skip
_TLD = re.compile(
    r"\.(?:com|net|org|info|co\.uk|co|ca|in|ru|it|de|fr|au|kr|cn|com\.cn|news|tv|io)$"
)
_SLOGAN = re.compile(r"\s+[|｜]\s+.*|\s+[-–—]\s+.*")


def _compact(name: str) -> str:
    """ "The Hill", "TheHill", "thehill.com", "www.TheHill.com" -> "hill"."""
    name = name.strip().lower().removeprefix("www.")
    name = _TLD.sub("", name)
    name = re.sub(r"[^a-z0-9]+", "", name)
    return name.removeprefix("the") or name


def _host(meta: Mapping[str, str]) -> str:
    for key in ("canonical", "og:url", "jsonld.url"):
        value = meta.get(key) or ""
        if value.startswith("http"):
            return re.sub(r"^[a-z]+://", "", value.lower()).split("/")[0].removeprefix("www.")
    return ""


def _core(host: str) -> str:
    """The registered name of a host: "blog.comwrap.com" -> "comwrap"."""
    labels = _TLD.sub("", host).split(".")
    return labels[-1] if labels and labels[-1] else ""


def _form(name: str) -> tuple:
    """How well a name is written, for names that are the same brand: words apart, in
    capitals where readers write them, without the web suffix."""
    return (
        name.count(" ") > 0,
        not name.islower(),
        not _TLD.search(name.lower()),
    )


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", name) if w.lower() != "the").lower()


def _site_candidates(lowered: Mapping[str, str], keys: tuple[str, ...] = SITE_KEYS) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = (lowered.get(key) or "").strip().lstrip("@")
        if not value:
            continue
        if value.startswith("http"):
            if name := domain_name(value):
                out.append(name)
            continue  # an address or a profile page names no publication
        value = _SLOGAN.sub("", value).strip(" -–—:|")
        if value and len(value) <= 60 and value not in out:
            out.append(value)
    return out


def site_name(meta: Mapping[str, str]) -> str | None:
    """The publication's name from the page's metadata.

    og:site_name first, unless another name the page gives is the same brand better written
    ("TheHill" / "The Hill", "usatoday" / "USA TODAY", "WSJ" / "Wall Street Journal"), or
    only another one matches the site's address ("U.S." as og:site_name on reuters.com).
    """
    lowered = {key.lower(): value for key, value in meta.items()}
    names = _site_candidates(lowered)
    host = _host(lowered)
    if host and (known := domain_name(host)):
        return known
    core = _core(host)
    if not names:
        names = _site_candidates(lowered, FALLBACK_SITE_KEYS)[:1]
    if not names:
        return core.capitalize() if core else None
    best = names[0]
    if core and _compact(best) != core:
        matching = [n for n in names if _compact(n) == core]
        if matching:
            best = matching[0]
    for other in names[1:]:
        same = _compact(other) == _compact(best)
        acronym = best.isupper() and len(best) <= 5 and _initials(other) == best.lower()
        if (same and _form(other) > _form(best)) or acronym:
            best = other
    if best.islower() and core and _compact(best) == core:
        # a slug ("cleveland"): the brand is the address when the title says so
        dotted = [n for n in names if _TLD.search(n.lower()) and _compact(n) == core]
        if dotted:
            return _domain_as_name(host)
    return _tidy(best)


# A credit that names no publication: the site's own name then stands.
_GENERIC_CREDIT = re.compile(
    r"(?:news\s+)?(?:agencies|agency|wires?|staff|internet|online|web|network|newsroom)",
    re.IGNORECASE,
)


def _same_brand(a: str, b: str) -> bool:
    ka, kb = _compact(a), _compact(b)
    return bool(ka and kb) and (ka.startswith(kb) or kb.startswith(ka))


def _domain_as_name(host: str) -> str:
    """A publication known by its address ("cleveland.com"): written as its readers do."""
    host = host.removeprefix("www.")
    first, _, rest = host.partition(".")
    first = first.upper() if len(first) <= 3 else first.capitalize()
    return f"{first}.{rest}" if rest else first


def find_source(
    meta: Mapping[str, str], meta_lines: Iterable[str], paragraphs: tuple[str, ...]
) -> str | None:
    """A credited source ("Source: Shenzhen Daily" by the headline) beats the site's own
    brand; the site's name beats a wire's dateline tag in the text (the publication is
    the page's, the wire is credited apart); for a text dump the wire names the source."""
    meta_lines = list(meta_lines)
    lowered = {key.lower(): value for key, value in meta.items()}
    site = site_name(lowered) if lowered else None
    # With a site name, only the lines by the headline credit a source: a "Source:" at the
    # foot of the story credits its facts ("Source: News agencies").
    lines = meta_lines if site else [*meta_lines, *paragraphs[:3], *paragraphs[-3:]]
    short = [line for line in lines if len(line) <= SHORT_LINE]
    for line in short:
        if (m := _SOURCE_LINE.search(line)) and (name := _tidy(m[1])):
            if site and (_GENERIC_CREDIT.fullmatch(name) or _same_brand(name, site)):
                return site  # the site credits itself, or no publication at all
            return name
    if site:
        return site
    for line in short:  # "自由時報 2023/08/15 05:30", a WeChat account's header
        if (m := _NAME_DATE.fullmatch(line.strip())) and (name := _tidy(m["zh_name"])):
            return name
    top = [*meta_lines, *paragraphs[:3]]
    for line in top:  # datelines live at the top
        for pattern, name in WIRES:
            if pattern.search(line[:SHORT_LINE]):
                return name
    for line in short:
        for m in _DOMAIN_TAG.finditer(line):
            return domain_name(m[1]) or m[1]
    return None
