"""Words of an article with their positions: the unit both gazetteer and pattern matching use.

A name may only run across plain spaces or a hyphen between words; any other punctuation or
a line break ends it, so names are never glued across a comma, a bracket or a paragraph.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Chinese characters are not words here (han_entities.py reads them): "亞馬遜AWS" holds the
# word AWS.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(
    r"(?P<ltd>,?[ ]?(?:Co\.,?[ ]?Ltd\b\.?|Co\.,?[ ]?Limited\b|Ltd\b\.?|Inc\b\.?|LLC\b|PLC\b))"
    r"|(?P<group>\(Group\))"
    r"|(?P<amp>&)"
    # Letters and digits with inner apostrophes (Xi'an, Xi’an) but not a possessive 's.
    # (The loop unrolled: one run of letters at a time, not one alternation per letter.)
    rf"|(?P<word>[^\W_{HAN}][^\W{HAN}]*(?:['’‘](?!s\b)(?=\w)[^\W{HAN}]*)*)"
)
# Spaces, a hyphen, or a dot inside a word (Pony.ai, JD.com) keep a name going.
_JOINING_GAP = re.compile(r"[ \t]*|-|\.")
_APOSTROPHES = str.maketrans("", "", "'’‘`")


class Token(NamedTuple):
    """A tuple: made for every word of every article, it must be cheap to create."""

    text: str
    start: int
    end: int
    kind: str  # "word", "ltd" (Co., Ltd. / Inc.), "group" ("(Group)"), "amp"
    joined: bool  # only spaces or a hyphen separate it from the previous token
    cap: bool  # starts with a capital
    key: str  # folded form used for lookups


# fold() of the words seen (bounded): tokenize reads it inline, a word per token.
_KEYS: dict[str, str] = {}
_KEYS_MAX = 200_000


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # Token(...) runs a Python-level __new__: this is the hot loop
    joining = _JOINING_GAP.fullmatch
    keys = _KEYS
    prev_end = 0
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        kind = m.lastgroup
        word = m.group()
        if prev_end:
            joined = (
                start - prev_end == 1
                and text[prev_end] == " "
                or (joining(text, prev_end, start) is not None)
            )
        else:
            joined = False
        if kind == "word":
            key = keys.get(word)
            if key is None:
                key = fold(word)
            token = (word, start, end, kind, joined, word[0].isupper(), key)
        else:
            key = "ltd" if kind == "ltd" else fold(word)
            token = (word, start, end, kind, joined, word[:1].isupper(), key)
        append(new(Token, token))
        prev_end = end
    return tokens


def fold(word: str) -> str:
    """Case, diacritics and apostrophes do not matter when comparing names (Lüliang, Xi’an)."""
    key = _KEYS.get(word)
    if key is not None:
        return key
    if word.isascii():  # nothing to decompose; str.lower is casefold on ASCII
        key = word.translate(_APOSTROPHES).lower() if "'" in word or "`" in word else word.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", word.translate(_APOSTROPHES))
        key = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[word] = key
    return key


def fold_text(text: str) -> str:
    """Case and diacritics folded as fold() does, over a whole text (apostrophes kept)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.casefold()


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The lookup key of a name: its folded words, space-separated."""
    return " ".join(t.key for t in tokenize(name))
