"""`verify` end to end: signature, every approved skill, new and same-name skills, control
surfaces; then, with --rescan, the risk delta of drifted skills (of every skill when the rule
packs changed since approval: new knowledge applies to old approvals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillscan.discovery import SkillRoot
from skillscan.integrity import paths, session, statcache, store, surfaces
from skillscan.integrity.lockfile import Lockfile
from skillscan.integrity.records import findings_summary
from skillscan.integrity.session import Options
from skillscan.integrity.verify import (
    Drift,
    DriftKind,
    VerifyResult,
    check_new_and_shadowed,
    check_surfaces,
    verify_record,
)
from skillscan.model import Finding, Severity


@dataclass
class RiskDelta:
    skill: str
    path: str
    before: dict[str, int]
    after: dict[str, int]
    new: list[Finding] = field(default_factory=list)
    resolved: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"skill": self.skill, "path": self.path, "before": self.before, "after": self.after,
                "resolved": self.resolved,
                "new_findings": [{"rule_id": f.rule_id, "severity": f.severity.label, "title": f.title,
                                  "path": str(f.location.path), "line": f.location.line} for f in self.new]}


@dataclass
class Audit:
    lock: Lockfile
    result: VerifyResult
    deltas: list[RiskDelta] = field(default_factory=list)
    rule_packs_changed: bool = False
    rescanned: int = 0


def verify(options: Options, rescan: bool = False) -> Audit:
    lock, signer = session.load_signed(options)
    # The stat cache is only as safe as its file: a signed lockfile is verified by content
    # unless the user opts in, so rewriting the cache cannot hide a swap from it.
    full = options.full or (signer != "unsigned" and not options.trust_cache)
    cache = {} if full else statcache.load()
    quarantined = store.quarantined_paths()
    current = session.discover(options, lock)
    result = VerifyResult()
    for record in sorted(lock.skills.values(), key=lambda r: r.path):
        if session.under_paths(record, options.paths):
            verify_record(record, result, options.home, cache.get(record.path), quarantined, options.skill_signers)
    check_new_and_shadowed(lock, current, result)
    if not options.paths:
        project = options.project_of(lock)
        now = surfaces.collect(options.home, project, paths.surface_salt())
        check_surfaces(lock.surfaces, now, result)
    changed = {path: tree.stats for path, tree in result.trees.items() if cache.get(path) != tree.stats}
    if changed:  # rewriting an unchanged cache would cost more than the whole fast path
        cache.update(changed)
        statcache.save(cache)
    audit = Audit(lock, result)
    if rescan:
        _rescan(options, audit, current)
    return audit


def _rescan(options: Options, audit: Audit, current: list[SkillRoot]) -> None:
    from skillscan.pipeline import ScanOptions, load_rules
    from skillscan.integrity.records import pack_ids

    packs = pack_ids(load_rules(ScanOptions(rule_dirs=options.rule_dirs))[0])
    audit.rule_packs_changed = bool(audit.lock.rule_packs) and tuple(sorted(audit.lock.rule_packs)) != packs
    wanted = set(audit.result.drifted_skills)
    if audit.rule_packs_changed:
        wanted |= set(audit.result.trees)
    by_path = {str(r.path): r for r in current}
    roots = []
    for path in sorted(wanted):
        record = audit.lock.skills.get(path)
        if path in by_path:
            roots.append(by_path[path])
        elif record is not None and Path(path).exists():
            roots.append(SkillRoot(Path(path), record.client, record.scope, record.location))
    if not roots:
        return
    packs, by_root, _ = session.scan_roots(roots, options.rule_dirs)
    audit.rescanned = len(roots)
    for root in roots:
        key = str(root.path)
        record = audit.lock.skills.get(key)
        found = [f for f in by_root.get(key, []) if f.active]
        after = findings_summary(found, packs)
        before = record.findings if record is not None else {}
        known = set(before.get("fingerprints", []))
        new = [f for f in found if f.fingerprint not in known]
        delta = RiskDelta(audit.result.names.get(key, root.path.name), key,
                          dict(before.get("by_severity", {})), dict(after["by_severity"]), new,
                          len(known - {f.fingerprint for f in found}))
        audit.deltas.append(delta)
        serious = [f for f in new if f.severity >= Severity.LOW]
        if serious:
            worst = max(f.severity for f in serious)
            audit.result.drifts.append(Drift(DriftKind.RISK_INCREASED, worst, delta.skill, key, "",
                                             f"{len(serious)} new finding(s) on re-scan, worst {worst.label}"))
