"""The chain engine: skill-level findings from facts other rules found (design rule 3).

    engine: chain
    match:
      requires:            # AND across groups, OR inside a group; ids of any rules,
        - [SKS-CRD-001, SKS-CRD-002]   #   usually `report: false` capability facts
        - [SKS-EXF-020]
      scope: file          # file: all groups in one real file (fences count as their Markdown
                           # file); skill: anywhere in the skill; cross-file: in at least two files
      anchor: last         # where the finding points: the first or last group's fact

A fact only counts when its own text is an instruction or code: a credential path named in a
warning and a webhook named in a deny-list do not make a chain. The chain finding itself is
never downgraded by context (critical chains are never dropped).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from skillscan import context as context_stage
from skillscan.engines import Availability
from skillscan.errors import RulePackError
from skillscan.model import Location, Match, Polarity, ScanError, Skill
from skillscan.rules.schema import Rule


@dataclass(frozen=True)
class _Chain:
    rule: Rule
    groups: tuple[frozenset[str], ...]
    scope: str
    anchor: str


def required_ids(rule: Rule) -> set[str]:
    return {rule_id for group in rule.match.get("requires", ()) for rule_id in group}


class ChainEngine:
    name: ClassVar[str] = "chain"
    needs_matches: ClassVar[bool] = True  # the pipeline runs it after every other engine

    def availability(self) -> Availability:
        return Availability(True, "builtin")

    def validate(self, rule: Rule) -> None:
        where = f"{rule.source}: field 'match'"
        groups = rule.match.get("requires")
        if not isinstance(groups, list) or len(groups) < 2:
            raise RulePackError(where + ".requires", "needs at least two groups of rule ids")
        for group in groups:
            if not isinstance(group, list) or not group or not all(isinstance(i, str) for i in group):
                raise RulePackError(where + ".requires", "each group is a non-empty list of rule ids")
        if rule.match.get("scope", "file") not in ("file", "skill", "cross-file"):
            raise RulePackError(where + ".scope", "must be 'file', 'skill' or 'cross-file'")
        if rule.match.get("anchor", "last") not in ("first", "last"):
            raise RulePackError(where + ".anchor", "must be 'first' or 'last'")

    def prepare(self, rules: Sequence[Rule]) -> list[_Chain]:
        return [
            _Chain(rule, tuple(frozenset(g) for g in rule.match["requires"]), rule.match.get("scope", "file"),
                   rule.match.get("anchor", "last"))
            for rule in rules
        ]

    def run_chains(
        self, prepared: list[_Chain], skill: Skill, facts: Sequence[Match], errors: list[ScanError]
    ) -> Iterator[Match]:
        live = [f for f in facts if _is_live(skill, f)]
        for chain in prepared:
            if chain.scope in ("skill", "cross-file"):
                yield from _chain_in(chain, live, cross_file=chain.scope == "cross-file")
            else:
                by_file: dict[str, list[Match]] = {}
                for fact in live:
                    by_file.setdefault(str(fact.artifact.display_path), []).append(fact)
                for file_facts in by_file.values():
                    yield from _chain_in(chain, file_facts)


def _chain_in(chain: _Chain, facts: Sequence[Match], cross_file: bool = False) -> Iterator[Match]:
    picked: list[Match] = []
    for group in chain.groups:
        candidates = sorted((f for f in facts if f.rule_id in group), key=_position)
        if not candidates:
            return
        if cross_file and picked:
            # Prefer a fact in another file than the first step: a same-file chain is the file rule's.
            elsewhere = [f for f in candidates if f.artifact.display_path != picked[0].artifact.display_path]
            candidates = elsewhere or candidates
        picked.append(candidates[0])
    if cross_file and len({f.artifact.display_path for f in picked}) < 2:
        return
    anchor = picked[-1] if chain.anchor == "last" else picked[0]
    related = tuple(_location(f) for f in picked if f is not anchor)
    steps = " → ".join(f"{f.rule_id} at {f.artifact.display_path}:{_position(f)[1]}" for f in picked)
    yield Match(chain.rule.id, anchor.artifact, anchor.span, anchor.matched_text, dict(anchor.captures),
                related=related, note=f"chain: {steps}")


def _is_live(skill: Skill, fact: Match) -> bool:
    """Only instructions and code make chains: not comments, human docs, warnings or samples."""
    return context_stage.classify(skill, fact.artifact, fact.span).polarity is Polarity.INSTRUCTION


def _position(fact: Match) -> tuple[str, int, int]:
    return (str(fact.artifact.display_path), fact.artifact.host_line(fact.span.start_line), fact.span.start_col)


def _location(fact: Match) -> Location:
    return Location(fact.artifact.display_path, _position(fact)[1], fact.span.start_col, fact.matched_text[:120])

