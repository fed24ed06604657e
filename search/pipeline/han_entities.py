"""Cities and organisations named in Chinese script, found without a segmenter.

Chinese has no spaces, but a known name needs none: at each character the longest known
name starting there wins (an Aho-Corasick-style longest match over a dict). Provinces and
regions are known names too and consume their characters, so no city is read out of them
(吉林省 is the province, 吉林市 the city). Organisations the gazetteer does not know are
found by their shape: characters ending in an organisation's head word (有限公司, 委员会, 大学).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
CITY, REGION, ORGANISATION = "city", "region", "organisation"

# After a place's name these make it a district, a county, a street or a province of that
# name (南山区, 浦东新区, 滨海新区, 南京路), not the city, unless the city was written with 市
# (深圳市南山区 names Shenzhen).
_DIVISION_AFTER = (
    "区",
    "區",
    "县",
    "縣",
    "镇",
    "鎮",
    "乡",
    "鄉",
    "街道",
    "街",
    "路",
    "村",
    "旗",
    "省",
    "大道",
)
_SHI = ("市", "巿")
# A WeChat page's "发表于北京" / "IP属地：北京" line says where the poster was, not what the
# article is about.
_NOT_A_MENTION_BEFORE = re.compile(r"(?:发表于|發表於|IP属地|IP屬地|属地|屬地)[：:\s]*$")

# Head words of organisation names, longest first. Strong ones make a name on their own;
# weak ones (公司 "company", 局 "bureau") only after a known name or place: "腾讯公司",
# "深圳市公安局", but never "该公司", "布局".
STRONG_HEADS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "集團",
    "研究院",
    "研究所",
    "研究中心",
    "科学院",
    "科學院",
    "工程院",
    "设计院",
    "設計院",
    "大学",
    "大學",
    "学院",
    "學院",
    "委员会",
    "委員會",
    "管委会",
    "管委會",
    "协会",
    "協會",
    "学会",
    "學會",
    "联盟",
    "聯盟",
    "银行",
    "銀行",
    "基金会",
    "基金會",
    "實驗室",
    "实验室",
    "医院",
    "醫院",
    "法院",
    "办公室",
    "辦公室",
    "管理局",
    "公安局",
    "统计局",
    "統計局",
    "數據局",
    "数据局",
)
WEAK_HEADS = ("公司", "局", "厅", "廳", "中心")
_HEADS = tuple(sorted(STRONG_HEADS + WEAK_HEADS, key=len, reverse=True))
# A 中心 of these is a building, not an organisation (重庆国际博览中心), as in English.
_VENUE_CHARS = re.compile(
    r"博览|博覽|会展|會展|展览|展覽|体育|體育|文化|购物|購物|会议|會議|国际|國際|数据|數據"
)
# Characters that end a name walking back from its head: function words and verbs that sit
# between names in running text. "和" and "与" also join the parts of one name
# (工业和信息化局): a name crosses them back to a place it starts with (泰州市住房和城乡建设局).
_BREAK = frozenset(
    "的在是为為对對将將向从從被把等了由于於并並也还還就都而以其该該这這那同跟给給让讓令称稱说說有即或暨"
)
_SOFT_BREAK = frozenset("和与與及")
_GOVERNMENT_HEADS = frozenset(
    [
        "委员会",
        "委員會",
        "管委会",
        "管委會",
        "办公室",
        "辦公室",
        "管理局",
        "公安局",
        "统计局",
        "統計局",
        "數據局",
        "数据局",
    ]
)
# A district or county written before a name starts it: two or three characters and 区/县.
_DISTRICT_START = re.compile(r"[\u4e00-\u9fff]{2,3}?(?:新区|新區|区|區|县|縣)")
_NATIONAL_STARTS = (
    "国家",
    "國家",
    "中国",
    "中國",
    "全国",
    "全國",
    "中央",
    "国务院",
    "國務院",
    "中华",
    "中華",
)
MAX_NAME_CHARS = 16
MAX_UNANCHORED_CHARS = 8
# What may follow a known organisation's name in its legal or branch name: "华为技术有限公司"
# and "中国电信上海公司" are Huawei and China Telecom.
_LEGAL_WORDS = re.compile(
    r"(?:技术|技術|科技|信息|資訊|通信|通讯|通訊|网络|網絡|数字|數字|软件|軟件|电子|電子|控股|股份|智能|云计算|雲計算|计算)*"
    r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|集團|分公司|子公司|公司|分行|支行|总部|總部)?"
)

_LEGAL_ENDS = ("公司", "集团", "集團", "分行", "支行", "总部", "總部")


@dataclass(frozen=True)
class HanIndex:
    """Known Chinese names -> (kind, canonical or None for a region)."""

    names: dict[str, tuple[str, str | None]]

    @cached_property
    def max_len(self) -> int:
        return max(map(len, self.names), default=1)

    @cached_property
    def first_chars(self) -> frozenset[str]:
        return frozenset(n[0] for n in self.names)

    def longest(self, text: str, i: int) -> tuple[int, str, str | None] | None:
        if text[i] not in self.first_chars:
            return None
        for n in range(min(self.max_len, len(text) - i), 1, -1):
            hit = self.names.get(text[i : i + n])
            if hit is not None:
                return n, hit[0], hit[1]
        return None


@dataclass(frozen=True)
class _Known:
    kind: str
    value: str | None
    start: int  # in the run
    end: int


@dataclass(frozen=True)
class HanEntities:
    cities: tuple[str, ...]
    # (canonical, the spelling the text used)
    organisations: tuple[tuple[str, str], ...]


def find_han_entities(text: str, index: HanIndex) -> HanEntities:
    cities: list[str] = []
    organisations: list[tuple[str, str]] = []
    for run in HAN_RUN.finditer(text):
        before, after = (
            text[max(0, run.start() - 20) : run.start()],
            text[run.end() : run.end() + 12],
        )
        _one_run(run.group(), before, after, index, cities, organisations)
    return HanEntities(tuple(dict.fromkeys(cities)), tuple(dict.fromkeys(organisations)))


def _known_names(s: str, index: HanIndex) -> list[_Known]:
    out: list[_Known] = []
    i = 0
    while i < len(s):
        hit = index.longest(s, i)
        if hit is None:
            i += 1
            continue
        n, kind, value = hit
        out.append(_Known(kind, value, i, i + n))
        i += n
    return out


def _one_run(
    s: str,
    before: str,
    after: str,
    index: HanIndex,
    cities: list[str],
    organisations: list[tuple[str, str]],
) -> None:
    known = _known_names(s, index)
    spans: list[tuple[int, int]] = []  # organisation names in this run
    found: list[tuple[int, str, str]] = []
    for k in known:
        if k.kind == ORGANISATION and k.value:
            if _DATELINE_AFTER.match(after) and _only_a_place(s, k.end, known):
                continue  # "新华社石家庄2月16日电": the wire's dateline, not a mention
            if s.startswith(_CREDIT_AFTER, k.end):
                continue  # "新华社记者 牟宇 摄": a credit
            end = _legal_end(s, k.end, known)
            institute = _INSTITUTE_OF.match(s, _place_end(s, end, known) or len(s))
            if institute and end < institute.start():
                # 浙江大学台州研究院: the university's institute, a name of its own
                spans.append((k.start, institute.end()))
                found.append((k.start, s[k.start : institute.end()], s[k.start : institute.end()]))
                continue
            spans.append((k.start, end))
            found.append((k.start, k.value, s[k.start : end]))
    for start, end, canonical in _shaped(s, known, spans, index):
        spans.append((start, end))
        found.append((start, canonical, s[start:end]))
    organisations += [(canonical, spelled) for _, canonical, spelled in sorted(found)]
    for k in known:
        if k.kind != CITY or not k.value:
            continue
        with_shi = s[k.start : k.end].endswith(_SHI) or s[k.end : k.end + 1] in _SHI
        if not with_shi and s.startswith(_DIVISION_AFTER, k.end):
            continue
        if any(a <= k.start and k.end <= b for a, b in spans) and not with_shi:
            continue  # 北京大学, 中山大学: a name inside an organisation's name
        if _NOT_A_MENTION_BEFORE.search(before + s[: k.start]):
            continue
        cities.append(k.value)


def _shaped(
    s: str, known: list[_Known], spans: list[tuple[int, int]], index: HanIndex
) -> list[tuple[int, int, str]]:
    """Organisation names by their shape that no known name covers: (start, end, canonical)."""
    out: list[tuple[int, int, str]] = []
    taken = list(spans)
    place_ends = {k.end: k.start for k in known if k.kind in (CITY, REGION)}
    place_ends.update({k.end + 1: k.start for k in known if s[k.end : k.end + 1] in _SHI})
    i = 0
    while i < len(s):
        head = next((h for h in _HEADS if s.startswith(h, i)), None)
        if head is None or any(a <= i < b for a, b in taken):
            i += 1
            continue
        end = i + len(head)
        # Keep going over a longer head right after ("研究院有限公司").
        start = i
        limit = max([b for a, b in taken if b <= i], default=0)
        while start > limit and i - (start - 1) <= MAX_NAME_CHARS:
            if start in place_ends:  # a known name is never cut: 成都 holds 都 ("all")
                start = place_ends[start]
            elif s[start - 1] in _BREAK:
                break
            else:
                start -= 1
        start = max(start, limit)
        places = [k for k in known if start <= k.start < i and k.kind in (CITY, REGION)]
        if places:
            start = places[0].start
        elif _DISTRICT_START.match(s, start, i) or s.startswith(_NATIONAL_STARTS, start):
            pass  # 南山区政务服务数据管理局, 国家数据局: a district's or the state's body
        elif (
            head in WEAK_HEADS
            or head in _GOVERNMENT_HEADS
            or any(s[j] in _SOFT_BREAK for j in range(start, i))
            or not 2 <= i - start <= MAX_UNANCHORED_CHARS
        ):
            # A government body needs the place it serves ("各区数据资源管理局" is every
            # district's); a name cut at 和 is likely a tail ("…和大数据管理局"); a weak
            # head alone is a word ("该公司").
            i = end
            continue
        if i - start < 2 or (head == "中心" and _VENUE_CHARS.search(s, start, i)):
            i = end
            continue
        out.append((start, end, s[start:end]))
        taken.append((start, end))
        i = end
    return out


_DATELINE_AFTER = re.compile(r"\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[电電]")
_CREDIT_AFTER = ("记者", "記者", "讯", "訊", "供图", "供圖")
_INSTITUTE_OF = re.compile(r"研究院|研究所|分院|研究中心|实验室|實驗室")


def _place_end(s: str, start: int, known: list[_Known]) -> int | None:
    """Where a place named at `start` ends (with its 市), or None."""
    for k in known:
        if k.start == start and k.kind in (CITY, REGION):
            return k.end + (s[k.end : k.end + 1] in _SHI)
    return None


def _only_a_place(s: str, start: int, known: list[_Known]) -> bool:
    return start == len(s) or _place_end(s, start, known) == len(s)


def _legal_end(s: str, start: int, known: list[_Known]) -> int:
    """Where a known organisation's name ends when a place and legal or branch words follow
    it ("华为|技术有限公司", "中国电信|上海公司"): its legal name is still that organisation."""
    at = _place_end(s, start, known) or start
    m = _LEGAL_WORDS.match(s, at)
    if m is None or not m.group().endswith(_LEGAL_ENDS):
        return start
    return m.end()
