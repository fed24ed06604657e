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

# Chinese sites' furniture, one line each (NFKC has made full-width brackets and colons
# ASCII). Related-link headings, WeChat's widgets and account card, print/close/font-size
# bars in both scripts, breadcrumbs ("当前位置："), bracketed editor credits ("(责编：…)",
# "【责任编辑:…】", "（編輯：…）1120612"), "原标题：" lines, app promotions, table rules.
_ZH_RELATED = (
    r"相关新闻|相關新聞|相关链接|相關連結|相关阅读|相關閱讀|推荐阅读|推薦閱讀|延伸阅读|延伸閱讀"
    r"|热点新闻|熱門新聞|往期推荐|往期推薦|往期回顾|往期回顧|精彩推荐|精彩推薦|猜你喜欢|猜你喜歡"
    r"|更多新闻|更多新聞|今日推荐|热门推荐|熱門推薦|相关报道|相關報導|相关专题|编辑推荐|小编推荐"
)
_ZH_WIDGET = (
    r"阅读原文|閱讀原文|点赞|點讚|按赞|在看|分享|收藏|写留言|寫留言|留言|精选留言|精選留言|赞赏|讚賞"
    r"|喜欢此内容的人还喜欢|打印本页|打印|列印|友善列印|关闭窗口|關閉視窗|关闭本页|关闭|關閉|收藏本页"
    r"|返回顶部|回到頂部|回頁首|返回|回上一頁|返回上一页|纠错|糾錯|上一篇|下一篇|字体|字體|字号|字號"
    r"|字級|字体大小|字體大小|大字体|小字体|默认|默認|[大中小]|A\+|A-|END|预览时标签不可点"
)
_ZH_EDITOR = (
    r"责任编辑|責任編輯|责编|責編|编辑|編輯|审核|審核|审校|審校|校对|校對|监制|監製|终审|終審"
    r"|初审|复审|值班编辑|排版|美编"
)
_ZH_EDITOR_CREDIT = rf"[【\[(]\s*(?:{_ZH_EDITOR})\s*[:：][^】\])]{{1,40}}[】\])]\s*\d{{0,8}}"
_ZH_JUNK_PATTERNS = [
    rf"[【\[]?\s*({_ZH_RELATED})\s*[】\]]?\s*[:：]?",
    rf"(\s*([【\[(]?\s*({_ZH_WIDGET})\s*[】\])]?\s*[:：|/]?|{_ZH_EDITOR_CREDIT})\s*)+",
    r"[\[【(]?\s*(字体|字體|字号|字號|字級|字体大小|字體大小)\s*[:：]?.{0,24}",
    r"(微信)?(扫一扫|掃一掃|扫描二维码|掃描二維碼|长按识别二维码|長按識別二維碼|长按二维码|长按识别|"
    r"点击(上方)?蓝字|點擊(上方)?藍字|关注我们|關注我們).{0,40}",
    r"\d+篇原创内容|公众号|公眾號|\+?关注|阅读\s*[\d.]+万?\+?|閱讀\s*[\d.]+萬?\+?",
    r"(您|你)?(现在|当前|目前|現在|當前)?(的)?(所在)?(的)?位置\s*[:：].{0,200}",
    rf"({_ZH_EDITOR})\s*[:：]\s*[^,，。;；]{{1,40}}",
    r"(原标题|原標題)\s*[:：].{0,120}",
    r"\(?(本文来自|本文來自|本文转载自|本文轉載自|转载请注明|轉載請註明|文章来源于|文章來源於).{0,100}",
    r"(新聞聯絡人|新闻联络人|新闻联系人|新聞聯繫人)\s*[:：].{0,100}",
    r"\([^()]{0,12}(记者|記者|报道|報道|報導)\)",
    # promotions of the outlet's app: "点我下载APP", "現在用APP看新聞"
    r"(?=.*[\u4e00-\u9fff]).{0,30}(下载|下載|用|打开|打開|安装|安裝).{0,6}(APP|客户端|客戶端).{0,30}",
    r"(点我|點我|按我|点击|點擊|戳这里|戳這裡).{0,20}",
]
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
    # markdown table rules the library writes for a table's header: "|---|---|"
    r"\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?)?",
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
# Asked only of lines with Chinese characters: English pages pay nothing for it.
_ZH_JUNK = re.compile("|".join(f"(?:{p})" for p in _ZH_JUNK_PATTERNS), re.IGNORECASE)

