"""Copy detection on the labelled set (tests/fixtures/copies) and the fingerprint's parts."""

from __future__ import annotations

import numpy as np
import pytest

from search.pipeline import fingerprint as fpr
from tests.copies_labelled import group, load_items, score

PRECISION, RECALL = 0.95, 0.90


@pytest.fixture(scope="module")
def items():
    return load_items()


@pytest.fixture(scope="module")
def groups(items):
    return group(items)


def test_the_set_is_big_enough_and_has_every_kind(items):
    assert len(items) >= 150
    kinds = {it.kind for it in items}
    assert {"original", "copy", "summary", "translation"} <= kinds
    assert any(it.story.endswith("-b") for it in items)  # other reports of the same deal
    assert sum(1 for it in items if it.split == "holdout") >= 30


@pytest.mark.parametrize("split", ["tune", "holdout"])
def test_pairwise_precision_and_recall(items, groups, split, capsys):
    s = score(items, groups, split)
    with capsys.disabled():
        print(f"\ncopies {s.line()}")
    assert s.true_pairs > 20
    assert s.precision >= PRECISION, s.false_pairs[:10]
    assert s.recall >= RECALL, s.missed_pairs[:10]


def test_negatives_are_never_grouped_with_their_story(items, groups):
    by_file = {it.file: it for it in items}
    for it in items:
        if it.kind in ("summary", "translation"):
            base = it.story.rsplit("-", 1)[0] + "-a"
            others = [o for o in items if o.story == base]
            assert all(groups[o.file] != groups[it.file] for o in others), it.file
        if it.story.endswith("-b"):  # another report of the same partnership
            twin = it.story[:-2] + "-a"
            assert all(groups[o.file] != groups[it.file] for o in items if o.story == twin)
    assert by_file  # the set was read


def test_chinese_copies_are_found_by_character_shingles(items, groups):
    zh = [it for it in items if it.story.startswith(("suzhou", "wuhan", "hangzhou-alibaba-zh"))]
    assert len(zh) >= 6
    s = score(zh, groups, "all")
    assert s.true_pairs and s.recall >= RECALL and s.precision >= PRECISION


PARAGRAPHS = [
    "The city council approved a plan to install ten thousand sensors on street lamps, "
    "measuring air quality, noise and traffic on every main road of the old town.",
    "Engineers from the supplier will work with the municipal transport office over three "
    "years, and the data will be published on the open data portal within minutes.",
    "Residents asked how long the readings will be kept; officials promised written rules "
    "before the first sensors go live, and a public meeting in each district next spring.",
    "The budget of the first phase is 40 million yuan, paid from the city's digital fund, "
    "with a second phase to follow if the pilot corridors show shorter journeys.",
]


def test_a_copy_survives_a_cut_a_note_and_a_new_order():
    original = "\n\n".join(PARAGRAPHS)
    copy = "\n\n".join(
        ["Editor's note: republished with permission.", PARAGRAPHS[2], PARAGRAPHS[0]]
        + [PARAGRAPHS[1].replace("three", "four")]
    )
    a, b = fpr.fingerprint(original), fpr.fingerprint(copy)
    assert fpr.is_copy(a.shingles, b.shingles)
    index = fpr.MemoryIndex()
    index.add(1, a)
    assert index.best_copy_of(b) == 1


def test_same_names_other_words_is_not_a_copy():
    other = (
        "Street lamps in the old town will carry sensors for air quality, noise and traffic, "
        "the city council decided. The municipal transport office chose a supplier that "
        "will spend three years on the work. Critics want rules on how long data is kept. "
        "The digital fund pays 40 million yuan for a first phase; a second phase may follow "
        "if journeys on the pilot corridors get shorter, and districts get public meetings."
    )
    a, b = fpr.fingerprint("\n\n".join(PARAGRAPHS)), fpr.fingerprint(other)
    assert fpr.containment(a.shingles, b.shingles) < 0.1


def test_short_bodies_are_never_grouped():
    short = "The council met on Tuesday and approved the sensor plan for the old town."
    fp = fpr.fingerprint(short)
    assert fp.size < fpr.MIN_SHINGLES and fp.band_keys() == []
    assert not fpr.is_copy(fp.shingles, fp.shingles)


def test_fingerprints_are_stable_numbers():
    """Band keys are stored in the database: the same body gives the same keys in any
    process (no salted hash()), and they fit a signed 64-bit column."""
    keys = fpr.fingerprint("\n\n".join(PARAGRAPHS)).band_keys()
    assert len(keys) == fpr.BANDS
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert keys == fpr.fingerprint("\n\n".join(PARAGRAPHS)).band_keys()
    # Pinned: a change here orphans every stored band (run rebuild_duplicates after it).
    assert fpr.shingles("Smart city sensors on lamps tonight").tolist() == [
        59551350,
        2225099023,
        3278045751,
    ]


