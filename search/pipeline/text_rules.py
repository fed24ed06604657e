"""Line-level rules shared by text dumps and HTML: what is page furniture, what is metadata.

Each rule lives here once. A line is judged on its own (junk, metadata, prose, link-like);
`clean_lines` then uses position (before the first prose line, between, after the last) so a
short sub-heading inside the article survives while the same shape in a menu does not.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise(text: str) -> str:
    """NFKC, plain spaces, no zero-width or control characters, Unix line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", _ZERO_WIDTH.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


# --------------------------------------------------------------------------- shapes of lines

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TERMINAL = re.compile(r"[.!?。!?…:;\"'”’)\]]$")


@functools.lru_cache(maxsize=4096)  # each rule asks again about the same line
def words(line: str) -> int:
    """Words, counting two CJK characters as one word (they carry no spaces)."""
    if not _CJK.search(line):  # the common case, one regex pass
        return len(_WORD.findall(line))
    cjk = len(_CJK.findall(line))
    return len(_WORD.findall(_CJK.sub(" ", line))) + cjk // 2


def is_prose(line: str) -> bool:
    """A line a reader reads as a sentence or more, not a label or a link."""
    n = words(line)
    return n >= 20 or (n >= 8 and bool(_TERMINAL.search(line)))


def is_sentence(line: str) -> bool:
    """A short line that still reads as a sentence (ends like one, has a verb's room)."""
    return words(line) >= 4 and bool(_TERMINAL.search(line)) and not line.endswith(":")


def is_link_like(line: str) -> bool:
    """Short and unpunctuated: a menu entry, a related-link title, a label."""
    return not is_prose(line) and not is_sentence(line) and words(line) <= 14


# --------------------------------------------------------------------------- furniture

_SOCIAL = (
    r"facebook|twitter|instagram|youtube|linkedin|wechat|weibo|whatsapp|telegram|pinterest"
    r"|reddit|tumblr|flipboard|line|email|e-mail|print|rss|tiktok|douyin|qq|qzone|vk|x"
)
_JUNK_PATTERNS = [
    # breadcrumbs: Home > News > Content, 首页 > 新闻
    r"(home|homepage|首页|主页)\s*(>|»|›|/|\||→|>>).{0,160}",
    r"[^<>]{1,40}(\s(>|»|›)\s[^<>]{1,40}){2,}",
    # bullets of social networks and app links
    r"[•·*\-–]?\s*(follow us on\s+)?(" + _SOCIAL + r")(\s+(app|account|us))?",
    r"[•·*]?\s*(mobile version|app|desktop version|download (the )?app)",
    # comment widgets
    r".*comments? powered by (disqus|facebook|livefyre).*",
    r"(please )?enable javascript to view the comments.*",
    r"\d*\s*(comments?|replies|responses)\s*(\(\d+\))?",
    r"(leave|post|add|write|view|show|load|read) (a |all |more )?(comment|reply|comments)s?.*",
    r"(related|recommended|popular|latest|more|top|editor'?s'? picks?|trending)"
    r"( news| stories| articles| posts| reading| links| videos| photos)?\s*:?",
    r"(you (may|might) (also )?like|read more|see also|further reading|more from)\s*:?.*",
    r"in pics\s*:.*",
    # image files and counters
    r".{0,80}\.(jpe?g|png|gif|webp|bmp|tiff?)",
    r"\d+(\.\d+)?\s*[kKmMwW万]?\s*(views?|reads?|likes?|shares?)?",
    # share / print / font-size widgets
    r"(share|share this|share on|print|email|e-mail|font ?size|text size|a\s*a\s*a|[-+]?\s*a\s*[-+]?)"
    r"(\s*(this|article|story|page|:|\||/|\+|-))*",
    r"[\[【(]?\s*((font|text) ?size|字体|字号)?\s*[:：]?\s*(larger|smaller|medium|small|large|big|大|中|小)"
    r"(\s*[|/]?\s*(larger|smaller|medium|small|large|big|大|中|小))*\s*[\]】)]?",
    # the same widgets on Chinese pages: 【打印本页】【关闭窗口】, 分享到：
    r"([【\[(]?\s*(打印本页|打印|关闭窗口|关闭本页|关闭|收藏本页|收藏|分享到|分享|返回顶部|返回|纠错"
    r"|上一篇|下一篇|字体|字号)[^】\]]{0,30}[】\])]?\s*)+",
    r"(相关新闻|相关链接|相关阅读|推荐阅读|热点新闻|延伸阅读)\s*[:：]?",
    r"(advertisement|advertising|sponsored( content)?|ad|ads|广告)",
    # copyright and site footers
    r"(copyright|©|\(c\)).*",
    r".*all rights reserved.*",
    r"presented by .{1,60}",
    # wire-service tails: "View original content to download multimedia:https://..."
    r"view original content.{0,300}",
    r"(news|content) provided by.{0,60}",
    r"(about us|contact us|privacy policy|terms of (use|service)|sitemap|site map|advertise)"
    r"(\s*[|/·]\s*.*)?",
    r"(back to top|top|next|previous|prev|more|close|menu|search|subscribe|sign in|log in|login)"
    r"\s*[>»›]*",
]
_JUNK = re.compile("|".join(f"(?:{p})" for p in _JUNK_PATTERNS), re.IGNORECASE)

