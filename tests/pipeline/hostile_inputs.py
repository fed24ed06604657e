"""Inputs that could make cleaning or extraction slow. The tests check what comes out of
them (bounded, noted, nothing raised); `python -m bench bad_input` times them, beside an
ordinary article in the same run (a time limit in a test fails on a loaded machine)."""

from __future__ import annotations

from search.pipeline.cleaning import Cleaned


def twenty_megabytes_of_text() -> bytes:
    paragraph = (
        "Hangzhou connected its traffic lights to a city brain that cut the average "
        "commute by nine minutes, the transport bureau said on Monday. "
    ) * 3
    return ("Huge page\n\n" + "\n\n".join([paragraph] * 60_000)).encode()


def twenty_megabytes_of_html() -> bytes:
    row = "<div><a href='/x'>Menu item</a><p>Short words here.</p></div>"
    return ("<html><body>" + row * (20_000_000 // len(row)) + "</body></html>").encode()


def half_a_million_lines() -> str:
    return "x\n" * 500_000


# Cleaned articles built to make extraction's pattern matching work hard: no date in them.
BAD_FOR_EXTRACTION = {
    "empty": Cleaned(title="", paragraphs=()),
    "one word": Cleaned(title="Word", paragraphs=("Word",)),
    "no date": Cleaned(title="No date here", paragraphs=("Nothing about any time at all.",) * 50),
    "10,000 capitals": Cleaned(title="Caps", paragraphs=(" ".join(["Capitalised"] * 10_000),)),
    "name-like runs": Cleaned(title="Caps", paragraphs=(" ".join(["Wuhan Group Of And"] * 2_500),)),
    "10,000 years": Cleaned(title="Digits", paragraphs=("2018 " * 10_000,)),
    "brackets": Cleaned(title="Brackets", paragraphs=("(ABC) " * 5_000 + "Co., Ltd. " * 2_000,)),
}
