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
    # Every request with a facet filter asks (the form, and the page a facet click came
    # from): the folded table is read again only when the rows changed.
    names = _current_lookup(facet)
    return tuple(dict.fromkeys(names.get(qt.fold(" ".join(v.split())), v) for v in values))


def canonical_filters(filters: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {facet: canonical_values(facet, values) for facet, values in filters.items()}


def canonical_tree(parsed: qt.ParsedQuery) -> qt.ParsedQuery:
    """The parsed query with `city:` / `org:` values replaced by canonical names, and each
    word or quoted phrase that is a city's or organisation's name or alias (in any script)
    also matching the articles tagged with it: 深圳 finds English articles tagged Shenzhen,
    and Shenzhen finds Chinese ones. A tag adds nothing to the score, so articles holding
    the word rank above those only tagged with it."""
    leaves = qt.leaves(parsed.tree)
    found = {leaf.field for leaf in leaves if isinstance(leaf, qt.FacetValue)}
    if any(_name_of(leaf) for leaf in leaves):
        found |= set(qt.FACET_FIELDS)
    if not found:
        return parsed
    names = {facet: _current_lookup(facet) for facet in found}

    def tagged(node: qt.Node, key: str) -> qt.Node | None:
        values = [qt.FacetValue(f, names[f][key]) for f in qt.FACET_FIELDS if key in names[f]]
        return qt.Or((node, *values)) if values else None

    def walk(node):
        if isinstance(node, qt.And):
            found = _names_in(node.children, tagged)
            return qt.And(tuple(c if done else walk(c) for c, done in found))
        if isinstance(node, qt.Or):
            return qt.Or(tuple(walk(c) for c in node.children))
        if isinstance(node, qt.Not):
            return qt.Not(walk(node.child))
        if isinstance(node, qt.FacetValue):
            value = names[node.field].get(qt.fold(" ".join(node.value.split())), node.value)
            return qt.FacetValue(node.field, value)
        key = _name_of(node)
        return (tagged(node, key) if key else None) or node

    return replace(parsed, tree=walk(parsed.tree))


NAME_WORDS = 4  # the most words typed without quotes that are looked up as one name


def _names_in(children: tuple[qt.Node, ...], tagged) -> list[tuple[qt.Node, bool]]:
    """Words typed one after another that together name a facet value (Chunghwa Telecom,
    Hong Kong) as one group that also matches the tag (the longest name wins), and whether
    each node is such a group."""
    out: list[tuple[qt.Node, bool]] = []
    i = 0
    while i < len(children):
        for n in range(min(NAME_WORDS, len(children) - i), 1, -1):
            group = children[i : i + n]
            if all(isinstance(c, qt.Word) and c.field is None for c in group):
                found = tagged(qt.And(group), qt.fold(" ".join(c.text for c in group)))
                if found is not None:
                    out.append((found, True))
                    i += n
                    break
        else:
            out.append((children[i], False))
            i += 1
    return out


def _name_of(node: qt.Node) -> str:
    """The folded text of a word or phrase that may name a facet value ('' otherwise)."""
    if isinstance(node, qt.Word) and node.field is None:
        return qt.fold(node.text)
    if isinstance(node, qt.Phrase) and node.field is None:
        return qt.fold(" ".join(node.words))
    return ""


_lookups: dict[str, tuple[tuple, dict[str, str]]] = {}


def _current_lookup(facet: str) -> dict[str, str]:
    """lookup(facet), read again only when the rows changed (every search asks)."""
    from django.db.models import Count, Max

    model = _models()[facet]
    key = tuple(
        model.objects.aggregate(n=Count("id"), top=Max("id"), changed=Max("updated")).values()
    )
    cached = _lookups.get(facet)
    if cached is not None and cached[0] == key:
        return cached[1]
    names = lookup(facet)
    _lookups[facet] = (key, names)
    return names
