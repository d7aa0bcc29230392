"""Per-skill result cache: a skill whose every byte is unchanged is not parsed or matched again.

Key: the scan key (tool version, packs, rules, engines — see `cache.scan_key`) + the skill's
identity (root, client, scope, the files the config's `exclude` takes out) + what loading it found
(every file's path, SHA-256 and mode, every skipped entry, every symlink). Value: the findings
built for it and the file accounting the reports need; the skill's text is not kept.

Not cached: findings of checks that read file-system state other than content (modes, owners,
git index — `checks.READS_FILESYSTEM`; they run again on every scan, cheaply), skills with a
secret finding (nothing secret-derived is written to disk), skills with inline directives (the
filter stage reads their text), skills whose configs name MCP server programs on disk (a
file-system check reads those names from the text on every scan) and scans that reported engine
errors.

Files of a skill that did change are still answered one by one by the per-file cache. Each skill
folder's last tree stamp (`stamps.py`: file-system metadata of every entry) maps to the skill key
seen with it, so an untouched skill is found without reading its files.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from skillscan.cache import FORMAT, bounded, read_sections, write_json_atomically
from skillscan.checks import reads_text_and_filesystem
from skillscan.directives import has_directives
from skillscan.disk import Listing
from skillscan.load import LoadedSkill
from skillscan.rules.schema import Rule
from skillscan.model import (
    Artifact,
    ArtifactKind,
    Confidence,
    Context,
    Finding,
    Location,
    ParseIssue,
    Polarity,
    Severity,
    Skill,
    SkippedFile,
)


def skill_key(loaded: LoadedSkill, client: str, scope: str, excluded: Sequence[str]) -> str:
    material = [
        str(loaded.root), client, scope, list(excluded),
        [[str(f.path), f.sha256, f.mode, f.magic] for f in loaded.files],
        [[str(s.path), s.reason, s.detail] for s in loaded.skipped],
        [[str(link), target] for link, target in loaded.symlinks],
    ]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


class SkillCache:
    def __init__(self, directory: Path, scan_key: str, rules: Iterable[Rule]) -> None:
        self.path = directory / f"skills-{scan_key}.json"
        self.rules = {rule.id: rule for rule in rules}  # what a finding says of its rule is read from here
        self.entries: dict[str, dict[str, Any]]
        self.stamps: dict[str, list[str]]  # skill folder → [its tree stamp, the skill key seen with it]
        self.entries, self.stamps = read_sections(self.path, "skills", "stamps")
        self.touched: set[str] = set()
        self.dirty = False

    def key_of(self, root: Path, stamp: str | None) -> str | None:
        """The skill key last seen with this tree stamp of `root` (see `stamps`): the files need
        not be read."""
        remembered = self.stamps.get(str(root))
        if stamp is None or not isinstance(remembered, list) or remembered[:1] != [stamp]:
            return None
        self.touched.add(str(root))
        key = remembered[1] if len(remembered) == 2 else None
        return key if isinstance(key, str) else None

    def remember_stamp(self, root: Path, stamp: str | None, key: str) -> None:
        if stamp and self.stamps.get(str(root)) != [stamp, key]:
            self.stamps[str(root)] = [stamp, key]  # one per folder: an older stamp can never match again
            self.touched.add(str(root))
            self.dirty = True

    def lookup(self, key: str, disk: Listing | None = None) -> tuple[Skill, list[Finding]] | None:
        """The skill and its findings, with `disk` (its folder as this scan found it) attached."""
        record = self.entries.get(key)
        if record is None:
            return None
        try:
            skill = _skill(record["skill"], disk)
            findings = [_finding(r, skill, self.rules[r["rule"]]) for r in record["findings"]]
        except (KeyError, TypeError, ValueError):
            return None  # damaged or foreign: analyse again (costs time, never correctness)
        self.touched.add(key)
        return skill, findings

    def store(self, key: str, skill: Skill, findings: Iterable[Finding], uncached_rules: set[str]) -> None:
        """Remember `skill`'s findings, except those of `uncached_rules` (they run every time)."""
        findings = [f for f in findings if f.rule_id not in uncached_rules]
        self.entries[key] = {"skill": _skill_record(skill), "findings": [_finding_record(f) for f in findings]}
        self.touched.add(key)
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            write_json_atomically(self.path, {"format": FORMAT, "skills": bounded(self.entries, self.touched),
                                              "stamps": bounded(self.stamps, self.touched)})


