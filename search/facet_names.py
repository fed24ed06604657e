"""Canonical facet values: any case, accents, an alias or a merged name -> the stored name.

One place for the rule, used by the form (so a URL with another spelling redirects to the
canonical URL) and by the query tree's `city:` / `org:` terms on every engine.
"""

from __future__ import annotations

from dataclasses import replace

from search.engines import analysis
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
    """The parsed query with `city:` / `org:` values replaced by canonical names, and each
    Chinese word that is a city's or organisation's name or alias also matching the articles
    tagged with it (深圳 finds English articles tagged Shenzhen). Such a match adds nothing
    to the score: articles holding the word rank above those only tagged with it."""
    found = {leaf.field for leaf in qt.leaves(parsed.tree) if isinstance(leaf, qt.FacetValue)}
    if any(_is_cjk_word(leaf) for leaf in qt.leaves(parsed.tree)):
        found |= set(qt.FACET_FIELDS)
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
        if _is_cjk_word(node):
            key = qt.fold(node.text)
            tagged = [qt.FacetValue(f, names[f][key]) for f in qt.FACET_FIELDS if key in names[f]]
            return qt.Or((node, *tagged)) if tagged else node
        return node

    return replace(parsed, tree=walk(parsed.tree))


def _is_cjk_word(node: qt.Node) -> bool:
    return isinstance(node, qt.Word) and node.field is None and analysis.has_cjk(node.text)