# Photo credits inside or at the end of a caption; the caption's own words are kept.
_CREDITS = [
    r"\[\s*(photo|photos|image|video|picture)s?\b[^\]]{0,80}\]",
    r"\(\s*(photo|photos|image|picture)s?\s*(:|by|/|provided|courtesy)[^)]{0,80}\)",
    r"\b(photo|photos|image|picture)s?\s*(:|/|by)\s*(courtesy of\s+)?[^.。]{0,60}$",
    r"\b(photo|image)s?\s+(provided|courtesy)\s+(to|by|of)\s+[^.。]{0,60}\.?$",
    r"\b(file photo)\b[.:]?",
    # wire services' end markers
    r"\s*(\benditem\b|\(end\)|\[end\])\s*$",
    # Chinese photo credits closing a caption: "记者 陈镕 摄", "(苏报记者 吴涛 摄)",
    # "新华社记者 牟宇 摄", "李刚 摄", "记者徐如宜/摄影" (not "……拍摄", a verb)
    r"(?:(?<=[。!?])|^)\s*\(?[^。!?()]{0,30}?(?<![拍摄攝])\s*/?\s*[摄攝](?:影)?\s*\)?\s*$",
    # Chinese wire end markers and editors' codes: "(完)", "(編輯:黃世雅)1120612", "【编辑:刘欢】"
    r"\s*\(\s*完\s*\)\s*$",
    rf"\s*{_ZH_EDITOR_CREDIT}\s*$",
]
_CREDIT = re.compile("|".join(f"(?:{p})" for p in _CREDITS), re.IGNORECASE)


def strip_credits(line: str) -> str:
    return _SPACES.sub(" ", _CREDIT.sub("", line)).strip()


