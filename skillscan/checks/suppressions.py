"""SKS-META-001 unused-suppression: every inline directive is a candidate.

The check cannot know which directives end up used: that is decided after every other rule
ran, in the filter stage (`skillscan.suppress`), which keeps the candidates of honoured
directives that suppressed nothing and drops the rest. Findings are still built by build.py (D4).
"""

from __future__ import annotations

from collections.abc import Iterator

from skillscan.directives import directives
from skillscan.model import Match, Skill, Span
from skillscan.rules.schema import Rule


def inline_directives(rule: Rule, skill: Skill) -> Iterator[Match]:
    by_path = {a.path: a for a in skill.real_files}
    for directive in directives(skill):
        artifact = by_path[directive.path]
        for selector in directive.selectors:
            span = Span(directive.line, selector.column, directive.line, selector.column + len(selector.name))
            yield Match(rule.id, artifact, span, f"ignore[{selector.name}]", {"selector": selector.name})
