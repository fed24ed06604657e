"""Fingerprints of article bodies for finding syndicated copies (pure: no Django).

A body becomes a set of shingles: runs of SHINGLE_WORDS words for alphabetic text and of
SHINGLE_CHARS characters for Chinese/Japanese/Korean text, where there are no spaces between
words. Shingles are hashed to 32-bit numbers (crc32 per token, combined in numpy: Python's
own hash() is salted per process and could not be stored).

Two bodies are copies when enough of the shorter one's shingles occur in the longer one
(containment): a copy with a paragraph cut, a note added or a few words edited keeps most of
its shingles, while another story about the same deal shares names but hardly any run of
five words. Comparing every pair is quadratic, so candidates come from MinHash signatures
cut into BANDS bands of ROWS values (locality-sensitive hashing); a candidate shares at least
MIN_SHARED_BANDS bands. With 64 bands of 2 that catches bodies of Jaccard similarity 0.3 with
probability 0.98 and 0.2 with 0.73 (a copy cut to a third of the original still has
containment 1 but Jaccard 0.33), and lets through about 1 % of pairs at 0.05.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

SHINGLE_WORDS = 4
SHINGLE_CHARS = 5
BANDS = 64
ROWS = 2
# A candidate shares at least this many bands: one shared band happens by chance to 15 % of
# bodies with Jaccard 0.05 (same-topic releases sharing stock phrases); two, to about 1 %.
MIN_SHARED_BANDS = 2
PERMUTATIONS = BANDS * ROWS
# Share of the shorter body's shingles that must occur in the longer one.
# On the labelled set, different stories reach 0.08 (shared furniture lines) and copies start
# at 0.6 (a short release with a note and edits); 0.4 leaves room on both sides.
CONTAINMENT = 0.4
# Bodies with fewer shingles (about as many words) are never grouped: two or three sentences
# cannot tell a copy from a templated notice that differs in a name and a date (the UI test
# corpus is such a template: 38 shingles, 70 % shared between different stories).
MIN_SHINGLES = 50

_rng = np.random.default_rng(20260412)  # fixed: stored band keys must stay comparable
_POSITION = _rng.integers(
    1, 2**63 - 1, size=max(SHINGLE_WORDS, SHINGLE_CHARS), dtype=np.uint64
) | np.uint64(1)
_BAND_SALT = _rng.integers(1, 2**63 - 1, size=BANDS, dtype=np.uint64)

# Han, kana, hangul and CJK punctuation-free ranges: one token per character.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002a6df"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


@dataclass(frozen=True)
class Fingerprint:
    shingles: np.ndarray  # sorted unique uint32 shingle hashes
    signature: np.ndarray  # PERMUTATIONS uint32 minimum hashes (empty when too short)

    @property
    def size(self) -> int:
        return len(self.shingles)

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band (a bigint column can store it); [] when too short."""
        return self._band_keys

    @cached_property
    def _band_keys(self) -> list[int]:  # asked for by the lookup and again by the insert
        return band_keys(self.signature)


def tokens(text: str) -> list[str]:
    """Words (letters and digits, case and width folded) and single CJK characters."""
    if text.isascii():  # NFKC and casefold change nothing else in ASCII; a third faster
        return _TOKEN.findall(text.lower())
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


