"""Templates of this project raise on an unknown variable while the tests run.

Django prints an unknown `{{ name }}` as TEMPLATE string_if_invalid, normally "", so a typo in
a template renders silently. In the tests that string is an instance of the class below:
Django formats it with the variable's name (``string_if_invalid % name``), and the formatting
raises for templates of this project. Django's own admin templates rely on unknown variables
being empty, so theirs are left alone.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from django.template import TemplateSyntaxError

ROOT = Path(__file__).resolve().parent.parent
OURS = (ROOT / "templates", ROOT / "search" / "templates")


def _template_of_caller() -> str | None:
    frame = inspect.currentframe()
    while frame is not None:
        context = frame.f_locals.get("context")
        template = getattr(context, "template", None)
        origin = getattr(template, "origin", None)
        # The innermost template being rendered (an {% include %} renders with its own).
        name = getattr(getattr(context, "render_context", None), "template", None)
        origin = getattr(name, "origin", None) or origin
        if origin is not None and origin.name:
            return str(origin.name)
        frame = frame.f_back
    return None


class RaiseOnUnknownVariable(str):
    def __contains__(self, item: object) -> bool:
        return item == "%s"

    def __mod__(self, name: object) -> str:
        path = _template_of_caller()
        if path and any(path.startswith(str(d)) for d in OURS):
            raise TemplateSyntaxError(f"unknown template variable {name!r} in {path}")
        return ""  # Django's admin templates: unknown means empty, as without the tests


# Truthy and holding "%s", so Django formats it with the name (an empty string is skipped).
STRING_IF_INVALID = RaiseOnUnknownVariable("%s")
