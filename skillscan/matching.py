"""Match and build: run every engine over the skills, then turn matches into findings.

Per-file engines (regex, tree-sitter, bandit, semgrep) skip files the result cache answers;
skill-level engines (checks, chains) always run on the merged matches. Engines that work in a
subprocess (semgrep) run in a background thread, so their wait overlaps the in-process engines;
with many skills, worker processes run the per-skill engines (see `parallel`) meanwhile.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from skillscan.allowhosts import all_urls_allowed
from skillscan.build import build_findings
from skillscan.cache import ResultCache, bind_match
from skillscan.engines import Availability, availabilities, engines
from skillscan.model import Finding, Match, ScanError, Skill
from skillscan.rules.schema import Rule

if TYPE_CHECKING:
    from skillscan import parallel

# Engines whose results depend only on one file's content (and so may be cached per file).
PER_FILE_ENGINES = frozenset({"regex", "treesitter", "bandit", "semgrep"})


def match_and_build(
    rules: Sequence[Rule],
    skills: Sequence[Skill],
    errors: list[ScanError],
    timings: dict[str, float] | None = None,
    cache: ResultCache | None = None,
    states: Mapping[str, Availability] | None = None,
    pool: parallel.Workers | None = None,
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings and skipped rules; `timings`, when given, receives seconds spent per engine;
    `states` is the engines' availability when the caller already asked; `pool` (see
    `parallel.start`) runs its engines in worker processes."""
    by_id = {rule.id: rule for rule in rules}
    by_engine: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_engine[rule.engine].append(rule)
    states = states if states is not None else availabilities(by_engine)
    skipped = _unavailable(by_engine, states)
    if not skills:  # every skill answered by the skill cache: nothing to prepare or run
        if pool is not None:
            pool.close()
        return [], skipped
    found = _Found({skill.root: skill for skill in skills})
    # Files the cache answers are left out of the per-file engines' view of each skill.
    answered: dict[Path, set[PurePosixPath]] = {}
    if cache is not None:
        for skill in skills:
            answered[skill.root], cached = cache.lookup(skill)
            found.cached[skill.root] = cached
    todo = [_without(skill, answered.get(skill.root, set())) for skill in skills]
    # Fact-finding engines first, then the engines that combine their matches (chains).
    order = [name for name in sorted(by_engine, key=lambda n: (getattr(engines()[n], "needs_matches", False), n))
             if states[name].available]
    offloaded = pool.names if pool is not None else []
    if pool is not None:
        pool.submit(skills, answered)
    background: list[tuple[str, Future[list[tuple[Skill, Match]]], float]] = []
    with ThreadPoolExecutor(max_workers=1) as threads:
        for name in order:
            engine, engine_rules = engines()[name], by_engine[name]
            if name in offloaded:
                continue
            if getattr(engine, "needs_matches", False):
                _collect_background(background, found, timings)
                background = []
                if pool is not None:
                    _collect_workers(pool, found, by_engine, todo, skills, errors, timings)
                    pool = None
            started = time.perf_counter()
            prepared = engine.prepare(engine_rules)
            targets = todo if name in PER_FILE_ENGINES else skills
            if getattr(engine, "needs_matches", False):
                for skill in skills:
                    chained = engine.run_chains(prepared, skill, found.all(skill.root, order), errors)
                    found.add(name, [(skill, m) for m in chained])
            elif (run_batch := getattr(engine, "run_batch", None)) is not None:
                if getattr(engine, "subprocess", False):
                    future = threads.submit(lambda e=engine, p=prepared, t=targets: list(e.run_batch(p, t, errors)))
                    background.append((name, future, started))
                    continue
                found.add(name, list(run_batch(prepared, targets, errors)))
            else:
                found.add(name, [(skill, m) for skill in targets for m in engine.run(prepared, skill, errors)])
            if timings is not None:
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        _collect_background(background, found, timings)
        if pool is not None:
            _collect_workers(pool, found, by_engine, todo, skills, errors, timings)
    matches = {skill.root: [m for m in found.all(skill.root, order) if not _allowed_destination(m, by_id)]
               for skill in skills}
    if cache is not None:
        secret_rules = {r.id for r in rules if r.secret}
        for skill in skills:
            fresh = {a.path for a in skill.real_files} - answered[skill.root]
            cache.store(skill, fresh, found.per_file(skill.root), secret_rules)
    findings: list[Finding] = []
    for skill in skills:
        built = build_findings(matches[skill.root], by_id, skill)
        findings.extend(merge_duplicates(drop_superseded(built, by_id)))
    return findings, skipped


