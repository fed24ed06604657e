"""Turn a raw page (plain-text dump or HTML) into the article a researcher reads.

Pure functions, no Django: deterministic and usable from the command line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

FORMATS = ("text", "html")


@dataclass(frozen=True)
class Cleaned:
    title: str
    paragraphs: tuple[str, ...]
    # Dateline, "Source:", "Published:", by-lines: taken out of the body, handed to extraction.
    meta_lines: tuple[str, ...] = ()
    # Machine-readable page metadata (e.g. "article:published_time", "og:site_name").
    meta: dict[str, str] = field(default_factory=dict)
    fmt: str = "text"

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def is_article(self) -> bool:
        return bool(self.paragraphs)


def decode(raw: str | bytes) -> str:
    """Bytes to text without ever raising: UTF-8 first, then detection."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        return str(best) if best is not None else raw.decode("utf-8", errors="replace")


def guess_format(text: str) -> str:
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(
        r"<(body|p|div|article)[\s>]", head
    ):
        return "html"
    return "text"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[ \t\u00a0]+", " ", text)


def split_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def clean(raw: str | bytes, fmt: str | None = None) -> Cleaned:
    text = decode(raw)
    fmt = fmt or guess_format(text)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "html":
        soup = BeautifulSoup(text, "lxml")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        for tag in soup(["script", "style", "nav", "header", "footer", "aside", "form"]):
            tag.decompose()
        text = soup.get_text("\n\n")
        paragraphs = split_paragraphs(normalise(text))
        return Cleaned(title=normalise(title).strip(), paragraphs=tuple(paragraphs), fmt=fmt)
    paragraphs = split_paragraphs(normalise(text))
    title = paragraphs[0] if paragraphs else ""
    return Cleaned(title=title, paragraphs=tuple(paragraphs[1:]), fmt=fmt)
