"""scan(): discover → load → parse → match → build → filter. Reads as the list it implements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from skillscan import cache as cache_module
from skillscan import shard, suppress
from skillscan.cache import ResultCache
from skillscan.baseline import Baseline
from skillscan.config import Config, check_against, with_rule_settings
from skillscan.engines import Availability, availabilities
from skillscan.disk import Listing, list_tree
from skillscan.discovery import SkillRoot, discover_installed, discover_paths, skill_md
from skillscan.load import LoadedSkill, load_skill
from skillscan.matching import match_and_build
from skillscan.checks import reads_filesystem, reruns_on_cached_skills
from skillscan.model import Finding, RulePackInfo, ScanError, ScanResult, Skill
from skillscan.skillcache import SkillCache, cacheable, skill_key
from skillscan.realpaths import RealPaths
from skillscan.stamps import tree_stamp
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
    jobs: int = 0  # worker processes for big scans; 0: one per CPU, 1: none
    shard: tuple[int, int] | None = None  # (K, N): only the skills of shard K of N (skillscan/shard.py)


def discover(options: ScanOptions) -> list[SkillRoot]:
    return partition(options)[0]


def partition(options: ScanOptions) -> tuple[list[SkillRoot], list[SkillRoot]]:
    """(skill roots to scan, roots left out by the config's `exclude`). A skill folder named on
    the command line is always scanned; skills found by walking, or mapped from files (as
    pre-commit passes them), obey `exclude`."""
    roots = discover_paths(options.paths) if options.paths else discover_installed(options.home, options.project)
    if options.shard is not None:  # not in this shard: not scanned, and not reported as excluded either
        roots = shard.select(roots, options.paths, options.shard)
    named = _named_roots(options)
    kept = [r for r in roots if r.path in named or not options.config.excludes(r.path)]
    chosen = {id(r) for r in kept}
    return kept, [r for r in roots if id(r) not in chosen]


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


class ScanProgress(Protocol):
    """What a progress display hears from a scan."""

    def skill_read(self, path: Path) -> None:
        """One skill was read (and answered by the cache, or queued for analysis)."""

    def analysing(self, skills: int) -> None:
        """Every skill is read; `skills` of them are now being analysed (no per-skill steps)."""


def scan(
    options: ScanOptions, progress: ScanProgress | None = None, timings: dict[str, float] | None = None
) -> ScanResult:
    packs, everything, rules = _load_rules(options)
    roots, excluded = partition(options)
    states = availabilities()
    caches = _open_caches(packs, rules, states) if options.cache else None
    named = _named_roots(options)
    real_paths = RealPaths()  # siblings resolve their parent folder once
    read = [_read(root, root.path in named, options, caches, real_paths) for root in _report_each(roots, progress)]
    pending = sum(1 for r in read if isinstance(r, _Pending))
    if progress is not None and pending:
        progress.analysing(pending)
    # Workers start before the parse stage, so their start-up overlaps it. (Imported here: a
    # scan the caches answer needs neither workers nor the parser.)
    pool = None
    if pending:
        from skillscan import parallel

        pool = parallel.start(rules, states, options.jobs or parallel.default_workers(), pending)
    prepared = [r.parse(options.config) if isinstance(r, _Pending) else r for r in read]
    skills = [p.skill for p in prepared]
    fresh = [p for p in prepared if p.findings is None]
    errors: list[ScanError] = []
    findings, skipped_rules = match_and_build(rules, [p.skill for p in fresh], errors, timings,
                                              caches.files if caches else None, states, pool)
    answered = [p.skill for p in prepared if p.findings is not None]
    if answered:  # checks of file-system state (modes, owners, git index) are never cached
        findings += match_and_build([r for r in rules if reruns_on_cached_skills(r)], answered, errors, timings,
                                    states=states)[0]
        findings += [f for p in prepared for f in p.findings or ()]
    if caches is not None:
        caches.remember(fresh, findings, rules, errors)
    # The machine's own agent configs too, as pseudo-skills (see skillscan/agentconfig.py); in shard 1 only.
    if not options.paths and shard.runs_agent_configs(options.shard):
        from skillscan.agentconfig import config_rules, config_skills

        configs = [options.config.prune(c) for c in config_skills(
            options.home, options.project, [r.path for r in (*roots, *excluded)], options.max_file_bytes)]
        findings += match_and_build(config_rules(rules), configs, errors, timings, states=states)[0]
        skills += configs
    findings = _in_report_order(findings, skills)
    policy = suppress.Policy(options.no_ignores, options.honor_inline_ignores, options.project)
    findings = suppress.apply(findings, options.config, options.baseline, policy=policy,
                              rules_ran=rules, all_rules=everything)
    return ScanResult(tuple(skills), tuple(findings), tuple(errors), packs, tuple(skipped_rules),
                      tuple(r for r in rules if r.report), tuple(r.path for r in excluded))


def _report_each(roots: Sequence[SkillRoot], progress: ScanProgress | None) -> Iterator[SkillRoot]:
    for root in roots:
        yield root
        if progress is not None:
            progress.skill_read(root.path)


@dataclass(frozen=True)
class _Prepared:
    """A skill ready for matching (`findings` None), or answered whole by the skill cache."""

    skill: Skill
    key: str = ""
    findings: list[Finding] | None = None
    stamp: str | None = None


@dataclass(frozen=True)
class _Pending:
    """A skill read but not answered by the cache: to be parsed and analysed."""

    loaded: LoadedSkill
    root: SkillRoot
    pruned: bool
    key: str
    stamp: str | None
    listing: Listing | None

    def parse(self, config: Config) -> _Prepared:
        from skillscan import parse

        skill = replace(parse.parse_skill(self.loaded, self.root.client, self.root.scope), disk=self.listing)
        return _Prepared(config.prune(skill) if self.pruned else skill, self.key, stamp=self.stamp)


def _read(root: SkillRoot, named: bool, options: ScanOptions, caches: _Caches | None,
          real_paths: RealPaths) -> _Prepared | _Pending:
    # A skill folder named on the command line is scanned whole; others obey the config's `exclude`.
    pruned = not named and bool(options.config.exclude)
    stamp = None
    listing = list_tree(root.path, real_paths)  # one look at the folder for the stamp and the file-system checks
    if caches is not None:
        config = options.config
        salt = repr((root.client, root.scope, options.max_file_bytes, pruned and (str(config.root), config.exclude)))
        stamp = tree_stamp(root.path, listing, salt)
        key = caches.skills.key_of(root.path, stamp)
        if key is not None and (hit := caches.skills.lookup(key, listing)) is not None:
            return _Prepared(hit[0], key, hit[1], stamp)  # untouched since a scan that read it: no file read
    loaded = load_skill(root.path, options.max_file_bytes)
    key = ""
    if caches is not None:
        key = skill_key(loaded, root.client, root.scope, _excluded_files(loaded, options.config) if pruned else [])
        if (hit := caches.skills.lookup(key, listing)) is not None:
            caches.skills.remember_stamp(root.path, stamp, key)
            return _Prepared(hit[0], key, hit[1], stamp)
    return _Pending(loaded, root, pruned, key, stamp, listing)


def _excluded_files(loaded: LoadedSkill, config: Config) -> list[str]:
    """The files the config's `exclude` takes out of this skill (an archive member goes with its
    archive): what pruning changes, so the skill cache key does not depend on how it was named."""
    root = loaded.root
    return [str(f.path) for f in loaded.files
            if config.excludes(root / str(f.path)) or config.excludes(root / str(f.path).split("!", 1)[0])]


def _in_report_order(findings: Sequence[Finding], skills: Sequence[Skill]) -> list[Finding]:
    """Skills in scan order, then place in the file: the same whether results came from the
    cache or not."""
    rank = {skill.root: index for index, skill in enumerate(skills)}
    return sorted(findings, key=lambda f: (rank.get(f.skill.root, len(rank)), str(f.location.path),
                                           f.location.line, f.location.column, f.rule_id))


@dataclass
class _Caches:
    files: ResultCache
    skills: SkillCache
    keep: Sequence[Path] = ()  # other cache files this scan relies on (the validated rule packs)

    def remember(self, fresh: Sequence[_Prepared], findings: Sequence[Finding], rules: Sequence[Rule],
                 errors: Sequence[ScanError]) -> None:
        self.files.save()
        if errors:  # a failed check or engine may have missed something: do not make it permanent
            self.skills.save()  # (stamps of skills answered by their content are still worth keeping)
            return
        secret_rules = {r.id for r in rules if r.secret}
        uncached = {r.id for r in rules if reads_filesystem(r)}
        by_root: dict[Path, list[Finding]] = {}
        for finding in findings:
            by_root.setdefault(finding.skill.root, []).append(finding)
        for prepared in fresh:
            found = by_root.get(prepared.skill.root, [])
            if cacheable(prepared.skill, found, secret_rules):
                self.skills.store(prepared.key, prepared.skill, found, uncached)
                self.skills.remember_stamp(prepared.skill.root, prepared.stamp, prepared.key)
        self.skills.save()
        if fresh:  # a scan that wrote something also sweeps out what older versions left behind
            cache_module.forget_stale(self.skills.path.parent, [self.files.path, self.skills.path, *self.keep])


def _open_caches(packs: Sequence[RulePackInfo], rules: Sequence[Rule], states: Mapping[str, Availability]) -> _Caches | None:
    try:
        directory = cache_module.default_dir()
    except Exception:  # no usable cache dir (read-only home …): scan without one
        return None
    available = [name for name, state in states.items() if state.available]
    key = cache_module.scan_key([p.digest for p in packs], rules, available)
    return _Caches(ResultCache(directory, key), SkillCache(directory, key, rules), loader.cache_files(packs))
