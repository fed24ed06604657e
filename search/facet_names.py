"""Canonical facet values: any case, accents, an alias or a merged name -> the stored name.

One place for the rule, used by the form (so a URL with another spelling redirects to the
canonical URL) and by the query tree's `city:` / `org:` terms on every engine.
"""

from __future__ import annotations

import time
from dataclasses import replace

from search.engines import query as qt


def _models():
    from search.models import City, Organisation

    return {"city": City, "organisation": Organisation}


def lookup(facet: str) -> dict[str, str]:
    """Folded name or alias -> canonical name; names win over aliases, first alias wins."""
    model = _models().get(facet)
    if model is None:
        return {}
    rows = list(model.objects.order_by("id").values_list("name", "aliases", "name_zh"))
    out: dict[str, str] = {}
    for name, _, _ in rows:
        out.setdefault(qt.fold(" ".join(name.split())), name)
    for name, aliases, name_zh in rows:
        for alias in [name_zh, *aliases.splitlines()]:
            if alias.strip():
                out.setdefault(qt.fold(" ".join(alias.split())), name)
    return out


# Labels are read for every facet value a page shows: kept per process, dropped when a row
# of this process changes and after a few seconds (another process's change).
LABELS_SECONDS = 5.0
_labels: dict[str, tuple[float, dict[str, tuple[str, str]]]] = {}


def _forget_labels(**kwargs) -> None:
    _labels.clear()


def labels(facet: str) -> dict[str, tuple[str, str]]:
    """Name -> (what the reader sees, what the find box searches) for values that have a
    Chinese name or aliases: ("Shenzhen 深圳", "Shenzhen 深圳 深圳市 ...")."""
    model = _models().get(facet)
    if model is None:
        return {}
    cached = _labels.get(facet)
    if cached is not None and time.monotonic() - cached[0] < LABELS_SECONDS:
        return cached[1]
    from django.db.models import Q
    from django.db.models.signals import post_delete, post_save

    from search.models import display_name

    for signal in (post_save, post_delete):
        signal.connect(_forget_labels, sender=model, dispatch_uid=f"facet-labels-{facet}")
    rows = model.objects.filter(~Q(name_zh="") | ~Q(aliases="")).values_list(
        "name", "name_zh", "aliases"
    )
    out = {
        name: (display_name(name, name_zh), " ".join([name, name_zh, *aliases.split()]))
        for name, name_zh, aliases in rows
    }
    _labels[facet] = (time.monotonic(), out)
    return out


def canonical_values(facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value as its canonical name (unknown values stay as given), duplicates dropped."""
    if not values or facet not in _models():
        return values
    names = lookup(facet)
    return tuple(dict.fromkeys(names.get(qt.fold(" ".join(v.split())), v) for v in values))


def canonical_filters(filters: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {facet: canonical_values(facet, values) for facet, values in filters.items()}


def canonical_tree(parsed: qt.ParsedQuery) -> qt.ParsedQuery:
    """The parsed query with `city:` / `org:` values replaced by canonical names."""
    found = {leaf.field for leaf in qt.leaves(parsed.tree) if isinstance(leaf, qt.FacetValue)}
    if not found:
        return parsed
    names = {facet: lookup(facet) for facet in found}

    def walk(node):
        if isinstance(node, (qt.And, qt.Or)):
            return type(node)(tuple(walk(c) for c in node.children))
        if isinstance(node, qt.Not):
            return qt.Not(walk(node.child))
        if isinstance(node, qt.FacetValue):
            value = names[node.field].get(qt.fold(" ".join(node.value.split())), node.value)
            return qt.FacetValue(node.field, value)
        return node

    return replace(parsed, tree=walk(parsed.tree))
