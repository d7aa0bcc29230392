"""Match and build: run every engine over the skills, then turn matches into findings.

Per-file engines (regex, tree-sitter, bandit, semgrep) skip files the result cache answers;
skill-level engines (checks, chains) always run on the merged matches. Engines that work in a
subprocess (semgrep) run in a background thread, so their wait overlaps the in-process engines.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from skillscan.allowhosts import all_urls_allowed
from skillscan.build import build_findings
from skillscan.cache import ResultCache
from skillscan.engines import engines
from skillscan.model import Finding, Match, ScanError, Skill
from skillscan.rules.schema import Rule

# Engines whose results depend only on one file's content (and so may be cached per file).
PER_FILE_ENGINES = frozenset({"regex", "treesitter", "bandit", "semgrep"})


def match_and_build(
    rules: Sequence[Rule],
    skills: Sequence[Skill],
    errors: list[ScanError],
    timings: dict[str, float] | None = None,
    cache: ResultCache | None = None,
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings and skipped rules; `timings`, when given, receives seconds spent per engine."""
    by_id = {rule.id: rule for rule in rules}
    by_engine: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_engine[rule.engine].append(rule)
    matches: dict[Path, list[Match]] = defaultdict(list)
    skipped: list[tuple[str, str]] = []
    # Files the cache answers are left out of the per-file engines' view of each skill.
    fresh: dict[Path, set[PurePosixPath]] = {}
    todo = list(skills)
    if cache is not None:
        todo = []
        for skill in skills:
            answered, cached = cache.lookup(skill)
            matches[skill.root].extend(cached)
            fresh[skill.root] = {a.path for a in skill.real_files} - answered
            todo.append(replace(skill, artifacts=tuple(a for a in skill.artifacts if a.display_path not in answered)))
    per_file: dict[Path, list[Match]] = defaultdict(list)
    # Fact-finding engines first, then the engines that combine their matches (chains).
    order = sorted(by_engine, key=lambda name: (getattr(engines()[name], "needs_matches", False), name))
    background: list[tuple[str, Future[list[tuple[Skill, Match]]], float]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name in order:
            engine, engine_rules = engines()[name], by_engine[name]
            availability = engine.availability()
            if not availability.available:
                skipped.extend((rule.id, f"engine {name!r} unavailable: {availability.reason}") for rule in engine_rules)
                continue
            if getattr(engine, "needs_matches", False):
                _collect_background(background, matches, per_file, timings)
                background = []
            started = time.perf_counter()
            prepared = engine.prepare(engine_rules)
            targets = todo if name in PER_FILE_ENGINES else skills
            found: list[tuple[Skill, Match]] = []
            if getattr(engine, "needs_matches", False):
                for skill in skills:
                    found.extend((skill, m) for m in engine.run_chains(prepared, skill, list(matches[skill.root]), errors))
            elif (run_batch := getattr(engine, "run_batch", None)) is not None:
                if getattr(engine, "subprocess", False):
                    future = pool.submit(lambda e=engine, p=prepared, t=targets: list(e.run_batch(p, t, errors)))
                    background.append((name, future, started))
                    continue
                found.extend(run_batch(prepared, targets, errors))
            else:
                for skill in targets:
                    found.extend((skill, m) for m in engine.run(prepared, skill, errors))
            _keep(name, found, matches, per_file)
            if timings is not None:
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        _collect_background(background, matches, per_file, timings)
    for skill in skills:
        matches[skill.root] = [m for m in matches[skill.root] if not _allowed_destination(m, by_id)]
    if cache is not None:
        secret_rules = {r.id for r in rules if r.secret}
        for skill in skills:
            cache.store(skill, fresh.get(skill.root, set()), per_file.get(skill.root, []), secret_rules)
    findings: list[Finding] = []
    for skill in skills:
        built = build_findings(matches.get(skill.root, []), by_id, skill)
        findings.extend(merge_duplicates(drop_superseded(built, by_id)))
    return findings, skipped


def _keep(
    name: str, found: list[tuple[Skill, Match]], matches: dict[Path, list[Match]], per_file: dict[Path, list[Match]]
) -> None:
    for skill, match in found:
        matches[skill.root].append(match)
        if name in PER_FILE_ENGINES:
            per_file[skill.root].append(match)


def _collect_background(
    background: list[tuple[str, Any, float]],
    matches: dict[Path, list[Match]],
    per_file: dict[Path, list[Match]],
    timings: dict[str, float] | None,
) -> None:
    """Wait for subprocess engines (before chains need their facts, or at the end)."""
    for name, future, started in background:
        _keep(name, future.result(), matches, per_file)
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
