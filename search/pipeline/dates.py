"""The article's date (from its dateline or metadata) or, failing that, its year.

Only dates in places where a publication date lives count: HTML metadata, the metadata lines
cleaning took out of the body, short dateline paragraphs at the top, and wire datelines
("GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/"). A year in a sentence ("10 billion yuan",
"the 14th Five-Year Plan", "by 2025") is never a date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

YEAR = r"(19[89]\d|20[0-4]\d)"
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_NUMERIC = re.compile(rf"(?<![\d.]){YEAR}\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})(?!\d)")
_DAY_MONTH_NUMERIC = re.compile(rf"(?<![\d.])(\d{{1,2}})[/.-](\d{{1,2}})[/.-]{YEAR}(?!\d)")
# "Nov. 20, 2019", "November 20 15:23 2019", "Nov 20 · 3:23 PM · 2019"
_CLOCK = r"(?:[·•|,]?\s*\d{1,2}:\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}\s*)?[·•|,]?\s+)?"
_MONTH_DAY_YEAR = re.compile(
    rf"\b{MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_CLOCK}{YEAR}\b", re.IGNORECASE
)
# "20 November 2019", "25. September 2018"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.)?\s+{MONTH}\.?,?\s+{YEAR}\b", re.IGNORECASE
)
# Words that mark a line or a paragraph opening as a dateline.
_DATELINE_MARK = re.compile(
    r"/\s*PRNewswire[\w-]*\s*/|/CNW/|\((?:Xinhua|Reuters|AP|AFP|BUSINESS WIRE)\)|"
    r"GLOBE NEWSWIRE|\s[—–]\s|\s--\s|^\s*[—–-]",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"\b(?:Published|Updated|Posted|Released|Date|Time|Source)\s*(?:on|at)?\s*[:：]",
    re.IGNORECASE,
)
# Page metadata keys (compared in lower case) that carry the publication date, best first.
META_DATE_KEYS = (
    "article:published_time", "datepublished", "og:published_time", "article:published",
    "og:article:published_time", "article.published", "citation_publication_date",
    "citation_date", "pubdate", "publishdate", "publish-date", "publish_date", "published",
    "published_time", "published-date", "pdate", "dateline", "dc.date.issued",
    "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "datecreated", "date", "time.datetime",
)  # fmt: skip
MODIFIED_KEYS = ("article:modified_time", "datemodified", "og:updated_time", "last-modified")
SHORT_LINE = 160  # characters: a dateline or metadata line, not a sentence of the story
# A year that names an event of that year: "Expo 2018", "the 2018 Global Smart City Summit".
_EVENT = (
    r"(?:Expo|Forum|Summit|Conference|Congress|Fair|Festival|Awards?|Games|Exhibition|Week|"
    r"Show|Ceremony|Convention|Olympics|Competition|Contest|Challenge|Symposium|Meeting)"
)
_EVENT_YEAR = re.compile(rf"\b{_EVENT}\s+{YEAR}\b|\b{YEAR}\s+(?:[A-Z][\w’'-]*\s+){{0,6}}{_EVENT}\b")
_NOT_NOW = re.compile(
    r"(?:\bby|\buntil|\btill|\bbefore|\bthrough|\bto|\bVision|\bAgenda|\bPlan|-|–)\s*$",
    re.IGNORECASE,
)


def _make(year: str, month: int, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        return None


# Chinese forms written with other numbers: 二〇二一年十一月四日 (notices and documents) and
# Republic of China years on Taiwanese pages (民國112年 = 2023).
_HAN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
_HAN_DATE = re.compile(
    r"([〇零一二三四五六七八九○]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
    r"\s*([一二三四五六七八九十]{1,3})\s*日"
)
_ROC_YEAR = re.compile(r"(?:中華)?民國\s*(\d{2,3})\s*年")
# A page header that prints the year apart: "2023 02/16 10:21:35".
_YEAR_THEN_MONTH_DAY = re.compile(rf"(?<![\d.]){YEAR}\s+(\d{{1,2}})/(\d{{1,2}})(?![\d/])")
# Month and day alone: "9月1日 17:45" (the year is the page's).
MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def _han_number(text: str) -> int:
    """一 .. 三十一 (tens written with 十) to an int."""
    if "十" not in text:
        return _HAN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_HAN_DIGITS.get(tens, 0) if tens else 1) * 10 + (
        _HAN_DIGITS.get(ones, 0) if ones else 0
    )


def western_digits(text: str) -> str:
    """Chinese-numeral and Republic of China dates rewritten with Gregorian digits."""
    if "年" not in text:
        return text
    text = _HAN_DATE.sub(
        lambda m: (
            f"{''.join(str(_HAN_DIGITS[c]) for c in m[1])}年{_han_number(m[2])}月"
            f"{_han_number(m[3])}日"
        ),
        text,
    )
    return _ROC_YEAR.sub(lambda m: f"{int(m[1]) + 1911}年", text)


def parse_date(text: str) -> dt.date | None:
    """The first complete date written in text, in any of the formats news sites use."""
    text = western_digits(text)
    found: list[tuple[int, dt.date]] = []
    for m in _YEAR_THEN_MONTH_DAY.finditer(text):
        if date := _make(m[1], int(m[2]), m[3]):
            found.append((m.start(), date))
            break
    for m in _NUMERIC.finditer(text):
        if date := _make(m[1], int(m[2]), m[3]):
            found.append((m.start(), date))
            break
    for m in _MONTH_DAY_YEAR.finditer(text):
        if date := _make(m[3], _MONTHS[m[1][:3].lower()], m[2]):
            found.append((m.start(), date))
            break
    for m in _DAY_MONTH_YEAR.finditer(text):
        if date := _make(m[3], _MONTHS[m[2][:3].lower()], m[1]):
            found.append((m.start(), date))
            break
    return min(found, key=lambda item: item[0])[1] if found else None


def _numeric_day_month(text: str) -> tuple[dt.date | None, int | None]:
    """ "21/11/2022" or "11/21/2022": a date when the order is clear, else only the year."""
    for m in _DAY_MONTH_NUMERIC.finditer(text):
        a, b = int(m[1]), int(m[2])
        if a > 12 >= b or a == b:
            return _make(m[3], b, m[1]), int(m[3])
        if b > 12 >= a:
            return _make(m[3], a, m[2]), int(m[3])
        if a <= 12 and b <= 12:
            return None, int(m[3])
    return None, None


def _dateline_texts(
    meta: Mapping[str, str], meta_lines: Iterable[str], paragraphs: tuple[str, ...]
) -> Iterator[str]:
    """Where an article's own date is written, most trusted first."""
    lowered = {key.lower(): value for key, value in meta.items()}
    for key in (*META_DATE_KEYS, *MODIFIED_KEYS):
        if lowered.get(key):
            yield lowered[key]
    yield from meta_lines
    # Cleaning may have left the dateline in the body: look at the top, then at labelled
    # lines at the bottom ("Published: ...").
    for paragraph in paragraphs[:3]:
        head = paragraph[:SHORT_LINE]
        if len(paragraph) <= SHORT_LINE or _DATELINE_MARK.search(head) or _DATE_LABEL.search(head):
            yield head
    for paragraph in paragraphs[-2:]:
        if len(paragraph) <= SHORT_LINE and _DATE_LABEL.search(paragraph):
            yield paragraph