# Photo credits inside or at the end of a caption; the caption's own words are kept.
_CREDITS = [
    r"\[\s*(photo|photos|image|video|picture)s?\b[^\]]{0,80}\]",
    r"\(\s*(photo|photos|image|picture)s?\s*(:|by|/|provided|courtesy)[^)]{0,80}\)",
    r"\b(photo|photos|image|picture)s?\s*(:|/|by)\s*(courtesy of\s+)?[^.。]{0,60}$",
    r"\b(photo|image)s?\s+(provided|courtesy)\s+(to|by|of)\s+[^.。]{0,60}\.?$",
    r"\b(file photo)\b[.:]?",
    # wire services' end markers
    r"\s*(\benditem\b|\(end\)|\[end\])\s*$",
]
_CREDIT = re.compile("|".join(f"(?:{p})" for p in _CREDITS), re.IGNORECASE)


def strip_credits(line: str) -> str:
    return _SPACES.sub(" ", _CREDIT.sub("", line)).strip()


# Footers that read like sentences ("Copyright © ... All rights reserved.") are still footers.
_STRONG_JUNK = re.compile(
    r"\s*(copyright\b|©|\(c\) ?\d{4}).{0,300}|.{0,300}\ball rights reserved\b.{0,300}"
    r"|.{0,100}(版权所有|ICP备|ICP证|主办单位|主办\s*[:：]).{0,200}"
    r"|.{0,80}comments? powered by .{0,40}",
    re.IGNORECASE,
)


# Promotions written as sentences: newsletters, tips, "read more" teasers, shop links.
_PROMO = re.compile(
    "|".join(
        f"(?:{p})"
        for p in [
            # addressed to the reader: "Sign up for our newsletter", "... to your inbox"
            r"^(?=.*\b(newsletters?|inbox)\b)(?=.*\b(sign up|sign-up|subscribe|delivered)\b)"
            r"(?=.*\b(you|your|our)\b|\s*(sign|subscribe|get)\b)",
            r"\bclick here\b",
            r"^(have|got) a (news )?tip\?",
            r"^(like|enjoy(ed)?) (this|the) (story|article)\?",
            r"^tell us what you think",
            r"^(see|read|watch) (more|also|next)\s*[:|-]",
            r"^(don'?t miss|also read|also on [\w.\-]+\.\w+)\b",
            r"^(recommended|trending|popular|most read)\s*([:|-]|$)",
            r"^(filed|posted) (under|in)\s*:",
            r"^(tags?|topics?|categories)\s*:",
            r"^\[\w+[^\]]*\].*\[/\w+\]$",
            r"\bfollow (him|her|them|us|me) on (twitter|facebook|instagram|linkedin)\b",
            r"^write to \w[\w .'\-]{1,60} at \S+@\S+",
            r"^(updated|published|posted|last updated) (at|on) \d",
        ]
    ),
    re.IGNORECASE,
)


