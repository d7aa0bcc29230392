"""Code rules. Each function takes (rule, skill) and yields Matches; the registry is explicit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from skillscan.checks import hidden_unicode, structure
from skillscan.model import Match, Skill
from skillscan.rules.schema import Rule

CheckFunction = Callable[[Rule, Skill], Iterator[Match]]

CHECKS: dict[str, CheckFunction] = {
    "hidden_unicode.tag_characters": hidden_unicode.tag_characters,
    "hidden_unicode.bidi_controls": hidden_unicode.bidi_controls,
    "hidden_unicode.invisible_characters": hidden_unicode.invisible_characters,
    "structure.parse_issues": structure.parse_issues,
    "structure.symlink_escape": structure.symlink_escape,
    "structure.binary_files": structure.binary_files,
}
