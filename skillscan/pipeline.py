"""scan(): discover → load → parse → match → build → filter. Reads as the list it implements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skillscan.build import build_findings
from skillscan.discovery import SkillRoot, discover_installed, discover_paths
from skillscan.engines import engines
from skillscan.load import load_skill
from skillscan.model import Finding, Match, RulePackInfo, ScanError, ScanResult, Skill
from skillscan.parse import parse_skill
from skillscan.rules import loader, selector
from skillscan.rules.schema import Rule


@dataclass(frozen=True)
class ScanOptions:
    paths: Sequence[Path] = ()  # empty: the skills installed on this machine
    home: Path = field(default_factory=Path.home)
    project: Path = field(default_factory=Path.cwd)
    rule_dirs: Sequence[Path] = ()
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    max_file_bytes: int = 2 * 1024 * 1024


def discover(options: ScanOptions) -> list[SkillRoot]:
    if options.paths:
        return discover_paths(options.paths)
    return discover_installed(options.home, options.project)


def load_rules(options: ScanOptions) -> tuple[tuple[RulePackInfo, ...], list[Rule]]:
    """Pack infos, and the rules to run: the selected ones plus what their chains need."""
    packs = loader.load_packs(options.rule_dirs)
    infos = tuple(RulePackInfo(p.name, p.version, p.digest, len(p.rules)) for p in packs)
    everything = [r for p in packs for r in p.rules]
    return infos, with_dependencies(selector.select(everything, options.select, options.ignore), everything)


def with_dependencies(selected: Sequence[Rule], everything: Sequence[Rule]) -> list[Rule]:
    """Selected rules plus the fact rules their chains need, the latter marked not-reported."""
    from dataclasses import replace

    from skillscan.engines.chain import required_ids

    chosen = {r.id for r in selected}
    needed = set().union(*(required_ids(r) for r in selected if r.engine == "chain"))
    extra = [replace(r, report=False) for r in everything if r.id in needed - chosen]
    return [*selected, *extra]


def scan(options: ScanOptions, on_skill: Callable[[Path], None] | None = None) -> ScanResult:
    packs, rules = load_rules(options)
    roots = discover(options)
    skills = []
    for root in roots:
        skills.append(parse_skill(load_skill(root.path, options.max_file_bytes), root.client, root.scope))
        if on_skill is not None:
            on_skill(root.path)
    errors: list[ScanError] = []
    findings, skipped_rules = match_and_build(rules, skills, errors)
    return ScanResult(tuple(skills), tuple(findings), tuple(errors), packs, tuple(skipped_rules))


def match_and_build(
    rules: Sequence[Rule], skills: Sequence[Skill], errors: list[ScanError]
) -> tuple[list[Finding], list[tuple[str, str]]]:
    by_id = {rule.id: rule for rule in rules}
    by_engine: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_engine[rule.engine].append(rule)
    matches: dict[Path, list[Match]] = defaultdict(list)
    skipped: list[tuple[str, str]] = []
    # Fact-finding engines first, then the engines that combine their matches (chains).
    order = sorted(by_engine, key=lambda name: (getattr(engines()[name], "needs_matches", False), name))
    for name in order:
        engine, engine_rules = engines()[name], by_engine[name]
        availability = engine.availability()
        if not availability.available:
            skipped.extend((rule.id, f"engine {name!r} unavailable: {availability.reason}") for rule in engine_rules)
            continue
        prepared = engine.prepare(engine_rules)
        if getattr(engine, "needs_matches", False):
            for skill in skills:
                matches[skill.root].extend(engine.run_chains(prepared, skill, list(matches[skill.root]), errors))
        elif (run_batch := getattr(engine, "run_batch", None)) is not None:
            for skill, found in run_batch(prepared, skills, errors):
                matches[skill.root].append(found)
        else:
            for skill in skills:
                matches[skill.root].extend(engine.run(prepared, skill, errors))
    findings: list[Finding] = []
    for skill in skills:
        findings.extend(build_findings(matches.get(skill.root, []), by_id, skill))
    return findings, skipped