_S30, _S27, _S31, _S32 = (np.uint64(n) for n in (30, 27, 31, 32))
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word. (Array
    arithmetic on uint64 wraps silently, which is what hashing wants.)"""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


# CRC-32 is affine over GF(2): crc(m) = crc(n zero bytes) XOR the contributions of m's bytes,
# each depending only on the byte and how many bytes follow it. With those in two tables, the
# crc32 of every word of a text comes out of a few array operations (the same numbers as
# zlib.crc32, so stored band keys stay valid) instead of a memoised lookup per word, which
# was half the time of a fingerprint. ASCII text (most English) is split into words by a
# byte table too; other text by the token pattern.
_CRC_SPAN = 48  # longer words (rare) go through zlib.crc32 one by one
_CRC_ZEROS = np.array([zlib.crc32(bytes(n)) for n in range(_CRC_SPAN + 1)], np.uint32)
_CRC_BYTE = np.array(
    [
        [zlib.crc32(bytes([b]) + bytes(after)) ^ int(_CRC_ZEROS[after + 1]) for b in range(256)]
        for after in range(_CRC_SPAN)
    ],
    np.uint32,
)
# ASCII byte -> itself lowered if a letter or digit, else 0 (a separator): the tokens of
# _TOKEN over text.lower() are the runs of non-zero bytes.
_ASCII_WORD = np.array(
    [(b | 0x20 if chr(b).isalpha() else b) if chr(b).isalnum() else 0 for b in range(128)]
    + [0] * 128,
    np.uint8,
)


def _crc_of_runs(data: np.ndarray) -> np.ndarray:
    """zlib.crc32 of each run of non-zero bytes (a word), as uint64, in order."""
    edges = np.diff((data != 0).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return np.empty(0, np.uint64)
    lengths = ends - starts
    chars = np.flatnonzero(data)
    after = np.repeat(ends - 1, lengths) - chars  # bytes after each one in its word
    np.minimum(after, _CRC_SPAN - 1, out=after)
    parts = _CRC_BYTE[after, data[chars]]
    crc = np.bitwise_xor.reduceat(parts, np.cumsum(lengths) - lengths)
    crc ^= _CRC_ZEROS[np.minimum(lengths, _CRC_SPAN)]
    for i in np.flatnonzero(lengths > _CRC_SPAN).tolist():
        crc[i] = zlib.crc32(data[starts[i] : ends[i]].tobytes())
    return crc.astype(np.uint64)


def _ascii_word_hashes(text: str) -> np.ndarray:
    """zlib.crc32 of each token of a text whose only words are ASCII, in order (the bytes of
    other characters, separators all, map to 0)."""
    return _crc_of_runs(_ASCII_WORD[np.frombuffer(text.encode("utf-8"), np.uint8)])


_SEPARATES: dict[str, bool] = {}


def _only_ascii_words(text: str) -> bool:
    """Whether every non-ASCII character of the text only separates words, as most in
    English news do (’ “ ” — … non-breaking spaces): then the ASCII word table tokenises it
    as the token pattern would after NFKC and casefolding. Not for combining marks, which
    NFKC may fuse with the letter before them."""
    for ch in set(text):
        if ch.isascii():
            continue
        separates = _SEPARATES.get(ch)
        if separates is None:
            folded = unicodedata.normalize("NFKC", ch).casefold()
            separates = not _TOKEN.search(folded) and not unicodedata.category(ch).startswith("M")
            _SEPARATES[ch] = separates
        if not separates:
            return False
    return True


def _word_hashes(words: list[str]) -> np.ndarray:
    """zlib.crc32 of each word's UTF-8 bytes, in order (words hold neither NUL nor space,
    and neither byte occurs inside another character's UTF-8)."""
    data = np.frombuffer(" ".join(words).encode("utf-8"), np.uint8).copy()
    data[data == 0x20] = 0
    return _crc_of_runs(data)


def shingles(text: str) -> np.ndarray:
    """Sorted unique 32-bit hashes of the text's shingles (32 bits: half the memory, and
    two different shingles of a 1,000-shingle pair collide with probability 2e-4)."""
    if text.isascii() or _only_ascii_words(text):
        ids, k = _ascii_word_hashes(text), SHINGLE_WORDS
    else:
        words = tokens(text)
        cjk = len(_IS_CJK.findall(text))
        k = SHINGLE_CHARS if cjk * 2 > len(words) else SHINGLE_WORDS
        ids = _word_hashes(words)
    if not len(ids):
        return np.empty(0, np.uint32)
    if len(ids) < k:
        k = len(ids)
    n = len(ids) - k + 1
    # A different odd multiplier per position keeps "a b" and "b a" apart.
    acc = ids[:n] * _POSITION[0]
    for j in range(1, k):
        acc += ids[j : j + n] * _POSITION[j]
    hashes = np.sort((_mix(acc) >> _S32).astype(np.uint32))
    # Unique by hand: np.unique hashes before sorting, several times slower at this size.
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


_BIN_SHIFT = 32 - (PERMUTATIONS.bit_length() - 1)  # top bits of a shingle hash pick its bin
_BIN_STARTS = np.arange(PERMUTATIONS, dtype=np.uint64) << np.uint64(_BIN_SHIFT)
_VALUE_MASK = np.uint32((1 << _BIN_SHIFT) - 1)


