"""Chinese (and other CJK) text for both engines: script folding and word segmentation.

Chinese has no spaces, so a run of Han characters is cut into words by rjieba (the Rust port
of jieba: the same dictionary and cuts; on the Chinese bench articles it cut all 158 runs as
jieba did, at 0.80 M characters/s against jieba's 0.03 M on this loaded machine),
loaded with the Chinese names of the gazetteer (cities, organisations and their aliases,
built-in and admin-edited) so that a place or organisation name stays one word.

Traditional and Simplified characters meet by folding every CJK character to Simplified
(OpenCC's t2s character table) at index and query time. The fold is one character for one
character, so an offset in the folded text is an offset in the original: highlights are
found on the folded text and marked on the original.

What the index holds for a CJK run (`index_tokens`): every character, in order (so any
substring of the text can be found as a phrase of characters: one- and two-character
queries, names the segmenter cut differently, Japanese kana), then the words of the run in
jieba's search mode (a long word and the dictionary words inside it), which rank the
articles where the query's words are words of the text above those that merely hold the
characters. A query word (`query_words`) is cut in jieba's precise mode; each engine matches
it as "the word, or its characters next to each other" (see `char_phrase`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache

from whoosh.analysis import Token
from whoosh.analysis import Tokenizer as WhooshTokenizer

# Han (with extension A and the compatibility block), the ideographic zero, Japanese kana
# and Korean Hangul syllables. Extensions B+ (astral) are rare in news text.
CJK_CHARS = "\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = f"[{CJK_CHARS}]"
CJK_RUN = re.compile(f"{CJK_CHAR}+")
HAN_RUN = re.compile(f"[{_HAN}]+")
_HAS_CJK = re.compile(f"[{CJK_CHARS}]")


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    folded = _t2s().convert(ch)
    return folded if len(folded) == 1 else ch


def fold(text: str) -> str:
    """CJK characters in Simplified script, everything else as it was; same length."""
    if not has_cjk(text):
        return text
    return CJK_RUN.sub(lambda m: "".join(_fold_char(c) for c in m.group()), text)


def runs(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, folded run) of each run of CJK characters in the text."""
    for m in CJK_RUN.finditer(text):
        yield m.start(), m.end(), fold(m.group())


# -- the segmenter -------------------------------------------------------------------------


class Segmenter:
    """rjieba with a user dictionary of names; thread-safe for reads after loading."""

    # A name weighs as a common word, so that it wins over a cut through it.
    NAME_FREQ = 100_000

    def __init__(self, names: Iterable[str] = ()) -> None:
        import rjieba

        self._jieba = rjieba.Jieba()
        self.names: frozenset[str] = frozenset()
        self._given: set[str] = set()  # names as given, so a refresh folds only new ones
        self.add(names)

    def add(self, names: Iterable[str]) -> None:
        given = set(names) - self._given
        self._given |= given
        new = {fold(n) for n in given if n and HAN_RUN.fullmatch(n.strip() or "-")} - self.names
        for name in sorted(new):
            self._jieba.add_word(name, self.NAME_FREQ, None)
        self.names = self.names | new

    def words(self, run: str) -> list[str]:
        """The words of a folded CJK run, precise mode (how a query is read)."""
        out: list[str] = []
        for piece in _pieces(run):
            out += self._jieba.cut(piece, False) if HAN_RUN.fullmatch(piece) else list(piece)
        return out

    def search_words(self, run: str) -> list[tuple[str, int, int]]:
        """(word, start, end) of the words of a folded CJK run in search mode (long words
        and the dictionary words inside them), offsets within the run."""
        out: list[tuple[str, int, int]] = []
        at = 0
        for piece in _pieces(run):
            if HAN_RUN.fullmatch(piece):
                for word, start, end in self._jieba.tokenize(piece, "search", False):
                    out.append((word, at + start, at + end))
            at += len(piece)
        return out


def _pieces(run: str) -> list[str]:
    """A CJK run split into Han runs and the rest (kana, Hangul): jieba reads only Han."""
    return [m.group() for m in re.finditer(f"[{_HAN}]+|[^{_HAN}]+", run)]


# The gazetteer's names are read again at most this often: reading them asks the database
# whether the admin rows changed, too much to do for every field of every article indexed.
NAMES_TTL_SECONDS = 5.0
_lock = threading.Lock()
_segmenter: Segmenter | None = None
_names_read = 0.0