def is_junk(line: str) -> bool:
    """Furniture whatever its position: widgets, file names, counters, footers, promos."""
    if not line:
        return True
    if words(line) <= 60 and _PROMO.search(line):
        return True
    if len(line) > 200 or is_prose(line):
        return bool(_STRONG_JUNK.fullmatch(line))
    return bool(_JUNK.fullmatch(line))


# --------------------------------------------------------------------------- metadata

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}[-/.年]\s?\d{1,2}[-/.月]\s?\d{1,2}日?"
    r"|\d{1,2}/\d{1,2}/\d{4})"
)
_TIME = r"(?:\s*,?\s*(at\s+)?\d{1,2}:\d{2}(:\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?(\s*\(?[A-Z]{2,5}[+\-]?\d*\)?)?)?"
_META_LINE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in [
            # a bare dateline: July 19, 2021 / 2017-03-03 10:20 / Monday, 19 July 2021
            rf"((mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?{_DATE}{_TIME}",
            # labelled lines: Source: / Updated : / Published: / By / Editor: / Author:
            r"(source|updated|published|posted|released|date|time|editor|editors|author|"
            r"authors|writer|reporter|correspondent|by|from|via|journalist|translated by|"
            r"edited by|written by|contributed by|last (updated|modified)|来源|发布时间|作者|编辑|责任编辑)"
            r"\s*[:|：]\s*.{0,120}",
            # by-lines need capitalised names: "By the numbers" is a heading, not a by-line
            r"by\s+(?-i:[A-Z][\w'’.\-]+(\s+[A-Z][\w'’.\-]+){0,4})"
            r"(\s*(,|and|\||in|/)\s*[\w'’.\- ]{1,60})?",
            # (chinadaily.com.cn) / (Xinhua) / (ECNS) / [China Daily]
            r"[(\[]\s*[\w.\- ]{2,40}\s*[)\]]",
            # PR Newswire's closing "SOURCE ADG Expo Group"
            r"(?-i:SOURCE)\s+(?-i:[A-Z]).{1,80}",
            # Xinhua | Updated: 2017-03-03 10:20
            r"[\w .\-]{2,40}\s*\|\s*(updated|published)\s*:?.{0,60}",
        ]
    ),
    re.IGNORECASE,
)
_DATE_ANYWHERE = re.compile(_DATE, re.IGNORECASE)

