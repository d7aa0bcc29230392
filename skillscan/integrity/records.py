"""Build the lockfile record of one skill: identity (name, version, client, scope), source,
manifest and digest, signature state and the findings summary at approval."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillscan.discovery import SkillRoot, skill_md
from skillscan.integrity import signing, sources
from skillscan.integrity.lockfile import SkillRecord
from skillscan.integrity.manifest import Entry, Tree
from skillscan.model import Finding, RulePackInfo, Severity

_FRONTMATTER_BYTES = 70_000


@dataclass(frozen=True)
class Meta:
    name: str
    version: str
    source_url: str


def read_meta(root: Path) -> Meta:
    """Frontmatter name / version / source of a skill; the folder name when there is none."""
    from skillscan.integrity.manifest import read_regular
    from skillscan.parse.frontmatter import parse

    data: Mapping[str, Any] = {}
    path = skill_md(root)
    raw = read_regular(path, _FRONTMATTER_BYTES) if path is not None else None
    if raw:
        try:
            data = parse(raw.decode("utf-8", errors="replace")).data
        except Exception:  # hostile YAML must not stop a lock or a verify
            data = {}
    name = data.get("name")
    metadata = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    version = data.get("version") or metadata.get("version")  # type: ignore[union-attr]
    source = next((data[k] for k in ("source", "repository", "homepage") if isinstance(data.get(k), str)), "")
    return Meta(name.strip() if isinstance(name, str) and name.strip() else root.name,
                str(version) if isinstance(version, (str, int, float)) else "", str(source))


def pack_ids(packs: Iterable[RulePackInfo]) -> tuple[str, ...]:
    return tuple(sorted(f"{p.name}@{p.version} {p.digest}" for p in packs))


def findings_summary(findings: Iterable[Finding], packs: tuple[str, ...]) -> dict[str, Any]:
    active = [f for f in findings if f.active]
    by_severity = {s.label: sum(1 for f in active if f.severity == s) for s in reversed(Severity)}
    return {"rule_packs": list(packs), "by_severity": by_severity,
            "fingerprints": sorted({f.fingerprint for f in active})}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def signature_state(root: Path, tree: Tree, meta: Meta, signers: Path | None) -> str:
    if signing.skill_signature_file(tree.entries) is None:
        return "unsigned"
    manifest = signing.skill_manifest(meta.name, meta.version, meta.source_url, tree.entries.values())
    return signing.check_skill(root, tree.entries, manifest, signers)


def build_record(
    root: SkillRoot, home: Path, tree: Tree, findings: dict[str, Any], *,
    previous: SkillRecord | None = None, signers: Path | None = None,
) -> SkillRecord:
    meta = read_meta(root.path)
    digest = tree.digest
    # Re-approving unchanged content keeps its approval time: no churn in the lockfile.
    approved_at = previous.approved_at if previous is not None and previous.digest == digest else now()
    root_target = os.readlink(root.path) if root.path.is_symlink() else ""
    files: tuple[Entry, ...] = tuple(sorted(tree.entries.values(), key=lambda e: e.path))
    return SkillRecord(
        path=str(root.path), client=root.client, scope=root.scope, location=root.location,
        name=meta.name, version=meta.version, digest=digest, file_data=files, approved_at=approved_at,
        real_path=str(root.path.resolve()), root_target=root_target,
        source=sources.source_of(root.path, home), findings=findings,
        signature=signature_state(root.path, tree, meta, signers),
    )