# Footers that read like sentences ("Copyright © ... All rights reserved.") are still footers.
_STRONG_JUNK = re.compile(
    r"\s*(copyright\b|©|\(c\) ?\d{4}).{0,300}|.{0,300}\ball rights reserved\b.{0,300}"
    r"|.{0,100}(版\s*权\s*所\s*有|版權所有|著作權所有|ICP\s*备|ICP\s*證|ICP\s*证|公网安备|公網安備"
    r"|网站标识码|網站標識碼|主办单位|主辦單位|承办单位|承辦單位|(主办|主辦|承办|承辦|协办|技术支持|技術支援"
    r"|技术支撑|制作单位|製作單位)\s*[:：]|未经(书面)?授权|未經(書面)?授權|禁止转载|不得轉載|請勿複製"
    r"|互联网新闻信息服务许可证|建议使用.{0,30}(分辨率|浏览器)|最佳瀏覽).{0,200}"
    r"|\(?(本文来自|本文來自|本文转载自|本文轉載自|转载请注明|轉載請註明|文章来源于|文章來源於).{0,100}"
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
    if _JUNK.fullmatch(line):
        return True
    return bool(_CJK.search(line)) and bool(
        _ZH_JUNK.fullmatch(line) or _STRONG_JUNK.fullmatch(line)
    )


# --------------------------------------------------------------------------- metadata

# A CJK publication or account name, then a date (the WeChat header adds "发表于" and the
# province its IP address is in: a place the post was sent from, not one it is about).
ZH_NAME_DATE = (
    r"(?:原创\s+|原創\s+)?(?:[^\s\d]{1,20}\s+){0,2}(?P<zh_name>[^\s\d]*[\u4e00-\u9fff][^\s]{0,19})"
    r"\s+\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d\d(?::\d\d)?)?"
    r"(?:\s+(?:发表于|發表於)\S{1,10})?"
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# Chinese labels of metadata lines and of the rows of a page's information table:
# "来源：", "發布日期 | 民國112年5月3日", "浏览次数：3421".
ZH_META_LABELS = (
    r"来源|來源|信息来源|資料來源|资料来源|稿源|新闻来源|新聞來源|发布时间|發布時間|發佈時間|发布日期|發布日期"
    r"|發佈日期|发稿时间|发表时间|發表時間|更新时间|更新時間|更新日期|最后更新|最後更新日期"
    r"|作者|撰文|撰稿|记者|記者|通讯员|通訊員|摄影|攝影|发布机构|發布機關|發布單位|发布单位|發文單位"
    r"|点击数|点击量|點擊數|浏览次数|瀏覽次數|浏览量|點閱次數|阅读数|阅读量|" + _ZH_EDITOR
)
# Chinese dates the line rules must see as dates: 二〇二一年十一月四日, 民國112年5月3日,
# a header split as "2023 02/16 10:21:35".
_ZH_DATE = (
    r"[〇零一二三四五六七八九○]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日"
    r"|(?:中華)?民國\s*\d{2,3}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|\d{4}\s+\d{1,2}/\d{1,2}(?=\s+\d{1,2}:\d\d|$)"
)
_DATE = (
    rf"(?:{_ZH_DATE}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
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
# The same for lines in Chinese (asked only of lines with Chinese characters).
_ZH_META_LINE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in [
            # Chinese labelled lines, and rows of an information table ("| 發布機關 | … |")
            rf"[【\[(]?\s*({ZH_META_LABELS})\s*[】\])]?\s*[:：]\s*.{{0,120}}",
            rf"\|\s*({ZH_META_LABELS})\s*\|.{{0,120}}",
            # Chinese by-lines: "澎湃新闻记者 俞凯", "记者 王谦 通讯员 刘群", "文/张三"
            r"[\u4e00-\u9fff]{0,8}(记者|記者|通讯员|通訊員|特约记者|見習記者|见习记者)\s*[\u4e00-\u9fff·]{2,4}"
            r"([、,\s]+((记者|記者|通讯员|通訊員|见习记者|見習記者)\s*)?[\u4e00-\u9fff·]{2,4}){0,4}",
            r"(文|图|圖|文图|文圖|撰文)\s*[/|｜]\s*[\u4e00-\u9fff·]{2,4}([、,\s]+[\u4e00-\u9fff·]{2,4}){0,3}",
            # "时间：" and "日期：" label the page's date, but also the when of an event
            rf"(时间|時間|日期)\s*[:：]\s*{_DATE}{_TIME}",
            # a name and a date under a Chinese headline: "自由時報 2023/08/15 05:30", WeChat's
            # "原创 作者 公众号 2023-03-08 08:00 发表于北京"
            ZH_NAME_DATE,
            r"发表于\S{1,10}|發表於\S{1,10}",
            # a month-day stamp whose year the page prints elsewhere: "9月1日 17:45"
            r"\d{1,2}月\d{1,2}日\s*(\d{1,2}:\d\d(:\d\d)?)?",
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
    r"\s*[|｜]\s*|\s{2,}|\s+(?=(?:published|updated|posted|source|editor|date|来源|发布时间|作者|编辑)"
    r"\s*[:：])",
    re.IGNORECASE,
)
# Chinese labels follow each other without spaces: "来源：无锡日报发布时间：2021-07-19".
_ZH_META_SPLIT = re.compile(
    rf"\s*[|｜]\s*|\s{{2,}}|\s*(?=[【\[]?(?:{ZH_META_LABELS})\s*[:：])", re.IGNORECASE
)


def _meta_part(text: str) -> bool:
    return bool(_META_LINE.fullmatch(text) or (_CJK.search(text) and _ZH_META_LINE.fullmatch(text)))


_DOMAIN = re.compile(r"(www\.)?[\w\-]+(\.[\w\-]+)+", re.IGNORECASE)


def is_meta_line(line: str) -> bool:
    """A dateline, source, by-line or update stamp: for extraction, not for the body.

    "By Zhang Wei | chinadaily.com.cn | Updated: 2023-05-12" is one too: every part is
    metadata, a site name or a domain.
    """
    if words(line) > 24 or len(line) > 200:
        return False
    if words(line) <= 16 and _meta_part(line):
        return True
    split = _ZH_META_SPLIT if _CJK.search(line) else _META_SPLIT
    parts = [p.strip() for p in split.split(line) if p and p.strip()]
    if len(parts) < 2:
        return False
    meta_parts = [p for p in parts if _meta_part(p)]
    rest_ok = all(
        _meta_part(p) or _DOMAIN.fullmatch(p) or (words(p) <= 4 and not is_sentence(p))
        for p in parts
    )
    return bool(meta_parts) and rest_ok


# Chinese datelines and lead credits opening a story (after NFKC: ASCII brackets):
# "新华社石家庄2月16日电(记者曹国厂、高博)", "中新网广州12月6日电 (记者 蔡敏婕)",
# "(中央社記者吳睿騏桃園12日電)", "本报讯 (记者 钱飞)", "长江日报讯(记者王谦 通讯员刘群)",
# "【大公報訊】記者李寶儀報道:", "〔記者廖雪茹/新竹報導〕".
_ZH_CREDIT = r"\s*(?:\([^()]{0,60}\)|〔[^〔〕]{0,60}〕)?"
_ZH_DATELINE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in [
            rf"^[^\s,，。:!?()]{{1,20}}?\d{{1,2}}月\d{{1,2}}日\s*[电電]{_ZH_CREDIT}",
            r"^\([^()]{0,40}\d{1,2}日\s*[电電]\)",
            rf"^(?:本报|本報|本台|本刊|本网|本網|[\u4e00-\u9fff]{{2,8}}(?:报|報|网|網|社|台))[讯訊]{_ZH_CREDIT}",
            r"^[\u4e00-\u9fff]{2,8}(?:网|網|社|台|报|報)消息\s*(?:\([^()]{0,30}\))?\s*[:：]",
            r"^【[^】]{1,12}[讯訊]】(?:\s*[記记]者[^:：,，。]{1,20}[報报][道導]\s*[:：])?",
            r"^[〔\[【(]\s*[記记]者[^〕\]】)]{1,30}[報报][導导道][〕\]】)]",
        ]
    )
)


def split_dateline(line: str) -> tuple[str, str]:
    """('GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/', 'The forum ...') or ('', line)."""
    if (zh := _ZH_DATELINE.match(line)) and line[zh.end() :].strip():
        return zh[0].strip(), line[zh.end() :].strip(" :：")
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