def cacheable(skill: Skill, findings: Sequence[Finding], secret_rules: set[str]) -> bool:
    if any(f.rule_id in secret_rules for f in findings):
        return False
    return not has_directives(skill) and not reads_text_and_filesystem(skill)


# --- records --------------------------------------------------------------------------------------

# Skills share most of their relative paths (SKILL.md, scripts/…): one immutable object each.
_path = lru_cache(maxsize=4096)(PurePosixPath)


def _skill_record(skill: Skill) -> dict[str, Any]:
    return {
        "root": str(skill.root), "name": skill.name, "client": skill.client, "scope": skill.scope,
        "manifest": json.loads(json.dumps(skill.manifest, default=str)),
        "files": [[str(a.path), a.kind.value, a.language, a.sha256] for a in skill.real_files],
        "skipped": [[str(s.path), s.reason, s.detail] for s in skill.skipped],
        "issues": [[i.code, str(i.path), i.line, i.message] for i in skill.parse_issues],
        "symlinks": [[str(link), target] for link, target in skill.symlinks],
    }


def _skill(record: dict[str, Any], disk: Listing | None) -> Skill:
    """The skill as reports and the filesystem checks see it: real files without their text."""
    return Skill(
        root=Path(record["root"]), name=str(record["name"]), client=str(record["client"]), scope=str(record["scope"]),
        manifest=dict(record["manifest"]),
        artifacts=tuple(Artifact(_path(p), ArtifactKind(kind), language, "", str(sha))
                        for p, kind, language, sha in record["files"]),
        skipped=tuple(SkippedFile(_path(p), str(reason), str(detail)) for p, reason, detail in record["skipped"]),
        parse_issues=tuple(ParseIssue(str(code), _path(p), int(line), str(message))
                           for code, p, line, message in record["issues"]),
        symlinks=tuple((_path(link), str(target)) for link, target in record["symlinks"]),
        disk=disk,
    )


def _location_record(location: Location) -> list[Any]:
    return [str(location.path), location.line, location.column, location.snippet]


def _location(record: list[Any]) -> Location:
    path, line, column, snippet = record
    return Location(_path(path), int(line), int(column), str(snippet))


def _finding_record(finding: Finding) -> dict[str, Any]:
    """What this finding says beyond its rule (title, docs … come from the rule: the scan key
    covers every rule, so the rule read back is the one that made the finding)."""
    return {
        "rule": finding.rule_id, "severity": finding.severity.name, "confidence": finding.confidence.name,
        "message": finding.message, "location": _location_record(finding.location),
        "context": [finding.context.polarity.value, finding.context.reason],
        "fingerprint": finding.fingerprint, "engine": finding.engine,
        "base": finding.base_severity.name if finding.base_severity is not None else None,
        "related": [_location_record(r) for r in finding.related],
    }


def _finding(record: dict[str, Any], skill: Skill, rule: Rule) -> Finding:
    base = record["base"]
    return Finding(
        rule_id=rule.id, slug=rule.slug, title=rule.title, category=rule.category,
        severity=Severity[record["severity"]], confidence=Confidence[record["confidence"]],
        message=str(record["message"]), skill=skill, location=_location(record["location"]),
        context=Context(Polarity(record["context"][0]), str(record["context"][1])),
        fingerprint=str(record["fingerprint"]), references=rule.docs.references, remediation=rule.docs.remediation,
        engine=str(record["engine"]), base_severity=Severity[base] if base is not None else None,
        related=tuple(_location(r) for r in record["related"]),
    )
