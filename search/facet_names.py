"""Canonical facet values: any case, accents, an alias or a merged name -> the stored name.

One place for the rule, used by the form (so a URL with another spelling redirects to the
canonical URL) and by the query tree's `city:` / `org:` terms on every engine.
"""

from __future__ import annotations

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
    rows = list(model.objects.order_by("id").values_list("name", "aliases"))
    out: dict[str, str] = {}
    for name, _ in rows:
        out.setdefault(qt.fold(" ".join(name.split())), name)
    for name, aliases in rows:
        for alias in aliases.splitlines():
            if alias.strip():
                out.setdefault(qt.fold(" ".join(alias.split())), name)
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
