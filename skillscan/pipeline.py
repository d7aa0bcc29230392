"""scan(): discover → load → parse → match → build → filter. Reads as the list it implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from skillscan import cache as cache_module
from skillscan import suppress
from skillscan.cache import ResultCache
from skillscan.agentconfig import config_rules, config_skills
from skillscan.baseline import Baseline
from skillscan.config import Config, check_against, with_rule_settings
from skillscan.discovery import SkillRoot, discover_installed, discover_paths, skill_md
from skillscan.load import load_skill
from skillscan.matching import match_and_build
from skillscan.model import RulePackInfo, ScanError, ScanResult
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
    cache: bool = True  # reuse per-file results of unchanged files (user cache dir)


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
    cache = _open_cache(packs, rules) if options.cache else None
    findings, skipped_rules = match_and_build(rules, skills, errors, timings, cache)
    if cache is not None:
        cache.save()
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


def _open_cache(packs: Sequence[RulePackInfo], rules: Sequence[Rule]) -> ResultCache | None:
    from skillscan.engines import engines

    try:
        directory = cache_module.default_dir()
    except Exception:  # no usable cache dir (read-only home …): scan without one
        return None
    available = [name for name, engine in engines().items() if engine.availability().available]
    return cache_module.ResultCache(directory, cache_module.scan_key([p.digest for p in packs], rules, available))