# "GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/ — The forum ..." and "BEIJING, March 3 (Xinhua) -- ..."
_DATELINE_PREFIX = re.compile(
    r"^(?P<dateline>[A-Z][A-Z .'\-]{1,40}(,\s*[A-Z][\w .'\-]{1,40}){0,2}"
    r"(,\s*" + _DATE + r"|,\s*" + _MONTH + r"\s+\d{1,2})?"
    r"\s*(/\s*[\w \-]{2,40}\s*/|\(\s*[\w .\-]{2,40}\s*\))?)"
    r"\s*(—|–|--|-|:)\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)


# Metadata lines glue parts together: "By Global Times Published: Nov 20, 2018 07:03 PM".
_META_SPLIT = re.compile(
    r"\s*[|｜]\s*|\s{2,}|\s+(?=(?:published|updated|posted|source|editor|date|来源|发布时间|作者|编辑)\s*[:：])",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"(www\.)?[\w\-]+(\.[\w\-]+)+", re.IGNORECASE)


def is_meta_line(line: str) -> bool:
    """A dateline, source, by-line or update stamp: for extraction, not for the body.

    "By Zhang Wei | chinadaily.com.cn | Updated: 2023-05-12" is one too: every part is
    metadata, a site name or a domain.
    """
    if words(line) > 24 or len(line) > 200:
        return False
    if words(line) <= 16 and _META_LINE.fullmatch(line):
        return True
    parts = [p.strip() for p in _META_SPLIT.split(line) if p and p.strip()]
    if len(parts) < 2:
        return False
    meta_parts = [p for p in parts if _META_LINE.fullmatch(p)]
    rest_ok = all(
        _META_LINE.fullmatch(p) or _DOMAIN.fullmatch(p) or (words(p) <= 4 and not is_sentence(p))
        for p in parts
    )
    return bool(meta_parts) and rest_ok


def split_dateline(line: str) -> tuple[str, str]:
    """('GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/', 'The forum ...') or ('', line)."""
    m = _DATELINE_PREFIX.match(line)
    if not m:
        return "", line
    dateline = m["dateline"].strip()
    # The prefix must be a real dateline: a wire tag, or a place in capitals with a date.
    has_tag = "/" in dateline or "(" in dateline
    upper_place = re.match(r"^[A-Z][A-Z .'\-]{2,}\b", dateline) is not None
    has_date = _DATE_ANYWHERE.search(dateline) is not None or re.search(
        rf"{_MONTH}\s+\d{{1,2}}\b", dateline, re.IGNORECASE
    )
    if not upper_place or not (has_tag or has_date):
        return "", line
    return dateline, m["rest"].strip()


# --------------------------------------------------------------------------- the line cleaner


def _menu_runs(lines: list[str], min_run: int = 3) -> set[int]:
    """Indexes of lines inside runs of link-like lines: menus, tag clouds, link lists."""
    out: set[int] = set()
    run: list[int] = []
    for i, line in enumerate(lines + [""]):
        if line and (is_link_like(line) or is_junk(line)) and not is_meta_line(line):
            run.append(i)
            continue
        # Lines that are furniture on their own (bullets of social links) do not make a run
        # a menu: the headline under such a list is link-shaped too and must survive.
        if len([j for j in run if is_link_like(lines[j]) and not is_junk(lines[j])]) >= min_run:
            out.update(run)
        run = []
    return out


def _article_end(lines: list[str], prose: list[int], menu: set[int]) -> int:
    """Index of the article's last prose line.

    A long menu after the article (site map, footer) may be followed by short prose-shaped
    lines ("The Information Office of ... Government."); they are footer, not article,
    unless real paragraphs follow.
    """
    if not prose:
        return -1
    last = prose[-1]
    starts = sorted(i for i in menu if i > prose[0] and i - 1 not in menu)
    for start in starts:
        run = 0
        i = start
        while i in menu:
            run += 1
            i += 1
        if run < 4:
            continue
        if not any(is_prose(lines[j]) and words(lines[j]) >= 12 for j in range(i, len(lines))):
            before = [p for p in prose if p < start]
            return before[-1] if before else last
    return last


def _title_index(lines: list[str], first: int) -> int:
    """The headline among the lines before the article: the longest that is neither
    furniture, metadata nor a sentence (a menu right above it must not swallow it)."""
    head = [
        i
        for i in range(min(first, len(lines)))
        if not is_junk(lines[i])
        and not (is_meta_line(lines[i]) and not is_prose(lines[i]))
        and (words(lines[i]) >= 2 or _CJK.search(lines[i]))
    ]
    if not head:
        return -1
    labels = [i for i in head if not is_sentence(lines[i])]
    if not labels:
        return head[0]
    return max(labels, key=lambda i: (words(lines[i]), -i))


# Where a story's own text ends and the publisher's furniture begins, on news and press
# release pages: "About Verdant Grid", "Media Contacts", "View original content...",
# "SOURCE Acme Corp", "Sponsored by ...": nothing after such a line is the story.
_SECTION_END = re.compile(
    r"^(?:(?i:about)\s+[A-Z][\w&.,'’\- ]{1,60}:?"
    r"|(?i:(?:media\s+|press\s+|investor\s+)?contacts?)\s*:?.*"
    r"|(?i:(?:media|press) (?:contact|inquiries|enquiries))\b.*|(?i:view original content)\b.*"
    r"|SOURCE\s+[A-Z][\w&.,'’\- ]{1,60}|(?i:sponsored by)\b.*"
    r"|(?i:this (?:article|story|content) (?:is|was) (?:sponsored|paid for|presented) by)\b.*)$",
)
# One-line credits and notes that are never the story: "Photo credit: Zhang Wei",
# "(Xinhua/Huang Zongzhi)", "Sponsored by Arena Tech Expo 2018."
_LINE_CREDIT = re.compile(
    r"^(?:(?:photo|image|picture|video|graphic|cover)\s+)?credits?\s*[:：].{0,80}$"
    r"|^\((?:xinhua|ap|afp|reuters|photo|file)\s*/[^)]{1,60}\)$"
    r"|^.{0,120}\bsponsored by\b.{0,80}$",
    re.IGNORECASE,
)
# An author's bio closing a story: "Sam Keller covers transportation for The Mountain
# Courier.", "Jane Doe is a reporter at ...".
_BIO = re.compile(
    r"^[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){1,3}\s+(?:covers|writes about|reports on|has covered|"
    r"is (?:a|an|the)\s+(?:[\w\-]+\s+){0,3}(?:reporter|writer|editor|correspondent|journalist|"
    r"columnist|contributor|freelance\w*))\b"
)


def cut_publisher_tail(kept: list[str]) -> list[str]:
    """The story without its publisher's tail sections, credit lines and closing bio."""
    start = max(1, len(kept) // 3)
    for j in range(start, len(kept)):
        if words(kept[j]) <= 40 and _SECTION_END.match(kept[j]):
            kept = kept[:j]
            break
    kept = [line for line in kept if not _LINE_CREDIT.match(line)]
    while len(kept) > 1 and words(kept[-1]) <= 60 and _BIO.match(kept[-1]):
        kept = kept[:-1]
    return kept


def clean_lines(lines: list[str], *, structured: bool = False) -> tuple[str, list[str], list[str]]:
    """(title, paragraphs, meta lines) from normalised non-empty lines of one page.

    Text dumps (structured=False) carry no markup, so shape and position decide: before the
    first prose line only the title, metadata and standfirst sentences survive; runs of
    link-like lines are menus; after the article's last prose line, short sentences survive
    until the first piece of furniture, and nothing after it does.

    Blocks from HTML (structured=True) already come from the main content, where short
    lines are list items, table rows and sub-headings: only lines that are furniture on
    their own go, and the tail closes at the first of them.
    """
    lines = [strip_credits(line) if _CREDIT.search(line) else line for line in lines]
    lines = [line for line in lines if line]
    meta: list[str] = []
    menu = set() if structured else _menu_runs(lines)
    prose = [i for i, line in enumerate(lines) if is_prose(line) and not is_junk(line)]
    first = prose[0] if prose else len(lines)
    last = _article_end(lines, prose, menu)

    title = ""
    kept: list[str] = []
    tail_closed = False
    title_at = -1 if structured else _title_index(lines, first)
    title = lines[title_at] if title_at >= 0 else ""
    for i, line in enumerate(lines):
        if is_junk(line):
            tail_closed = tail_closed or i > last
            continue
        if is_meta_line(line) and not is_prose(line):
            meta.append(line)
            continue
        if i < first and not structured:
            if i == title_at or i in menu:
                continue
            if is_sentence(line):
                kept.append(line)
            continue
        if i > last:
            if tail_closed or (not structured and (is_link_like(line) or i in menu)):
                tail_closed = True
                continue
            kept.append(line)
            continue
        if i in menu and not is_prose(line):
            continue
        if i == first:
            dateline, rest = split_dateline(line)
            if dateline:
                meta.append(dateline)
                line = rest
        kept.append(line)
    return title, cut_publisher_tail(kept), meta