_STAMP = re.compile(
    rf"{YEAR}-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::\d\d(?:\.\d+)?)?\s*"
    r"(Z|UTC|GMT|[+-]\d\d:?\d\d)?)?",
    re.IGNORECASE,
)
_COMPACT = re.compile(rf"^{YEAR}(\d\d)(\d\d)(?:\d{{4,6}})?$")
_URL_DATE = re.compile(rf"/{YEAR}/(\d\d?)/(\d\d?)/|[/-]{YEAR}-(\d\d)-(\d\d)(?:[/-]|$)")


def _stamp(value: str) -> tuple[dt.date | None, bool]:
    """A machine date and whether its day may be a UTC one rather than the local one (a
    clock time in UTC, or one with no zone at all)."""
    value = value.strip()
    if m := _STAMP.search(value):
        date = _make(m[1], int(m[2]), m[3])
        zone = (m[6] or "").upper()
        has_time = m[4] is not None
        return date, has_time and zone in ("", "Z", "UTC", "GMT", "+00:00", "+0000", "-00:00")
    if m := _COMPACT.match(value):
        return _make(m[1], int(m[2]), m[3]), False
    return parse_date(value) or _numeric_day_month(value)[0], False


def url_date(url: str) -> dt.date | None:
    """/2019/11/18/ or -2019-11-18/ in an article's address: its local publication day."""
    if m := _URL_DATE.search(url or ""):
        if m[1]:
            return _make(m[1], int(m[2]), m[3])
        return _make(m[4], int(m[5]), m[6])
    return None


