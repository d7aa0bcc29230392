"""Inline suppression directives: `# skillscan: ignore[SKS-EXF-001] reason`.

Written in a comment (`#`, `//`, `--`, `;`, `/*`, `<!-- … -->`) on the finding's line or the
line before; a Markdown comment right above a code fence also covers the fence's first line.
Several rules may be named, comma-separated, by id, id prefix or slug. Only comment markers at
the start of a line or after whitespace count, so documentation that quotes the syntax in a
code span (`` `# skillscan: ignore[…]` ``) is not a directive.

Whether a directive is honoured is decided in `skillscan.suppress` (the trust rule, D7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from skillscan.model import ArtifactKind, Skill

_DIRECTIVE = re.compile(
    r"(?:^|(?<=\s))(?P<marker><!--|#|//|--|;|/\*)[ \t]*skillscan:[ \t]*ignore\[(?P<ids>[^\]\n]*)\](?P<reason>[^\n]*)"
)
_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_MARKER = "skillscan:"
MAX_DIRECTIVES = 2000  # per skill: a hostile file must not make the filter quadratic


@dataclass(frozen=True)
class Selector:
    name: str  # id, id prefix or slug as written
    column: int  # 1-based column of the name on its line


@dataclass(frozen=True)
class Directive:
    path: PurePosixPath  # the real file, relative to the skill root
    line: int
    selectors: tuple[Selector, ...]
    reason: str
    covers: frozenset[int]  # lines whose findings it suppresses

    def names(self, rule_id: str, slug: str) -> list[Selector]:
        """The selectors of this directive that name the given rule."""
        return [s for s in self.selectors if selects(s.name, rule_id, slug)]


def selects(name: str, rule_id: str, slug: str) -> bool:
    return name in (rule_id, slug) or rule_id.startswith(name + "-")


def has_directives(skill: Skill) -> bool:
    """Whether any file may hold a directive (a cheap test: the marker word appears)."""
    return any(_MARKER in a.text for a in skill.real_files if a.kind is not ArtifactKind.BINARY)


def directives(skill: Skill) -> list[Directive]:
    found: list[Directive] = []
    for artifact in skill.real_files:
        if artifact.kind is ArtifactKind.BINARY or _MARKER not in artifact.text:
            continue
        lines = artifact.text.split("\n")
        for index, text in enumerate(lines):
            if _MARKER not in text:
                continue
            for directive in _parse_line(text, index + 1, lines, artifact.path):
                found.append(directive)
                if len(found) >= MAX_DIRECTIVES:
                    return found
    return found


def _parse_line(text: str, number: int, lines: list[str], path: PurePosixPath) -> Iterator[Directive]:
    for match in _DIRECTIVE.finditer(text):
        selectors = []
        offset = match.start("ids")
        for part in match.group("ids").split(","):
            name = part.strip()
            if name:
                selectors.append(Selector(name, offset + part.index(name) + 1))
            offset += len(part) + 1
        reason = match.group("reason").strip()
        reason = reason.removesuffix("-->").removesuffix("*/").strip()
        covers = {number, number + 1}
        if match.group("marker") == "<!--" and number < len(lines) and _FENCE.match(lines[number]):
            covers.add(number + 2)
        if selectors:
            yield Directive(path, number, tuple(selectors), reason, frozenset(covers))
