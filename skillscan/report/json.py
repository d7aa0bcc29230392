"""JSON report, schema_version 1 (tests/schemas/report-v1.schema.json).

A frozen contract: fields may be added; renaming or removing one means schema_version 2.
"""

from __future__ import annotations

from typing import Any

from skillscan import __version__
from skillscan.model import ArtifactKind, Finding, ScanResult, Severity, Skill
from skillscan.report import counts_by_severity, exit_code, jsontext

SCHEMA_VERSION = 1


def render_json(result: ScanResult, fail_on: Severity) -> str:
    return jsontext.dumps(report_dict(result, fail_on)) + "\n"


def report_dict(result: ScanResult, fail_on: Severity) -> dict[str, Any]:
    active = result.active_findings
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "skillscan", "version": __version__},
        "rule_packs": [{"name": p.name, "version": p.version, "digest": p.digest, "rules": p.rule_count}
                       for p in result.rule_packs],
        "skills": [skill_dict(skill) for skill in result.skills],
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [{"where": e.where, "message": e.message} for e in result.errors],
        "skipped_rules": [{"rule_id": rule_id, "reason": reason} for rule_id, reason in result.skipped_rules],
        "summary": {
            "skills": len(result.skills),
            "files_scanned": sum(len(scanned_files(s)) for s in result.skills),
            "files_skipped": sum(len(s.skipped) for s in result.skills),
            "findings": len(active),
            "suppressed": len(result.findings) - len(active),
            "by_severity": counts_by_severity(active),
            "fail_on": fail_on.label,
            "exit_code": exit_code(result, fail_on),
        },
    }


def scanned_files(skill: Skill) -> list[str]:
    return [str(a.path) for a in skill.real_files if a.kind is not ArtifactKind.BINARY]


def skill_dict(skill: Skill) -> dict[str, Any]:
    return {
        "name": skill.name,
        "path": str(skill.root),
        "client": skill.client,
        "scope": skill.scope,
        "files": scanned_files(skill),
        "skipped": [{"path": str(s.path), "reason": s.reason, "detail": s.detail} for s in skill.skipped],
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "slug": finding.slug,
        "title": finding.title,
        "category": finding.category,
        "severity": finding.severity.label,
        "base_severity": (finding.base_severity or finding.severity).label,
        "confidence": finding.confidence.label,
        "message": finding.message,
        "skill": finding.skill.name,
        "skill_path": str(finding.skill.root),
        "path": str(finding.absolute_path),
        "relative_path": str(finding.location.path),
        "line": finding.location.line,
        "column": finding.location.column,
        "snippet": finding.location.snippet,
        "context": {"polarity": finding.context.polarity.value, "reason": finding.context.reason},
        "engine": finding.engine,
        "fingerprint": finding.fingerprint,
        "remediation": finding.remediation,
        "references": list(finding.references),
        "suppressed": finding.suppressed_by,
    }