def _structured(meta: Mapping[str, str]) -> tuple[dt.date | None, bool, list[dt.date]]:
    """The first published date of the page's metadata, whether it may be a UTC day, and
    every local (zoned or day-only) date the metadata gives, for a UTC day to defer to."""
    lowered = {key.lower(): value for key, value in meta.items()}
    first, utc, local = None, False, []
    for key in META_DATE_KEYS:
        if not lowered.get(key):
            continue
        date, maybe_utc = _stamp(lowered[key])
        if date is None:
            continue
        if first is None:
            first, utc = date, maybe_utc
        if not maybe_utc:
            local.append(date)
    # CMS-specific names for the original publication time ("article_date_original")
    for key, value in lowered.items():
        if key not in META_DATE_KEYS and _ORIGINAL_KEY.search(key) and not _UPDATED_KEY.search(key):
            date, maybe_utc = _stamp(value)
            if date is not None and not maybe_utc:
                local.append(date)
    return first, utc, local


_ORIGINAL_KEY = re.compile(r"original|publish|pub_?date|posted", re.I)
_UPDATED_KEY = re.compile(r"modif|updat|edit|revis", re.I)


# "Updated: Feb. 12, 2020" alone: a later day than the publication, not a local reading of it.
_UPDATED_ONLY = re.compile(
    r"^(?!.*\b(?:published|posted)\b).*\b(?:updated|modified|edited|revised)\b\W*(?:on|at)?\W*"
    r"(?:\w+\.?\s+)?\d",
    re.IGNORECASE,
)
_PUBLISHED_LABEL = re.compile(r"\b(?:published|posted|released|first published)\b\W*", re.I)


def _shown(text: str) -> dt.date | None:
    """A date printed in a by-line; after a "Published" label when the line has one."""
    if (m := _PUBLISHED_LABEL.search(text)) and (date := parse_date(text[m.end() :])):
        return date
    return parse_date(text) or _numeric_day_month(text)[0]


def _near(a: dt.date, b: dt.date) -> bool:
    return abs((a - b).days) <= 1


def find_date(
    meta: Mapping[str, str], meta_lines: Iterable[str], paragraphs: tuple[str, ...]
) -> dt.date | None:
    """The publication date, in the publication's own time zone.

    Structured data (JSON-LD, <meta>) is usually right about the day, but often as a UTC
    time: the date the page shows under its headline, or the day in its address, is the
    local one and wins when it is within a day of it. A shown date further away is an
    update or a related story, and the structured date stands.
    """
    structured, utc, local = _structured(meta)
    shown, updated = None, False
    for text in [meta.get("visible.date", ""), *meta_lines]:
        if text and (shown := _shown(text)):
            updated = bool(_UPDATED_ONLY.match(text))
            break
    if structured is not None:
        # A stamp with its own zone is the local day already; a UTC one may be a day off.
        if utc and shown is not None and not updated and _near(shown, structured):
            return shown
        if utc:
            from_url = url_date(meta.get("canonical") or meta.get("og:url") or "")
            for other in [from_url, *local]:
                if other is not None and other != structured and _near(other, structured):
                    return other
        return structured
    if shown is not None:
        return shown
    for text in _dateline_texts(meta, meta_lines, paragraphs):
        if date := parse_date(text) or _numeric_day_month(text)[0]:
            return date
    return None


def dateline_year(
    meta: Mapping[str, str], meta_lines: Iterable[str], paragraphs: tuple[str, ...]
) -> int | None:
    """The year of a dateline whose day and month cannot be told apart ("03/04/2019")."""
    for text in _dateline_texts(meta, meta_lines, paragraphs):
        if year := _numeric_day_month(text)[1]:
            return year
    return None


def _not_now(text: str, start: int, year: int) -> bool:
    """A target ("by 2025", "Vision 2035", "2021-2025") or a year still to come."""
    return year > dt.date.today().year or bool(_NOT_NOW.search(text[max(0, start - 12) : start]))


def _event_years(text: str) -> list[int]:
    years = []
    for m in _EVENT_YEAR.finditer(text):
        year = int(m[1] or m[2])
        if not _not_now(text, m.start(), year):
            years.append(year)
    return years


def infer_year(title: str, body: str) -> int | None:
    """Year of an undated article from the event it reports ("... Expo 2018")."""
    if years := _event_years(title):
        return years[0]
    for m in re.finditer(rf"(?<![\d.,-]){YEAR}(?![\d-])", title):
        if not _not_now(title, m.start(), int(m[1])):
            return int(m[1])
    if years := _event_years(body):
        counts = Counter(years)
        best = max(counts.values())
        return next(year for year in years if counts[year] == best)
    return None
