"""Templates are written indented for reading; the pages need not carry the indentation.

The project's own HTML templates are read with each line's leading spaces and tabs removed
(the line break stays, so words and inline elements keep the space between them). This is
done to the template source, never to what a template shows: article text, snippets and
values keep their whitespace. A tenth of a search page was indentation repeated per result,
per facet value and per year bar. No project template uses <pre> or <textarea>, whose
content would show the change (tests/web/test_page_weight.py checks that stays so); plain
text templates (mail bodies) are left as written.
"""

from __future__ import annotations

import re

from django.template.loaders.filesystem import Loader as FilesystemLoader

INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def dedent(source: str) -> str:
    return INDENT.sub("", source)


class Loader(FilesystemLoader):
    def get_contents(self, origin) -> str:
        source = super().get_contents(origin)
        return dedent(source) if origin.name.endswith(".html") else source
