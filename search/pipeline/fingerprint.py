"""Fingerprints of article bodies for finding syndicated copies (pure: no Django).

A body becomes a set of shingles: runs of SHINGLE_WORDS words for alphabetic text and of
SHINGLE_CHARS characters for Chinese/Japanese/Korean text, where there are no spaces between
words. Shingles are hashed to 64-bit numbers (crc32 per token, combined in numpy: Python's
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

import re
import unicodedata
import zlib
from dataclasses import dataclass

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

_MASK32 = np.uint64(0xFFFFFFFF)
_rng = np.random.default_rng(20260412)  # fixed: stored band keys must stay comparable
_A = _rng.integers(1, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64)
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
    shingles: np.ndarray  # sorted unique uint64 shingle hashes
    signature: np.ndarray  # PERMUTATIONS uint32 minimum hashes (empty when too short)

    @property
    def size(self) -> int:
        return len(self.shingles)

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band (a bigint column can store it); [] when too short."""
        return band_keys(self.signature)


def tokens(text: str) -> list[str]:
    """Words (letters and digits, case and width folded) and single CJK characters."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


_S30, _S27, _S31, _S32 = (np.uint64(n) for n in (30, 27, 31, 32))
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word. (Array
    arithmetic on uint64 wraps silently, which is what hashing wants.)"""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def shingles(text: str) -> np.ndarray:
    """Sorted unique 64-bit hashes of the text's shingles."""
    words = tokens(text)
    if not words:
        return np.empty(0, np.uint64)
    cjk = sum(1 for w in words if len(w) == 1 and _IS_CJK.match(w))
    k = SHINGLE_CHARS if cjk * 2 > len(words) else SHINGLE_WORDS
    ids = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), np.uint64, len(words))
    if len(ids) < k:
        k = len(ids)
    n = len(ids) - k + 1
    # A different odd multiplier per position keeps "a b" and "b a" apart.
    acc = ids[:n] * _POSITION[0]
    for j in range(1, k):
        acc += ids[j : j + n] * _POSITION[j]
    return np.unique(_mix(acc))


def signature(hashes: np.ndarray) -> np.ndarray:
    """MinHash: for each of PERMUTATIONS hash functions (multiply-add on the folded 32-bit
    shingle hash, keeping the high bits), the smallest value over the shingles."""
    if len(hashes) < MIN_SHINGLES:
        return np.empty(0, np.uint32)
    folded = (hashes ^ (hashes >> _S32)) & _MASK32
    values = folded[None, :] * _A[:, None]
    values += _B[:, None]
    return (values.min(axis=1) >> _S32).astype(np.uint32)


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


class MemoryIndex:
    """An in-process LSH index (for rebuilds, tests and the benchmark): band key -> ids."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[int]] = {}
        self.prints: dict[int, Fingerprint] = {}

    def candidates(self, fp: Fingerprint) -> dict[int, int]:
        """Ids sharing a band with this fingerprint -> how many bands they share."""
        found: dict[int, int] = {}
        for key in fp.band_keys():
            for other in self.buckets.get(key, ()):
                found[other] = found.get(other, 0) + 1
        return found

    def add(self, article_id: int, fp: Fingerprint) -> None:
        self.prints[article_id] = fp
        for key in fp.band_keys():
            self.buckets.setdefault(key, []).append(article_id)

    def best_copy_of(
        self, fp: Fingerprint, threshold: float = CONTAINMENT, exclude=frozenset()
    ) -> int | None:
        """The indexed article this body is a copy of (highest containment), or None."""
        found = self.candidates(fp)
        shortlist = [i for i in shortlist_of(found) if i not in exclude]
        return best_match(fp, ((i, self.prints[i].shingles) for i in shortlist), threshold)


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
