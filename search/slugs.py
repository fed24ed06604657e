"""Slugs of cities and organisations: readable, unique, and never reused for another.

Pure functions; the models and the migration that filled the first slugs both use them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.text import slugify

SLUG_MAX = 120


def base_slug(name: str, fallback: str) -> str:
    """The name as a URL segment (Chinese names keep their characters)."""
    return slugify(name, allow_unicode=True)[:SLUG_MAX].strip("-") or fallback


def unique_slug(name: str, fallback: str, taken: Callable[[str], bool]) -> str:
    """base_slug, with -2, -3 ... appended while `taken` says another entity holds it
    (so Taizhou the Jiangsu city and Taizhou the Zhejiang one stay apart)."""
    slug = base = base_slug(name, fallback)
    n = 1
    while taken(slug):
        n += 1
        slug = f"{base[: SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug
