"""The five seed articles (plain-text page dumps) against seeds/expected.json."""

import re
import unicodedata

import pytest

from search.pipeline.cleaning import clean
from tests.conftest import SEEDS

SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))


def comparable(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@pytest.fixture(scope="module")
def cleaned():
    return {name: clean((SEEDS / name).read_bytes(), "text") for name in SEED_NAMES}


def test_there_are_five_seeds(expected):
    assert sorted(expected) == SEED_NAMES
    assert len(SEED_NAMES) == 5


@pytest.mark.parametrize("name", SEED_NAMES)
def test_title(name, cleaned, expected):
    assert cleaned[name].title == expected[name]["title"]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_boilerplate_is_gone(name, cleaned, expected):
    body = comparable(cleaned[name].body)
    for junk in expected[name]["must_not_contain"]:
        assert comparable(junk) not in body


@pytest.mark.parametrize("name", SEED_NAMES)
def test_article_sentences_survive(name, cleaned, expected):
    body = comparable(cleaned[name].body)
    for sentence in expected[name]["must_contain"]:
        assert comparable(sentence) in body


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_paragraph_of_the_article_survives(name, cleaned):
    """Not just the sampled sentences: every long line of the dump that is article prose."""
    body = comparable(cleaned[name].body)
    raw = (SEEDS / name).read_text(encoding="utf-8")
    prose = [line for line in raw.splitlines() if len(line.split()) >= 25]
    assert prose
    for line in prose:
        # the PR Newswire dateline moves to meta_lines; the sentence after it stays
        sentence = comparable(line).split("/PRNewswire/ — ")[-1]
        assert sentence in body


def test_body_is_normalised(cleaned):
    for item in cleaned.values():
        assert "\u00a0" not in item.body
        assert "\n\n\n" not in item.body
        assert item.body == "\n\n".join(item.paragraphs)
        assert all(p == p.strip() and p for p in item.paragraphs)
        assert item.is_article


def test_metadata_lines_go_to_meta_lines(cleaned):
    assert cleaned["000_0acff4edae157fd1.txt"].meta_lines == ("July 19, 2021",)
    assert cleaned["001_02fea0758c87f18a.txt"].meta_lines == (
        "Source:Global Times Published: 2018/11/20 19:03:40",
    )
    assert cleaned["002_a7fd775cb03b3b55.txt"].meta_lines == (
        "Updated : 2017-03-03",
        "(chinadaily.com.cn)",
    )


def test_pr_newswire_dateline_moves_and_sentence_stays(cleaned):
    item = cleaned["003_10dfc9d0773799da.txt"]
    assert item.meta_lines == ("GUANGZHOU, China, Nov. 21, 2022 /PRNewswire/",)
    assert item.paragraphs[0].startswith("The Smart City Development Forum 2022, which was")


def test_photo_captions_keep_their_words_without_credits(cleaned):
    body = cleaned["002_a7fd775cb03b3b55.txt"].body
    assert "sign a cooperation agreement in Nanjing on Feb 28." in body
    assert "[Photo" not in body
    body = cleaned["001_02fea0758c87f18a.txt"].body
    assert "delivers remarks at the summit on November 14." in body
    assert "Courtesy of" not in body


def test_subheadings_inside_the_article_survive(cleaned):
    body = cleaned["003_10dfc9d0773799da.txt"].paragraphs
    assert "Digital and intelligent development leads to new progress and a great future" in body
