"""lock, approve, restore, quarantine: each reads the lockfile (signature first), acts, and
writes it back atomically (re-signed when it was signed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from skillscan.discovery import SkillRoot
from skillscan.errors import UsageError
from skillscan.integrity import manifest, paths, session, store, surfaces
from skillscan.integrity.lockfile import Lockfile, SkillRecord
from skillscan.integrity.records import build_record, findings_summary
from skillscan.integrity.session import Options
from skillscan.integrity.verify import Drift, VerifyResult, diff_files, verify_record
from skillscan.model import Finding


@dataclass
class LockReport:
    lock: Lockfile
    locked: list[SkillRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signed: bool = False


def lock(options: Options, sign_key: Path | None = None) -> LockReport:
    previous = session.load(options, missing_ok=True)
    roots = session.discover(options)
    project = options.project if not options.paths else Path(previous.project or options.project)
    paths.refuse_inside(options.lockfile, [r.path for r in roots], options.home, project)
    packs, summaries = session.summaries(roots, options)
    if options.paths:
        kept = {p: r for p, r in previous.skills.items() if not session.under_paths(r, options.paths)}
        found_surfaces = previous.surfaces
    else:  # a full lock approves what is installed now; skills locked by path stay
        kept = {p: r for p, r in previous.skills.items() if r.client == "path"}
        found_surfaces = surfaces.collect(options.home, project, paths.surface_salt())
    report = LockReport(Lockfile())
    trees = {}
    for root in roots:
        record, tree, problems = _record(root, options, summaries[str(root.path)], previous.skills.get(str(root.path)))
        kept[record.path] = record
        trees[record.path] = tree
        report.locked.append(record)
        report.problems.extend(problems)
    report.lock = Lockfile(kept, dict(found_surfaces), str(project) if not options.paths else previous.project,
                           packs or previous.rule_packs, previous.signing_key)
    report.signed = session.save(options, report.lock, sign_key)
    session.update_cache(trees)  # type: ignore[arg-type]
    return report


def _record(root: SkillRoot, options: Options, summary: dict[str, object],
            previous: SkillRecord | None) -> tuple[SkillRecord, manifest.Tree, list[str]]:
    from skillscan.integrity.report import safe_text

    tree = manifest.walk(root.path)  # approval hashes everything: no fast path
    record = build_record(root, options.home, tree, dict(summary), previous=previous, signers=options.skill_signers)
    problems = [f"{root.path}: {e}" for e in tree.errors]
    problems.extend(f"{root.path}: {p}" for p in store.put_tree(root.path, tree.entries.values()))
    return record, tree, [safe_text(p) for p in problems]  # they name files: printed, never raw


@dataclass
class ApprovePlan:
    root: SkillRoot
    previous: SkillRecord | None
    tree: manifest.Tree
    drifts: list[Drift]
    findings: list[Finding]
    summary: dict[str, object]
    packs: tuple[str, ...]


def plan_approve(options: Options, target: str) -> ApprovePlan:
    """What approving `target` would record: its drift since approval and its scan result."""
    current = session.load(options, missing_ok=True)
    root = session.find_current(options, current, target)
    previous = current.skills.get(str(root.path))
    tree = manifest.walk(root.path)
    drifts: list[Drift] = []
    if previous is not None:
        result = VerifyResult()
        verify_record(previous, result, options.home, None, set(), options.skill_signers)
        drifts = result.drifts
    elif tree.entries:
        drifts = diff_files(SkillRecord(str(root.path), root.client, root.scope, root.path.name, "", (), ""),
                            tree, explained=False)
    findings: list[Finding] = []
    packs: tuple[str, ...] = ()
    summary: dict[str, object] = {"scanned": False}
    if options.scan:
        packs, by_root, _ = session.scan_roots([root], options.rule_dirs)
        findings = by_root.get(str(root.path), [])
        summary = findings_summary(findings, packs)
    return ApprovePlan(root, previous, tree, drifts, findings, summary, packs)


def commit_approve(options: Options, plan: ApprovePlan, sign_key: Path | None = None) -> SkillRecord:
    current = session.load(options, missing_ok=True)
    project = Path(current.project) if current.project else options.project
    paths.refuse_inside(options.lockfile, [plan.root.path], options.home, project)
    record, tree, problems = _record(plan.root, options, plan.summary, plan.previous)
    if tree.digest != plan.tree.digest:  # what is recorded must be what was shown
        raise UsageError(f"{plan.root.path} changed while it was being reviewed; run approve again")
    if problems:
        raise UsageError("; ".join(problems))
    current.skills[record.path] = record
    if plan.packs and not current.rule_packs:
        current.rule_packs = plan.packs
    session.save(options, current, sign_key)
    session.update_cache({record.path: tree})
    return record


def restore(options: Options, target: str) -> tuple[SkillRecord, Path, store.QuarantineRecord | None]:
    current = session.load(options)
    record = session.find_record(current, target)
    dest, displaced = store.restore(record)
    check = manifest.walk(Path(record.path))
    if check.digest != record.digest:
        raise UsageError(f"{record.path}: restored, but it does not match the approved digest "
                         f"({check.digest} != {record.digest})")
    return record, dest, displaced


def quarantine(options: Options, target: str,
               reason: str = "quarantined by `skillscan quarantine`") -> store.QuarantineRecord:
    current = session.load(options, missing_ok=True)
    root = session.find_current(options, current, target)
    from skillscan.integrity.records import read_meta

    return store.quarantine(root.path, read_meta(root.path).name, reason)
