"""The language of an article: ISO 639-1, or zh-Hans / zh-Hant for Chinese.

Chinese is told by its script (Han characters outweigh Latin letters), and Simplified from
Traditional by characters that exist in only one of the two forms. Every other language
comes from py3langid (a maintained fork of langid.py whose model ships in the package),
restricted to its answers with some confidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# Frequent characters whose Simplified and Traditional forms differ (pairs, same order).
_SIMPLIFIED = "这为国时会发经们来说个对与业产开关长东车门区书务动电网现进还实学体数万华报记员设术应问题间话过观"
_TRADITIONAL = "這為國時會發經們來說個對與業產開關長東車門區書務動電網現進還實學體數萬華報記員設術應問題間話過觀"
# Characters py3langid reads (its cost grows with them: a Python loop per byte). Measured on
# the 88 dev pages: 600 tell 88 languages right, 1500 told 87 (an Indonesian page read as
# Malay); on the test fixtures the same answers but for that page's copies.
_SAMPLE = 600
_MIN_LETTERS = 20


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def chinese_script(text: str) -> str:
    simplified = sum(text.count(c) for c in _SIMPLIFIED)
    traditional = sum(text.count(c) for c in _TRADITIONAL)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def detect_language(title: str, body: str) -> str | None:
    text = f"{title}\n{body}"[:_SAMPLE]
    letters = len(_LETTER.findall(text))
    if letters < _MIN_LETTERS:
        return None
    han = len(_HAN.findall(text))
    if _KANA.search(text) and len(_KANA.findall(text)) > han * 0.1:
        return "ja"
    if len(_HANGUL.findall(text)) > letters * 0.3:
        return "ko"
    if han > letters * 0.3:
        return chinese_script(text)
    lang, confidence = _identifier().classify(text)
    return lang if confidence >= 0.5 else None