def segmenter() -> Segmenter:
    """The process's segmenter, with the gazetteer's Chinese names (see gazetteer_names);
    names an admin adds join it within NAMES_TTL_SECONDS. A name the segmenter does not
    know yet is still found (as its characters); knowing it only ranks better."""
    global _segmenter, _names_read
    with _lock:
        now = time.monotonic()
        if _segmenter is None:
            _segmenter = Segmenter(gazetteer_names())
            _names_read = now
        elif now - _names_read > NAMES_TTL_SECONDS:
            _segmenter.add(gazetteer_names())
            _names_read = now
        return _segmenter


def gazetteer_names() -> set[str]:
    """The Chinese names (canonical names and aliases) the gazetteer knows: the built-in
    data and, when a database is there, the City and Organisation rows admins edit."""
    try:
        from django.db import transaction

        from search.ingest import current_gazetteer

        with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction
            edited = _chinese_names_of(current_gazetteer())
    except Exception:  # noqa: BLE001 - no database (parse_article, a bench): built-in names
        edited = frozenset()
    return set(_builtin_names()) | edited


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    """GeoNames' Han names of every city and region, the organisations' Chinese names and
    the built-in gazetteer's: the same for the life of the process, so read once."""
    from search.pipeline.gazetteer import chinese_names, default_gazetteer

    return frozenset(chinese_names()) | _chinese_names_of(default_gazetteer())


def _chinese_names_of(gazetteer) -> frozenset[str]:
    names: set[str] = set()
    for table in (gazetteer.cities, gazetteer.organisations):
        for alias, canonical in table.items():
            for name in (alias, canonical):
                if name and has_cjk(name):
                    names.add(name.strip())
    return frozenset(names)


# -- what the engines index and search -----------------------------------------------------


def index_tokens(run: str) -> list[tuple[str, int, int]]:
    """(token, start, end) of one folded CJK run as the index holds it, in order: its
    characters, then its words of two or more characters (see the module's note)."""
    chars = [(c, i, i + 1) for i, c in enumerate(run)]
    words = [w for w in segmenter().search_words(run) if w[2] - w[1] > 1]
    return chars + words


def query_words(text: str) -> list[str]:
    """The words of a CJK run as typed in a query (folded, precise mode)."""
    return segmenter().words(fold(text))


def char_phrase(word: str) -> list[str]:
    """The characters of a folded CJK query word: matched next to each other."""
    return list(word)


def index_text(text: str) -> str:
    """The CJK tokens of a text, space-separated ('' when it has none): the column that
    PostgreSQL's `simple` configuration indexes (its parser splits at the spaces)."""
    out: list[str] = []
    for _, _, run in runs(text):
        out += [token for token, _, _ in index_tokens(run)]
    return " ".join(out)


def spans(text: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of every place the (folded) CJK words occur in the text, longest
    first where they overlap: what the highlighter marks (a CJK word matches as its
    characters next to each other, so every occurrence is a match)."""
    wanted = sorted({w for w in words if w}, key=len, reverse=True)
    if not wanted or not has_cjk(text):
        return []
    folded = fold(text)
    pattern = re.compile("|".join(re.escape(w) for w in wanted))
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(folded)]


# -- the Whoosh analyzer's tokenizer -------------------------------------------------------

# Words as Whoosh's RegexTokenizer reads them (\w+(\.?\w+)*), without CJK characters,
# or a run of CJK characters.
_WORD = f"[^\\W{CJK_CHARS}]+(?:\\.?[^\\W{CJK_CHARS}]+)*"
WORD_RE = re.compile(_WORD)  # an alphabetic word (letters and digits) beside CJK characters
_TOKEN_RE = re.compile(f"(?P<cjk>[{CJK_CHARS}]+)|(?P<word>{_WORD})")


class Tokenizer(WhooshTokenizer):
    """Whoosh's RegexTokenizer for alphabetic words; a CJK run becomes its index tokens
    (`index_tokens`) when indexing, and one folded token otherwise (a query word: the
    parser has already cut a query's CJK run into words, see query._term)."""

    def __eq__(self, other) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        whole = [(value, 0, len(value))]
        pieces = self._pieces(value, mode == "index") if tokenize else whole
        for pos, (text, start, end) in enumerate(pieces):
            t.text = text
            t.boost = 1.0
            if keeporiginal:
                t.original = text
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t

    @staticmethod
    def _pieces(value: str, indexing: bool) -> Iterator[tuple[str, int, int]]:
        for m in _TOKEN_RE.finditer(value):
            if m.lastgroup == "word":
                yield m.group(), m.start(), m.end()
            elif indexing:
                for token, start, end in index_tokens(fold(m.group())):
                    yield token, m.start() + start, m.start() + end
            else:
                yield fold(m.group()), m.start(), m.end()