def signature(hashes: np.ndarray) -> np.ndarray:
    """One-permutation MinHash (Li, Owen & Zhang 2012) with rotation densification
    (Shrivastava & Li 2014): the shingle hashes are split by their top bits into
    PERMUTATIONS bins and each bin keeps its smallest value; an empty bin borrows the value
    of the next non-empty bin to its right, marked with the distance. Two bodies agree in a
    bin with probability close to their Jaccard similarity, as with PERMUTATIONS separate
    hash functions, for one pass over the sorted hashes instead of PERMUTATIONS passes (the
    128-function version was 40 % of the time of a fingerprint)."""
    if len(hashes) < MIN_SHINGLES:
        return np.empty(0, np.uint32)
    first = np.searchsorted(hashes, _BIN_STARTS)  # hashes are sorted: a bin's min is first
    at = np.minimum(first, len(hashes) - 1)
    filled = (first < len(hashes)) & ((hashes[at] >> _BIN_SHIFT) == np.arange(PERMUTATIONS))
    values = (hashes[at] & _VALUE_MASK).astype(np.uint64)
    full = np.flatnonzero(filled)
    nearest = full[np.searchsorted(full, np.arange(PERMUTATIONS)) % len(full)]
    distance = (nearest - np.arange(PERMUTATIONS)) % PERMUTATIONS
    sig = values[nearest] + (distance.astype(np.uint64) << np.uint64(_BIN_SHIFT))
    return sig.astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    if not len(sig):
        return []
    rows = sig.astype(np.uint64).reshape(BANDS, ROWS)
    acc = _BAND_SALT.copy()
    for j in range(ROWS):
        acc = _mix(acc ^ (rows[:, j] * _POSITION[j]))
    return acc.view(np.int64).tolist()


def fingerprint(body: str) -> Fingerprint:
    hashes = shingles(body)
    return Fingerprint(hashes, signature(hashes))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set found in the larger one (0 when either is too short)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < MIN_SHINGLES:
        return 0.0
    shared = np.intersect1d(small, large, assume_unique=True)
    return len(shared) / len(small)


def is_copy(a: np.ndarray, b: np.ndarray, threshold: float = CONTAINMENT) -> bool:
    return containment(a, b) >= threshold


# Share of shingles a sketch keeps: those whose low bits are zero (the signature's bins use
# the top bits, so the two do not interfere). 1 in 16: ~50 values for a 800-shingle body.
SKETCH_EVERY = 16
# A candidate is turned down on its sketch alone when the shared count falls this many
# standard deviations below what a copy at the threshold would share: at 4, about 3 copies in
# 100,000 sitting exactly at the threshold, and practically none above it.
SKETCH_Z = 4.0


def sketch(hashes: np.ndarray) -> np.ndarray:
    """A fixed sample of a sorted shingle set: every body keeps the same shingles, so two
    sketches sample the same part of what the bodies share."""
    return hashes[(hashes & np.uint32(SKETCH_EVERY - 1)) == 0]


def cannot_be_copy(
    hashes: np.ndarray, other_sketch: np.ndarray, other_size: int, threshold: float = CONTAINMENT
) -> bool:
    """True when the other body's sketch shows that it and this body (its full shingle set)
    are surely not copies, so that the exact test, which needs the other's full shingle set
    (a rebuild reads and shingles its body again), can be skipped. False when unsure."""
    smaller = min(len(hashes), other_size)
    if smaller < MIN_SHINGLES:
        return True  # containment() says 0 for these
    n = len(other_sketch)
    if not n or not len(hashes):
        return False
    # A copy at the threshold shares threshold * smaller shingles, a share p of the other's
    # set, so about n * p of its sketch values (a sample drawn without replacement).
    p = min(1.0, threshold * smaller / other_size)
    at = np.minimum(np.searchsorted(hashes, other_sketch), len(hashes) - 1)
    shared = int(np.count_nonzero(hashes[at] == other_sketch))
    return shared < n * p - SKETCH_Z * math.sqrt(n * p * (1 - p))


