"""scan(): discover → load → parse → match → build → filter. Reads as the list it implements."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from skillscan import suppress
from skillscan.agentconfig import config_rules, config_skills
from skillscan.baseline import Baseline
from skillscan.allowhosts import all_urls_allowed
from skillscan.build import build_findings
from skillscan.config import Config, check_against, with_rule_settings
from skillscan.discovery import SkillRoot, discover_installed, discover_paths, skill_md
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
    config: Config = field(default_factory=Config)  # the defaults: nothing configured
    baseline: Baseline | None = None
    no_ignores: bool = False  # disable every suppression layer (audits)
    honor_inline_ignores: bool = False  # trust inline directives in installed / third-party skills too


def discover(options: ScanOptions) -> list[SkillRoot]:
    return partition(options)[0]


def partition(options: ScanOptions) -> tuple[list[SkillRoot], list[SkillRoot]]:
    """(skill roots to scan, roots left out by the config's `exclude`). A skill folder named on
    the command line is always scanned; skills found by walking, or mapped from files (as
    pre-commit passes them), obey `exclude`."""
    roots = discover_paths(options.paths) if options.paths else discover_installed(options.home, options.project)
    named = _named_roots(options)
    kept = [r for r in roots if r.path in named or not options.config.excludes(r.path)]
    return kept, [r for r in roots if r not in kept]


def _named_roots(options: ScanOptions) -> set[Path]:
    return {p.absolute() for p in options.paths if p.is_dir() and skill_md(p) is not None}


def load_rules(options: ScanOptions) -> tuple[tuple[RulePackInfo, ...], list[Rule]]:
    """Pack infos, and the rules to run: the selected ones plus what their chains need."""
    infos, _, rules = _load_rules(options)
    return infos, rules


def _load_rules(options: ScanOptions) -> tuple[tuple[RulePackInfo, ...], list[Rule], list[Rule]]:
    """(pack infos, every loaded rule, the rules to run) with the config's selection and settings."""
    config = options.config
    packs = loader.load_packs((*options.rule_dirs, *config.rule_paths))
    infos = tuple(RulePackInfo(p.name, p.version, p.digest, len(p.rules)) for p in packs)
    everything = [r for p in packs for r in p.rules]
    check_against(config, everything)
    chosen = selector.select(everything, options.select or config.select, (*config.ignore, *options.ignore))
    return infos, everything, with_dependencies(with_rule_settings(chosen, config), everything)


def with_dependencies(selected: Sequence[Rule], everything: Sequence[Rule]) -> list[Rule]:
    """Selected rules plus the fact rules their chains need, the latter marked not-reported."""
    from dataclasses import replace

    from skillscan.engines.chain import required_ids

    chosen = {r.id for r in selected}
    needed = set().union(*(required_ids(r) for r in selected if r.engine == "chain"))
    extra = [replace(r, report=False) for r in everything if r.id in needed - chosen]
    return [*selected, *extra]


def scan(
    options: ScanOptions, on_skill: Callable[[Path], None] | None = None, timings: dict[str, float] | None = None
) -> ScanResult:
    packs, everything, rules = _load_rules(options)
    roots, excluded = partition(options)
    named = _named_roots(options)
    skills = []
    for root in roots:
        skill = parse_skill(load_skill(root.path, options.max_file_bytes), root.client, root.scope)
        skills.append(skill if root.path in named else options.config.prune(skill))
        if on_skill is not None:
            on_skill(root.path)
    errors: list[ScanError] = []
    findings, skipped_rules = match_and_build(rules, skills, errors, timings)
    if not options.paths:  # the machine's own agent configs too, as pseudo-skills (see skillscan/agentconfig.py)
        configs = [options.config.prune(c) for c in config_skills(
            options.home, options.project, [r.path for r in (*roots, *excluded)], options.max_file_bytes)]
        findings += match_and_build(config_rules(rules), configs, errors, timings)[0]
        skills += configs
    policy = suppress.Policy(options.no_ignores, options.honor_inline_ignores, options.project)
    findings = suppress.apply(findings, options.config, options.baseline, policy=policy,
                              rules_ran=rules, all_rules=everything)
    return ScanResult(tuple(skills), tuple(findings), tuple(errors), packs, tuple(skipped_rules),
                      tuple(r for r in rules if r.report), tuple(r.path for r in excluded))


def match_and_build(
    rules: Sequence[Rule], skills: Sequence[Skill], errors: list[ScanError], timings: dict[str, float] | None = None
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings and skipped rules; `timings`, when given, receives seconds spent per engine."""
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
        started = time.perf_counter()
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
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        for skill in skills:
            matches[skill.root] = [m for m in matches[skill.root] if not _allowed_destination(m, by_id)]
    findings: list[Finding] = []
    for skill in skills:
        findings.extend(merge_duplicates(build_findings(matches.get(skill.root, []), by_id, skill)))
    return findings, skipped


def _allowed_destination(match: Match, rules: dict[str, Rule]) -> bool:
    """A match of a rule with `allow_hosts` whose every URL goes to an allowed host."""
    allowed = rules[match.rule_id].match.get("allow_hosts") if match.rule_id in rules else None
    if not allowed:
        return False
    evidence = " ".join([match.matched_text, match.note, *(r.snippet for r in match.related)])
    return all_urls_allowed(evidence, allowed)


def merge_duplicates(findings: list[Finding]) -> list[Finding]:
    """One problem at one place seen by several engines is one finding (same file, line and
    category): the most severe, then most confident, is kept; `engine` lists every engine
    ("treesitter+regex") and the message names the other rules."""
    groups: dict[tuple[str, int, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(str(finding.location.path), finding.location.line, finding.category)].append(finding)
    merged = []
    for finding in findings:
        group = groups[(str(finding.location.path), finding.location.line, finding.category)]
        if len({f.engine for f in group}) < 2:
            merged.append(finding)
            continue
        best = max(group, key=lambda f: (f.severity, f.confidence))
        if finding is not best:
            continue
        names = [best.engine, *sorted({f.engine for f in group} - {best.engine})]
        others = ", ".join(f"{f.rule_id} ({f.engine})" for f in group if f is not best)
        related = tuple(dict.fromkeys(r for f in group for r in f.related))
        merged.append(replace(best, engine="+".join(names), message=f"{best.message} [also: {others}]", related=related))
    return merged
