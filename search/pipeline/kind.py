"""Is a cleaned page an article at all? Listing and index pages are not.

A page of many short lines (headlines, link labels, teaser captions) and no paragraph of
prose is a list of other pages' headlines: importing it would put a page of navigation in
the archive. The reason is said in words, for the person importing it.
"""

from __future__ import annotations

from search.pipeline import text_rules
from search.pipeline.cleaning import Cleaned

# A listing shows at least this many lines...
MIN_LISTING_LINES = 15
# ...none of them as long as a paragraph of a story...
MAX_LISTING_LINE_WORDS = 20
# ...and little of its text reads as sentences.
MAX_LISTING_PROSE_SHARE = 0.3


def not_article_reason(cleaned: Cleaned) -> str:
    """Why the page is not an article, or "" when it is one."""
    paragraphs = cleaned.paragraphs
    if not paragraphs:
        return cleaned.note or "not an article: nothing but page furniture was found"
    counts = [text_rules.words(p) for p in paragraphs]
    total = sum(counts) or 1
    prose = sum(n for p, n in zip(paragraphs, counts, strict=True) if text_rules.is_prose(p))
    if (
        len(paragraphs) >= MIN_LISTING_LINES
        and max(counts) < MAX_LISTING_LINE_WORDS
        and prose / total < MAX_LISTING_PROSE_SHARE
    ):
        return (
            f"not an article: a listing or index page ({len(paragraphs)} short lines such as "
            f"headlines or links, no paragraph of prose)"
        )
    return ""
