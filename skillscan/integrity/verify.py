"""Verify: recompute every approved skill and control surface and report each difference.

Content drift with a matching update event (git commit, registry or plugin version moved) is an
*expected update* (medium); without one it is *unexplained* (high) — the hot-swap case. New
executable bits, retargeted symlinks, a relinked skill folder, a skill that takes an approved
skill's name and changed hooks/MCP entries are high; an invalid skill signature is critical.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from skillscan.discovery import SkillRoot
from skillscan.integrity import manifest, sources
from skillscan.integrity.lockfile import Lockfile, SkillRecord
from skillscan.integrity.manifest import Entry, Tree
from skillscan.integrity.records import read_meta, signature_state
from skillscan.integrity.surfaces import SurfaceRecord
from skillscan.model import Severity


class DriftKind(enum.StrEnum):
    FILE_MODIFIED = "file-modified"
    FILE_ADDED = "file-added"
    FILE_REMOVED = "file-removed"
    MODE_CHANGED = "mode-changed"
    EXEC_BIT_ADDED = "exec-bit-added"
    TYPE_CHANGED = "type-changed"
    SYMLINK_RETARGETED = "symlink-retargeted"
    FOLDER_RELINKED = "skill-folder-relinked"
    SOURCE_UPDATED = "source-updated"
    SKILL_UNAPPROVED = "skill-unapproved"
    SKILL_REMOVED = "skill-removed"
    SKILL_QUARANTINED = "skill-quarantined"
    SKILL_SHADOWED = "skill-shadowed"
    SIGNATURE_INVALID = "signature-invalid"
    SIGNATURE_UNTRUSTED = "signature-untrusted"
    SURFACE_CHANGED = "surface-changed"
    SURFACE_ADDED = "surface-added"
    SURFACE_REMOVED = "surface-removed"
    UNREADABLE = "unreadable"
    RISK_INCREASED = "risk-increased"  # --rescan found new findings


INFO_KINDS = frozenset({DriftKind.SKILL_QUARANTINED})
SURFACE_KINDS = frozenset({DriftKind.SURFACE_CHANGED, DriftKind.SURFACE_ADDED, DriftKind.SURFACE_REMOVED})


@dataclass(frozen=True)
class Drift:
    kind: DriftKind
    severity: Severity
    skill: str  # skill name (client id for surfaces)
    where: str  # the skill folder, or the config file
    path: str = ""  # file inside the skill, or the surface key
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": str(self.kind), "severity": self.severity.label, "skill": self.skill,
                "where": self.where, "path": self.path, "detail": self.detail}


@dataclass
class VerifyResult:
    drifts: list[Drift] = field(default_factory=list)
    skills_checked: int = 0
    files_checked: int = 0
    files_hashed: int = 0
    unsigned: int = 0
    errors: list[str] = field(default_factory=list)
    trees: dict[str, Tree] = field(default_factory=dict)  # skill path → current state
    names: dict[str, str] = field(default_factory=dict)  # skill path → current name

    @property
    def drifted(self) -> list[Drift]:
        return [d for d in self.drifts if d.kind not in INFO_KINDS]

    @property
    def drifted_skills(self) -> list[str]:
        return sorted({d.where for d in self.drifted if d.kind not in SURFACE_KINDS
                       and d.kind not in (DriftKind.SKILL_REMOVED,)})

    @property
    def exit_code(self) -> int:
        return 1 if self.drifted else 0


def diff_files(record: SkillRecord, tree: Tree, explained: bool) -> list[Drift]:
    old, new = record.file_map(), tree.entries
    content = Severity.MEDIUM if explained else Severity.HIGH

    def drift(kind: DriftKind, severity: Severity, path: str, detail: str) -> Drift:
        return Drift(kind, severity, record.name, record.path, path, detail)

    found = []
    for path in sorted(old.keys() | new.keys()):
        a, b = old.get(path), new.get(path)
        if a is None and b is not None:
            extra = " (executable)" if b.type == "file" and b.mode & 0o111 else ""
            found.append(drift(DriftKind.FILE_ADDED, content, path, f"new {b.type}{extra}"))
        elif b is None and a is not None:
            found.append(drift(DriftKind.FILE_REMOVED, content, path, f"{a.type} removed"))
        elif a is not None and b is not None:
            found.extend(_entry_changes(a, b, content, drift))
    return found


def _entry_changes(a: Entry, b: Entry, content: Severity, drift: Callable[..., Drift]) -> list[Drift]:
    if a.type != b.type:
        return [drift(DriftKind.TYPE_CHANGED, Severity.HIGH, a.path, f"{a.type} → {b.type}")]
    found = []
    if a.type == "file" and a.sha256 != b.sha256:
        found.append(drift(DriftKind.FILE_MODIFIED, content, a.path,
                           f"sha256 {a.sha256[:12]} → {b.sha256[:12] or '?'}, size {a.size} → {b.size}"))
    if a.type == "symlink" and a.target != b.target:
        found.append(drift(DriftKind.SYMLINK_RETARGETED, Severity.HIGH, a.path, f"{a.target!r} → {b.target!r}"))
    if a.mode != b.mode:
        detail = f"mode {a.mode:04o} → {b.mode:04o}"
        if b.mode & 0o111 & ~a.mode and a.type == "file":
            found.append(drift(DriftKind.EXEC_BIT_ADDED, Severity.HIGH, a.path, detail))
        else:
            widened = b.mode & 0o022 & ~a.mode
            found.append(drift(DriftKind.MODE_CHANGED, Severity.MEDIUM if widened else Severity.LOW, a.path, detail))
    return found


def verify_record(
    record: SkillRecord, result: VerifyResult, home: Path, cache: Mapping[str, manifest.Cached] | None,
    quarantined: set[str], signers: Path | None = None,
) -> Tree | None:
    path = Path(record.path)
    result.skills_checked += 1
    try:
        st = os.lstat(path)
    except OSError:
        kind = DriftKind.SKILL_QUARANTINED if record.path in quarantined else DriftKind.SKILL_REMOVED
        severity = Severity.INFO if kind in INFO_KINDS else Severity.LOW
        result.drifts.append(Drift(kind, severity, record.name, record.path, "", "approved skill is gone"))
        return None
    linked = stat.S_ISLNK(st.st_mode)
    target = os.readlink(path) if linked else ""
    if target != record.root_target:
        was, now = record.root_target or "(a folder)", target or "(a folder)"
        result.drifts.append(Drift(DriftKind.FOLDER_RELINKED, Severity.HIGH, record.name, record.path, ".",
                                   f"skill folder link {was!r} → {now!r}"))
    tree = manifest.walk(path, cache, top=None if linked else st)
    result.trees[record.path] = tree
    result.files_checked += len(tree.entries)
    result.files_hashed += tree.hashed
    if not tree.entries:
        result.drifts.append(Drift(DriftKind.UNREADABLE, Severity.HIGH, record.name, record.path, "",
                                   "; ".join(tree.errors) or "unreadable"))
        return tree
    result.errors.extend(f"{record.path}/{e}" for e in tree.errors)
    result.names[record.path] = record.name
    if tree.digest == record.digest:
        state = record.signature
    else:
        event = sources.update_event(record.source, sources.source_of(path, home))
        result.drifts.extend(diff_files(record, tree, explained=bool(event)))
        if event:
            result.drifts.append(Drift(DriftKind.SOURCE_UPDATED, Severity.MEDIUM, record.name, record.path, "",
                                       f"expected update: {event}"))
        skill_md = next((p for p in ("SKILL.md", "skill.md") if p in tree.entries), None)
        old_md = record.file_map().get(skill_md or "")
        if skill_md is None or old_md is None or old_md.sha256 != tree.entries[skill_md].sha256:
            result.names[record.path] = read_meta(path).name
        state = signature_state(path, tree, read_meta(path), signers)
    _signature_drift(record, state, result)
    return tree


def _signature_drift(record: SkillRecord, state: str, result: VerifyResult) -> None:
    if state == "unsigned":
        result.unsigned += 1
    elif state == "invalid":
        result.drifts.append(Drift(DriftKind.SIGNATURE_INVALID, Severity.CRITICAL, record.name, record.path, "",
                                   "the skill's signature does not match its files: possible tampering"))
    elif state == "untrusted" and record.signature == "valid":
        result.drifts.append(Drift(DriftKind.SIGNATURE_UNTRUSTED, Severity.MEDIUM, record.name, record.path, "",
                                   "now signed by a key that is not in the allowed signers"))


def check_new_and_shadowed(lock: Lockfile, current: Iterable[SkillRoot], result: VerifyResult) -> None:
    by_real = {r.real_path: r for r in lock.skills.values() if r.real_path}
    members: dict[str, list[tuple[str, SkillRecord | None, SkillRoot | None]]] = {}
    for record_path, name in result.names.items():
        members.setdefault(name.casefold(), []).append((record_path, lock.skills.get(record_path), None))
    for root in current:
        key = str(root.path)
        if key in lock.skills or key in result.names:
            continue
        try:
            real = str(root.path.resolve())
        except (OSError, RuntimeError):
            real = key
        if real in by_real:
            continue  # the same approved folder, reached through another path
        name = read_meta(root.path).name
        result.names[key] = name
        result.drifts.append(Drift(DriftKind.SKILL_UNAPPROVED, Severity.MEDIUM, name, key, "",
                                   f"new {root.client}/{root.scope} skill, never approved"))
        members.setdefault(name.casefold(), []).append((key, None, root))
    for group in members.values():
        approved = [(p, r) for p, r, _ in group if r is not None and r.name.casefold() == result.names[p].casefold()]
        if len(group) < 2 or not approved:
            continue
        for path, record, root in group:
            if record is not None and (path, record) in approved:
                continue
            others = ", ".join(f"{p} ({r.client}/{r.scope})" for p, r in approved)
            scope = f"{root.client}/{root.scope}" if root else (f"{record.client}/{record.scope}" if record else "")
            result.drifts.append(Drift(DriftKind.SKILL_SHADOWED, Severity.HIGH, result.names[path], path, "",
                                       f"{scope} skill takes the name of approved skill {others}; "
                                       "the agent may load it instead"))


def check_surfaces(old: Mapping[tuple[str, str, str], SurfaceRecord],
                   new: Mapping[tuple[str, str, str], SurfaceRecord], result: VerifyResult) -> None:
    for ident in sorted(old.keys() | new.keys()):
        a, b = old.get(ident), new.get(ident)
        any_ = a or b
        assert any_ is not None
        if a is None:
            kind, severity, detail = DriftKind.SURFACE_ADDED, Severity.HIGH, f"new {any_.kind} entry"
        elif b is None:
            kind, severity, detail = DriftKind.SURFACE_REMOVED, Severity.MEDIUM, f"{any_.kind} entry removed"
        elif a.digest != b.digest:
            kind, severity, detail = DriftKind.SURFACE_CHANGED, Severity.HIGH, f"{any_.kind} entry changed"
        else:
            continue
        result.drifts.append(Drift(kind, severity, any_.client, any_.path, any_.key, detail))