class MemoryIndex:
    """An in-process LSH index (for rebuilds, tests and the benchmark): band key -> ids.

    Keys live in sorted numpy arrays (12 bytes per band: 77 MB for 100,000 articles, where a
    dict of lists took several times that), with recent additions in a small dict merged in
    now and then. Shingle sets are kept only when no `shingles_of` callback is given; a
    rebuild reads candidates' bodies again instead (few articles are anyone's candidate),
    keeping only a sketch of each (~200 bytes) to turn most wrong candidates down first.
    """

    MERGE_EVERY = 4096

    def __init__(self, shingles_of: Callable[[int], np.ndarray] | None = None) -> None:
        self._keys = np.empty(0, np.int64)
        self._ids = np.empty(0, np.int64)
        self._recent: dict[int, list[int]] = {}
        self._recent_keys: list[list[int]] = []
        self._recent_ids: list[int] = []
        self._shingles: dict[int, np.ndarray] = {}
        self._sketches: dict[int, tuple[np.ndarray, int]] = {}
        self._shingles_of = shingles_of
        self.checked = 0  # exact containment tests run
        self.turned_down = 0  # candidates turned down on their sketch

    def candidates(self, fp: Fingerprint) -> dict[int, int]:
        """Ids sharing a band with this fingerprint -> how many bands they share."""
        keys = fp.band_keys()
        found: dict[int, int] = {}
        if not keys:
            return found
        wanted = np.asarray(keys, np.int64)
        lo = np.searchsorted(self._keys, wanted, "left")
        hi = np.searchsorted(self._keys, wanted, "right")
        hit = np.flatnonzero(hi > lo)  # most bands match nothing
        for a, b in zip(lo[hit].tolist(), hi[hit].tolist(), strict=True):
            for other in self._ids[a:b].tolist():
                found[other] = found.get(other, 0) + 1
        for key in keys:
            for other in self._recent.get(key, ()):
                found[other] = found.get(other, 0) + 1
        return found

    def add(self, article_id: int, fp: Fingerprint) -> None:
        if self._shingles_of is None:
            self._shingles[article_id] = fp.shingles
        elif len(fp.signature):  # too short to have bands: nobody's candidate
            self._sketches[article_id] = (sketch(fp.shingles), fp.size)
        keys = fp.band_keys()
        for key in keys:
            self._recent.setdefault(key, []).append(article_id)
        self._recent_keys.append(keys)
        self._recent_ids.append(article_id)
        if len(self._recent_ids) >= self.MERGE_EVERY:
            self._merge()

    def _merge(self) -> None:
        """Fold the recent additions into the sorted arrays: sort only the new keys and
        insert them in one pass (re-sorting everything cost a growing share at 100,000)."""
        counts = [len(k) for k in self._recent_keys]
        if sum(counts):
            keys = np.fromiter((k for ks in self._recent_keys for k in ks), np.int64, sum(counts))
            ids = np.repeat(np.asarray(self._recent_ids, np.int64), counts)
            order = np.argsort(keys, kind="stable")
            keys, ids = keys[order], ids[order]
            at = np.searchsorted(self._keys, keys, "right")
            self._keys = np.insert(self._keys, at, keys)
            self._ids = np.insert(self._ids, at, ids)
        self._recent, self._recent_keys, self._recent_ids = {}, [], []

    def shingles_of(self, article_id: int) -> np.ndarray:
        if self._shingles_of is not None:
            return self._shingles_of(article_id)
        return self._shingles[article_id]

    def best_copy_of(
        self, fp: Fingerprint, threshold: float = CONTAINMENT, exclude=frozenset()
    ) -> int | None:
        """The indexed article this body is a copy of (highest containment), or None."""
        shortlist = [i for i in shortlist_of(self.candidates(fp)) if i not in exclude]
        if self._sketches:
            kept = [
                i
                for i in shortlist
                if not cannot_be_copy(fp.shingles, *self._sketches[i], threshold)
            ]
            self.turned_down += len(shortlist) - len(kept)
            shortlist = kept
        self.checked += len(shortlist)
        return best_match(fp, ((i, self.shingles_of(i)) for i in shortlist), threshold)


# Candidates checked per article, the most bands shared first: a story republished 500 times
# needs only one of its copies to be found.
MAX_CANDIDATES = 50


def shortlist_of(shared_bands: dict[int, int]) -> list[int]:
    """Candidate ids worth a containment test: enough shared bands, the most first."""
    ids = [i for i, n in shared_bands.items() if n >= MIN_SHARED_BANDS]
    ids.sort(key=lambda i: (-shared_bands[i], i))
    return ids[:MAX_CANDIDATES]


def best_match(fp: Fingerprint, candidates, threshold: float = CONTAINMENT) -> int | None:
    """Of (id, shingles) candidates, the one this fingerprint's body is a copy of with the
    highest containment (the earliest id on a tie), or None."""
    best, best_score = None, 0.0
    for other, other_shingles in candidates:
        score = containment(fp.shingles, other_shingles)
        if score >= threshold and (score > best_score or (score == best_score and other < best)):
            best, best_score = other, score
    return best


@dataclass(frozen=True)
class Member:
    id: int
    date: object  # a datetime.date or None
    is_original_source: bool  # a wire service or the company itself


def representative(members: list[Member]) -> int:
    """The article shown for a story: the original source when one is known (a wire or the
    company), else the earliest publication (undated ones last), else the first added."""
    return min(
        members,
        key=lambda m: (not m.is_original_source, m.date is None, m.date or 0, m.id),
    ).id
