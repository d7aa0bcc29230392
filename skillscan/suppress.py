"""Filter stage (D5): one function marks every suppression and keeps the suppressed findings.

Layers, in order: inline directives (only where trusted, D7), per-rule `ignore` paths from the
config, the baseline, then `min-severity` / `min-confidence`. A suppressed finding keeps its
reason in `suppressed_by` ("inline: …", "config: …", "baseline", "filtered: …"); reporters count
and show them, the exit code ignores them. Unused inline directives become SKS-META-001 findings:
the check engine proposed one candidate per directive; here the used ones are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath

from skillscan import baseline as baseline_mod
from skillscan.config import Config, settings_for
from skillscan.directives import Directive, directives, has_directives, selects
from skillscan.globs import matches_one
from skillscan.model import Finding, Skill
from skillscan.rules.schema import Rule

UNUSED_SUPPRESSION = "SKS-META-001"
_URL_HOST = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://([^/\s'\"<>?#\\]+)")
_Where = tuple[Path, PurePosixPath, int]


@dataclass(frozen=True)
class Policy:
    no_ignores: bool = False  # audit mode: no inline, config-path or baseline suppression at all
    honor_inline: bool = False  # trust inline directives in every skill, installed ones included
    project: Path = field(default_factory=Path.cwd)  # the repository being checked

    def trusts(self, skill: Skill) -> bool:
        """Inline directives count only in skills given as paths inside the project (D7)."""
        if self.honor_inline:
            return True
        return skill.trusted_suppressions and skill.root.resolve().is_relative_to(self._real_project)

    @cached_property
    def _real_project(self) -> Path:
        return self.project.resolve()


def apply(findings: Sequence[Finding], config: Config, baseline: baseline_mod.Baseline | None = None, *,
          policy: Policy | None = None, rules_ran: Sequence[Rule] = (), all_rules: Sequence[Rule] = ()) -> list[Finding]:
    policy = policy or Policy()  # built per call: its project is the cwd at scan time
    result = [f for f in findings if f.rule_id != UNUSED_SUPPRESSION]
    candidates = [f for f in findings if f.rule_id == UNUSED_SUPPRESSION]
    if policy.no_ignores:
        return _thresholds(result, config)
    skills = {f.skill.root: f.skill for f in findings}  # one trust decision per skill, not per finding
    trusted = _directives(skill for skill in skills.values() if has_directives(skill) and policy.trusts(skill))
    used = _apply_inline(result, trusted)
    result.extend(_unused(candidates, trusted, used, rules_ran, all_rules))
    for index, finding in enumerate(result):
        if finding.active and (reason := _config_ignore(finding, config)) is not None:
            result[index] = replace(finding, suppressed_by=f"config: {reason}")
    if baseline is not None:
        active = [i for i, f in enumerate(result) if f.active]
        for position, entry in baseline_mod.match([result[i] for i in active], baseline).items():
            index = active[position]
            result[index] = replace(result[index], suppressed_by="baseline" + (f": {entry.note}" if entry.note else ""))
    return _thresholds(result, config)


def _directives(skills: Iterable[Skill]) -> dict[_Where, list[Directive]]:
    """(skill root, file, covered line) → the directives covering it, for trusted skills."""
    index: dict[_Where, list[Directive]] = {}
    for skill in skills:
        for directive in directives(skill):
            for line in directive.covers:
                index.setdefault((skill.root, directive.path, line), []).append(directive)
    return index


def _apply_inline(result: list[Finding], trusted: dict[_Where, list[Directive]]) -> set[tuple[_Where, int]]:
    """Mark inline-suppressed findings; returns the (directive place, column) of used selectors."""
    used: set[tuple[_Where, int]] = set()
    for index, finding in enumerate(result):
        for directive in trusted.get((finding.skill.root, finding.location.path, finding.location.line), []):
            names = directive.names(finding.rule_id, finding.slug)
            if not names:
                continue
            if finding.active:
                reason = directive.reason or "no reason given"
                result[index] = replace(finding, suppressed_by=f"inline: {reason}")
            used.update(((finding.skill.root, directive.path, directive.line), s.column) for s in names)
    return used


def _unused(candidates: list[Finding], trusted: dict[_Where, list[Directive]], used: set[tuple[_Where, int]],
            rules_ran: Sequence[Rule], all_rules: Sequence[Rule]) -> list[Finding]:
    """The SKS-META-001 candidates of trusted directives that suppressed nothing and can be judged."""
    kept = []
    for candidate in candidates:
        place = (candidate.skill.root, candidate.location.path, candidate.location.line)
        directive = next((d for d in trusted.get(place, []) if d.line == place[2]), None)
        if directive is None or (place, candidate.location.column) in used:
            continue
        name = next((s.name for s in directive.selectors if s.column == candidate.location.column), None)
        if name is not None and _judged(name, rules_ran, all_rules):
            kept.append(candidate)
    return kept


def _judged(name: str, rules_ran: Sequence[Rule], all_rules: Sequence[Rule]) -> bool:
    """A selector can be called unused when a rule it names ran, or when it names no rule at all."""
    if any(selects(name, r.id, r.slug) for r in rules_ran if r.report):
        return True
    return not any(selects(name, r.id, r.slug) or name in r.aliases for r in all_rules)


def _config_ignore(finding: Finding, config: Config) -> str | None:
    """Why the config's per-rule tables suppress this finding (an ignore path, allowed domains), or None."""
    paths: set[str] = set()
    for name, settings in settings_for(config, finding.rule_id, finding.slug, finding.category):
        if settings.ignore and not paths:
            paths = {config.relative(finding.absolute_path), str(finding.location.path)}
        for entry in settings.ignore:
            if entry.line is not None and entry.line != finding.location.line:
                continue
            if entry.column is not None and entry.column != finding.location.column:
                continue
            if any(matches_one(entry.path, p) for p in paths):
                return f"rules.{name}.ignore {entry.text!r}"
        if settings.allow_domains and _only_allowed_hosts(finding, settings.allow_domains):
            return f"rules.{name}.options.allow-domains"
    return None


def _only_allowed_hosts(finding: Finding, allowed: tuple[str, ...]) -> bool:
    """True when the finding's line and message name URL hosts, and every one is allowed."""
    hosts = {h.rsplit("@", 1)[-1].split(":")[0].lower().rstrip(".")
             for h in _URL_HOST.findall(f"{finding.location.snippet}\n{finding.message}")}
    return bool(hosts) and all(any(h == d or h.endswith("." + d) for d in allowed) for h in hosts)


def _thresholds(result: list[Finding], config: Config) -> list[Finding]:
    """min-severity / min-confidence: kept as suppressed ("filtered"), so counts stay honest."""
    out = []
    for finding in result:
        if finding.active and config.min_severity is not None and finding.severity < config.min_severity:
            finding = replace(finding, suppressed_by=f"filtered: below min-severity {config.min_severity.label}")
        elif finding.active and config.min_confidence is not None and finding.confidence < config.min_confidence:
            finding = replace(finding, suppressed_by=f"filtered: below min-confidence {config.min_confidence.label}")
        out.append(finding)
    return out
