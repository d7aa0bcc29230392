"""The check engine: rules whose logic is Python in `skillscan/checks/` (what YAML can't say).

The rule's YAML still holds all metadata; `match: {check: module.function, …options}` names the
function, which receives the rule (for its options) and a skill, and yields Matches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from skillscan.engines import Availability
from skillscan.errors import RulePackError
from skillscan.model import Match, ScanError, Skill
from skillscan.rules.schema import Rule


class CheckEngine:
    name: ClassVar[str] = "check"

    def availability(self) -> Availability:
        return Availability(True, "builtin")

    def validate(self, rule: Rule) -> None:
        from skillscan.checks import CHECKS

        name = rule.match.get("check")
        if name not in CHECKS:
            raise RulePackError(f"{rule.source}: field 'match.check'", f"unknown check {name!r}")

    def prepare(self, rules: Sequence[Rule]) -> list[tuple[Rule, Any]]:
        from skillscan.checks import check_function, fsfacts

        fsfacts.forget()  # a new scan: the disk may have changed since the last one
        return [(rule, check_function(rule.match["check"])) for rule in rules]

    def run(self, prepared: list[tuple[Rule, Any]], skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        for rule, function in prepared:
            try:
                yield from function(rule, skill)
            except Exception as error:  # a bug in one check must not end the scan
                errors.append(ScanError(rule.id, f"check failed on {skill.root}: {type(error).__name__}: {error}"))
