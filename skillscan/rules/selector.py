"""Select rules by ID, ID prefix (`SKS-EXF`), slug or category name, like ruff's selectors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from skillscan.errors import UsageError
from skillscan.rules.schema import Rule


def matches(rule: Rule, selector: str) -> bool:
    selector = selector.strip()
    return (
        rule.id == selector
        or rule.id.startswith(selector + "-")
        or rule.id.split("-")[0] == selector
        or rule.slug == selector
        or rule.category == selector
        or selector in rule.aliases
    )


def select(rules: Iterable[Rule], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[Rule]:
    rules = [r for r in rules if r.status != "removed"]
    for selector in (*include, *exclude):
        if not any(matches(r, selector) for r in rules):
            raise UsageError(f"selector {selector!r} matches no rule (use an id, id prefix, slug or category)")
    chosen = [r for r in rules if not include or any(matches(r, s) for s in include)]
    return [r for r in chosen if not any(matches(r, s) for s in exclude)]


def find(rules: Iterable[Rule], name: str) -> Rule | None:
    for rule in rules:
        if name in (rule.id, rule.slug, *rule.aliases):
            return rule
    return None