def _collect_workers(pool: parallel.Workers, found: _Found, by_engine: Mapping[str, list[Rule]],
                     todo: Sequence[Skill], skills: Sequence[Skill], errors: list[ScanError],
                     timings: dict[str, float] | None) -> None:
    """The workers' matches; if the pool broke (a worker killed, no process support in this
    sandbox), the same engines run here instead: slower, never fewer results."""
    try:
        results = list(pool.results())
    except Exception:  # BrokenProcessPool, OSError …: whatever stopped the workers
        pool.close()
        for name in pool.names:
            engine = engines()[name]
            prepared = engine.prepare(by_engine[name])
            targets = todo if name in PER_FILE_ENGINES else skills
            found.by_engine[name].clear()
            found.add(name, [(skill, m) for skill in targets for m in engine.run(prepared, skill, errors)])
        return
    found.add_worker_results(results, errors, timings)


def _without(skill: Skill, answered: set[PurePosixPath]) -> Skill:
    """The skill as the per-file engines see it: without the files the cache answered."""
    if not answered:
        return skill
    return replace(skill, artifacts=tuple(a for a in skill.artifacts if a.display_path not in answered))


class _Found:
    """Matches per engine and skill, read back in one order whatever order engines finished in
    (cached matches, then engines by name), so results do not depend on scheduling."""

    def __init__(self, skills: dict[Path, Skill]) -> None:
        self.skills = skills
        self.cached: dict[Path, list[Match]] = {}
        self.by_engine: dict[str, dict[Path, list[Match]]] = defaultdict(lambda: defaultdict(list))

    def add(self, name: str, pairs: Iterable[tuple[Skill, Match]]) -> None:
        for skill, match in pairs:
            self.by_engine[name][skill.root].append(match)

    def add_worker_results(self, results: Iterable[parallel.WorkerResult], errors: list[ScanError],
                           timings: dict[str, float] | None) -> None:
        for found, worker_errors, worker_timings in results:
            errors.extend(worker_errors)
            for name, root, records in found:
                skill = self.skills[Path(root)]
                by_path = {a.path: a for a in skill.artifacts}
                bound = [record if isinstance(record, Match) else bind_match(record, by_path) for record in records]
                self.by_engine[name][skill.root].extend(m for m in bound if m is not None)
            if timings is not None:
                for name, seconds in worker_timings.items():
                    timings[name] = timings.get(name, 0.0) + seconds

    def all(self, root: Path, names: Sequence[str]) -> list[Match]:
        return [*self.cached.get(root, []), *(m for name in names for m in self.by_engine[name].get(root, []))]

    def per_file(self, root: Path) -> list[Match]:
        """What this scan's per-file engines found (what the result cache may keep)."""
        return [m for name in sorted(PER_FILE_ENGINES) for m in self.by_engine[name].get(root, [])]


def _unavailable(by_engine: dict[str, list[Rule]], states: Mapping[str, Availability]) -> list[tuple[str, str]]:
    """(rule id, why) for the rules whose engine cannot run here."""
    skipped = []
    for name, engine_rules in by_engine.items():
        state = states[name]
        if not state.available:
            skipped.extend((rule.id, f"engine {name!r} unavailable: {state.reason}") for rule in engine_rules)
    return skipped


def _collect_background(
    background: list[tuple[str, Any, float]], found: _Found, timings: dict[str, float] | None
) -> None:
    """Wait for subprocess engines (before chains need their facts, or at the end)."""
    for name, future, started in background:
        found.add(name, future.result())
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def _allowed_destination(match: Match, rules: dict[str, Rule]) -> bool:
    """A match of a rule with `allow_hosts` whose every URL goes to an allowed host."""
    allowed = rules[match.rule_id].match.get("allow_hosts") if match.rule_id in rules else None
    if not allowed:
        return False
    evidence = " ".join([match.matched_text, match.note, *(r.snippet for r in match.related)])
    return all_urls_allowed(evidence, allowed)


def drop_superseded(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """One problem, one finding: a rule that `supersedes` another (an MCP server command that
    downloads and runs code supersedes plain pipe-to-shell) removes that rule's finding at the
    same line."""
    replaced = {(str(f.location.path), f.location.line, old) for f in findings if f.rule_id in rules
                for old in rules[f.rule_id].supersedes}
    return [f for f in findings if (str(f.location.path), f.location.line, f.rule_id) not in replaced]


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