def test_chinese_text_uses_character_shingles():
    text = "华为技术有限公司与苏州工业园区管委会日前签署战略合作协议，双方将在数字政府领域合作。"
    words = fpr.tokens(text)
    assert "华" in words and all(len(w) == 1 for w in words if "\u4e00" <= w <= "\u9fff")
    assert len(fpr.shingles(text)) == len(set(zip(*(words[i:] for i in range(5)), strict=False)))


def test_representative_prefers_the_wire_then_the_earliest():
    import datetime as dt

    members = [
        fpr.Member(3, dt.date(2020, 1, 2), False),
        fpr.Member(4, None, False),
        fpr.Member(5, dt.date(2020, 1, 1), False),
    ]
    assert fpr.representative(members) == 5
    assert fpr.representative([*members, fpr.Member(9, dt.date(2020, 1, 3), True)]) == 9
    assert fpr.representative([fpr.Member(7, None, False), fpr.Member(6, None, False)]) == 6


def test_containment_is_of_the_shorter_body():
    a = np.arange(100, dtype=np.uint32)
    b = np.arange(60, 400, dtype=np.uint32)
    assert fpr.containment(a, b) == pytest.approx(0.4)
    assert fpr.containment(b, a) == pytest.approx(0.4)


@pytest.mark.parametrize(
    "text",
    [
        "Smart city sensors on lamps tonight",
        "The__quick brown\tfox\n\njumps 1,000 times; e.g. U.S.A. co-op NYC's 5G-ready",
        "A " + "x" * 200 + " word after a very long one, and MiXeD CaSe",
        "",
        " ,.; ",
        "The city’s “smart” lamps — 40\u00a0km of them… cost €2m",
        "Cafe\u0301 owners and 华为 in Suzhou; ｆｕｌｌ width ① ½",
    ],
)
def test_word_hashes_are_the_crc32_of_each_token(text):
    """Computed in arrays, the hashes are exactly zlib.crc32 of the tokens, on the ASCII
    path and the other: stored band keys of articles fingerprinted before stay comparable."""
    import zlib

    expected = [zlib.crc32(w.encode()) for w in fpr.tokens(text)]
    assert fpr._word_hashes(fpr.tokens(text)).tolist() == expected
    if fpr._only_ascii_words(text):
        assert fpr._ascii_word_hashes(text).tolist() == expected


def test_a_sketch_turns_down_a_body_that_shares_only_boilerplate():
    rng = np.random.default_rng(1)
    furniture = rng.integers(0, 2**32, 80, dtype=np.uint32)
    story = np.unique(np.concatenate([rng.integers(0, 2**32, 900, dtype=np.uint32), furniture]))
    other = np.unique(np.concatenate([rng.integers(0, 2**32, 700, dtype=np.uint32), furniture]))
    assert fpr.containment(story, other) < 0.15
    assert fpr.cannot_be_copy(story, fpr.sketch(other), len(other))
    # A copy just over the threshold (45 % of the shorter body) is never turned down.
    copy = np.unique(np.concatenate([story[: int(len(story) * 0.45)], other[:600]]))
    assert fpr.containment(story, copy) >= fpr.CONTAINMENT
    assert not fpr.cannot_be_copy(story, fpr.sketch(copy), len(copy))
    assert not fpr.cannot_be_copy(copy, fpr.sketch(story), len(story))


def test_an_index_that_reads_bodies_again_groups_the_labelled_set_the_same(items, groups):
    """What a rebuild does (candidates' shingles read again, sketches first) gives the same
    groups as keeping every shingle set."""
    index = fpr.MemoryIndex(shingles_of=lambda i: fpr.shingles(items[i].body))
    again: dict[str, int] = {}
    for i in sorted(range(len(items)), key=lambda i: (items[i].published, i)):
        fp = fpr.fingerprint(items[i].body)
        best = index.best_copy_of(fp)
        again[items[i].file] = again[items[best].file] if best is not None else i
        index.add(i, fp)
    same = {(a, b) for a in groups for b in groups if groups[a] == groups[b]}
    assert same == {(a, b) for a in again for b in again if again[a] == again[b]}
    assert index.checked > 0


def test_english_with_typographic_punctuation_takes_the_ascii_path():
    assert fpr._only_ascii_words("The city’s “smart” lamps — 40\u00a0km of them… cost €2m")
    for text in ("Cafe\u0301 owners", "华为 in Suzhou", "ｆｕｌｌ width", "step ① of 3", "½ of it"):
        assert not fpr._only_ascii_words(text), text
